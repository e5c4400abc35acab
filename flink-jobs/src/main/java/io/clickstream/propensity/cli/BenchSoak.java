package io.clickstream.propensity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.propensity.events.synthetic.ClickstreamGenerator;
import io.clickstream.propensity.jobs.JobRunner;
import io.clickstream.propensity.jobs.StreamingJob;
import io.clickstream.propensity.kafka.LocalKafkaBroker;
import io.clickstream.propensity.kafka.Replay;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.scoring.ModelContract;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "soak",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the streaming job for --minutes on generated history replayed at a fixed --rate with "
          + "its original event times (so event time runs days per minute and session TTLs "
          + "fire), and samples every --sample-interval: checkpointed state (total and per "
          + "feature stage), checkpoint duration, JVM heap, consumer lag, event-time watermark "
          + "and ingest-to-score latency p50/p99 of the interval.",
      "Writes soak.csv (one row per sample) and soak.png (stacked panels over time) to --out; "
          + "prints one line per sample to stderr and a summary to stdout."
    })
final class BenchSoak implements Callable<Integer> {
  private static final String GROUP = "soak";
  private static final String SCORES_TOPIC = "soak-scores";

  @Option(names = "--minutes", defaultValue = "20",
      description = "How long to stream (default: ${DEFAULT-VALUE})")
  double minutes;

  @Option(names = "--rate", defaultValue = "1500",
      description = "Offered events/s (default: ${DEFAULT-VALUE})")
  double rate;

  @Option(names = "--sample-interval", defaultValue = "10s", converter = DurationConverter.class,
      description = "Time between samples (default: ${DEFAULT-VALUE})")
  Duration sampleInterval;

  @Option(names = {"-n", "--events"}, defaultValue = "0",
      description = "Events of generated history; 0 = what --rate sends in --minutes "
          + "(default: ${DEFAULT-VALUE})")
  long events;

  @Option(names = "--days", defaultValue = "" + ClickstreamGenerator.DEFAULT_DAYS,
      description = "Days of history the events span: with --events, --rate and --minutes this "
          + "sets how fast event time runs (default: ${DEFAULT-VALUE})")
  int days;

  @Option(names = "--seed", defaultValue = "42", description = "Generator seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--model", defaultValue = "model-artifacts", paramLabel = "DIR",
      description = "Model to score with (default: ${DEFAULT-VALUE})")
  Path model;

  @Option(names = "--out", defaultValue = "work/soak", paramLabel = "DIR",
      description = "Where soak.csv and soak.png go (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--work-dir", defaultValue = "work/bench", paramLabel = "DIR",
      description = "Where the data, broker, warehouse and checkpoints go (default: ${DEFAULT-VALUE})")
  Path workDir;

  @Option(names = {"-p", "--parallelism"}, defaultValue = "0",
      description = "Flink parallelism (default: number of cores)")
  int parallelism;

  @Option(names = "--partitions", defaultValue = "2",
      description = "Partitions of the input topic (default: ${DEFAULT-VALUE})")
  int partitions;

  @Option(names = "--checkpoint-interval", defaultValue = "30s",
      converter = DurationConverter.class,
      description = "Checkpoint interval, as in `stream` (default: ${DEFAULT-VALUE})")
  Duration checkpointInterval;

  @Mixin MaintenanceOptions maintenance = new MaintenanceOptions();

  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();

  @Override
  public Integer call() throws Exception {
    if (!(minutes > 0) || !(rate > 0) || events < 0 || days < 1
        || sampleInterval.toMillis() < 1000) {
      throw new IllegalArgumentException("--minutes and --rate must be > 0, --events >= 0, "
          + "--days >= 1, --sample-interval >= 1s");
    }
    long toSend = (long) Math.ceil(rate * minutes * 60);
    long history = events > 0 ? events : toSend;
    ModelContract contract = ModelContract.load(model);
    Path data = BenchCommand.generatedData(workDir, history, seed, days);
    Path csv = out.resolve("soak.csv");
    Path png = out.resolve("soak.png");
    SoakReport.startCsv(csv);
    long stamp = System.currentTimeMillis();
    try (BenchCommand.BenchBroker broker = BenchCommand.BenchBroker.start(workDir)) {
      String topic = "soak-events";
      broker.createTopic(topic, partitions);
      broker.createTopic(SCORES_TOPIC, partitions);
      Lakehouse lakehouse = Lakehouse.at(
          workDir.toAbsolutePath().resolve("warehouse-soak-" + stamp).toString());
      int p = parallelism > 0 ? parallelism : LocalFlink.defaultParallelism();
      Configuration conf = StreamCommand.configuration(p,
          workDir.resolve("checkpoints-soak-" + stamp).toString(), null);
      int restPort = LocalKafkaBroker.freePort();
      conf.setString("rest.bind-address", "127.0.0.1");
      conf.setString("rest.address", "127.0.0.1");
      conf.setString("rest.bind-port", Integer.toString(restPort));
      conf.setString("rest.port", Integer.toString(restPort));
      StreamingJob job = StreamingJob.builder().bootstrapServers(broker.bootstrap()).topic(topic)
          .scoresTopic(SCORES_TOPIC).groupId(GROUP).startingOffsets("earliest")
          .lakehouse(lakehouse).model(contract).checkpointInterval(checkpointInterval)
          .maintenance(maintenance.plan()).build();
      job.prepareTables();
      StreamExecutionEnvironment env = job.environment(conf);
      job.addTo(env);
      JobClient client = env.executeAsync("bench-soak");
      Rest rest = new Rest("http://127.0.0.1:" + restPort, client.getJobID().toString());
      System.err.printf("bench soak: %,.1f min at %,.0f events/s, %,d events of history over %d "
          + "days (original event times: about %.1f days of event time per minute), samples "
          + "every %d s into %s%n", minutes, rate, history, days,
          days * Math.min(1.0, (double) toSend / history) / minutes,
          sampleInterval.toSeconds(), csv);

      Replay.Options ro = new Replay.Options();
      ro.input = data;
      ro.bootstrapServers = broker.bootstrap();
      ro.topic = topic;
      ro.stampNow = false; // original event times: event time runs ahead, TTLs fire
      ro.rate = rate;
      ro.limit = toSend;
      // a broker slowed down by a busy machine delays records; it should not end the run
      ro.kafkaProperties.put("delivery.timeout.ms", "900000");
      AtomicReference<Throwable> replayError = new AtomicReference<>();
      Thread replay = new Thread(() -> {
        try {
          new Replay(ro).run(new PrintStream(OutputStream.nullOutputStream()));
        } catch (InterruptedException | org.apache.kafka.common.errors.InterruptException e) {
          // stopped by the end of the soak (the producer reports an interrupted flush or send
          // with Kafka's own unchecked exception): not a failure of the replay
          Thread.currentThread().interrupt();
        } catch (Throwable t) {
          replayError.set(t);
        }
      }, "soak-replay");
      Latencies latencies = new Latencies();
      ScoreReader scores = new ScoreReader(broker.bootstrap(), latencies);
      // the clock starts when the job runs (all tasks up: a first checkpoint completed), so its
      // deployment is neither in the samples nor in the latency
      awaitFirstCheckpoint(client, rest);
      replay.start();
      scores.start();

      List<SoakReport.Sample> samples = new ArrayList<>();
      long start = System.nanoTime();
      long end = start + (long) (minutes * 60e9);
      long next = start;
      JobStatus status = JobStatus.RUNNING;
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrap()))) {
        while (System.nanoTime() < end) {
          next += sampleInterval.toNanos();
          long wait = (Math.min(next, end) - System.nanoTime()) / 1_000_000;
          if (wait > 0) {
            Thread.sleep(wait); // a sampling clock, not a wait for a condition
          }
          status = client.getJobStatus().get(60, TimeUnit.SECONDS);
          if (status.isTerminalState() || replayError.get() != null) {
            break;
          }
          SoakReport.Sample s = sample(admin, topic, rest, latencies,
              (System.nanoTime() - start) / 1e9);
          samples.add(s);
          SoakReport.appendCsv(csv, s);
          System.err.println(line(s));
        }
      } finally {
        replay.interrupt();
        scores.stop();
        replay.join(30_000);
        if (!client.getJobStatus().get().isTerminalState()) {
          JobRunner.cancelAndAwait(client, Duration.ofSeconds(120));
        }
      }
      SoakReport.writePng(samples, String.format(Locale.ROOT,
          "bench soak: %,.0f events/s for %.0f min, %d days of history, parallelism %d, "
              + "checkpoints every %d s", rate, minutes, days, p, checkpointInterval.toSeconds()),
          png);
      summary(System.out, samples, latencies, csv, png);
      if (replayError.get() != null) {
        System.err.println("bench soak: the replay failed: " + replayError.get().getMessage());
        return 4;
      }
      if (status.isTerminalState()) {
        System.err.println("bench soak: the job ended early: " + status);
        return 4;
      }
      return 0;
    }
  }

  private static void awaitFirstCheckpoint(JobClient client, Rest rest) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (true) {
      if (client.getJobStatus().get().isTerminalState()) {
        throw new IllegalStateException("the job ended before its first checkpoint");
      }
      try {
        if (rest.get("/checkpoints").path("counts").path("completed").asLong(0) > 0) {
          return;
        }
      } catch (IOException e) {
        // the REST endpoint is still starting
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no checkpoint completed within 5 minutes of the start");
      }
      Thread.sleep(1000);
    }
  }

  private SoakReport.Sample sample(Admin admin, String topic, Rest rest, Latencies latencies,
      double elapsed) throws Exception {
    // consumer lag: end offsets minus the offsets the source commits on each checkpoint
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    for (int i = 0; i < partitions; i++) {
      latest.put(new TopicPartition(topic, i), OffsetSpec.latest());
    }
    long inTopic = 0;
    long lag = 0;
    try {
      Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(GROUP)
          .partitionsToOffsetAndMetadata().get(20, TimeUnit.SECONDS);
      for (var e : admin.listOffsets(latest).all().get(20, TimeUnit.SECONDS).entrySet()) {
        long endOffset = e.getValue().offset();
        OffsetAndMetadata c = committed.get(e.getKey());
        inTopic += endOffset;
        lag += endOffset - (c == null ? 0 : c.offset());
      }
    } catch (ExecutionException | TimeoutException e) {
      // a busy broker may not answer in time: a gap in the lag, not the end of the run
      System.err.println("bench soak: consumer lag unavailable: " + e);
      inTopic = -1;
      lag = -1;
    }

    long completed = -1;
    long id = -1;
    long size = -1;
    long duration = -1;
    long[] stages = {-1, -1, -1};
    long watermark = -1;
    try {
      JsonNode cps = rest.get("/checkpoints");
      completed = cps.path("counts").path("completed").asLong(0);
      JsonNode last = cps.path("latest").path("completed");
      if (last.isObject()) {
        id = last.path("id").asLong();
        size = last.path("state_size").asLong();
        duration = last.path("end_to_end_duration").asLong();
        JsonNode tasks = rest.get("/checkpoints/details/" + id).path("tasks");
        for (var v : rest.stageVertices().entrySet()) {
          stages[v.getValue()] = tasks.path(v.getKey()).path("state_size").asLong(-1);
        }
      }
      watermark = rest.watermark();
    } catch (IOException e) {
      System.err.println("bench soak: REST: " + e.getMessage());
    }

    long heapAfterGc = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      MemoryUsage u = pool.getType() == MemoryType.HEAP ? pool.getCollectionUsage() : null;
      heapAfterGc += u == null ? 0 : u.getUsed();
    }
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();

    long[] lat = latencies.drain();
    Arrays.sort(lat);
    return new SoakReport.Sample(elapsed, inTopic, lag, completed, id, size, duration, stages[0],
        stages[1], stages[2], heap, heapAfterGc, watermark, lat.length,
        SoakReport.percentile(lat, lat.length, 0.50), SoakReport.percentile(lat, lat.length, 0.99));
  }

  private static String line(SoakReport.Sample s) {
    return String.format(Locale.ROOT, "soak %6.0fs: %,d in topic, lag %,d; checkpoint %d: %s "
            + "(cart %s, user %s, product %s) in %,d ms; heap %,d MiB (after GC %,d MiB); "
            + "watermark %s; %,d scored, latency p50 %,d ms p99 %,d ms", s.elapsedSeconds(),
        s.eventsInTopic(), s.consumerLag(), s.checkpointId(), mib(s.checkpointStateBytes()),
        mib(s.cartStateBytes()), mib(s.userStateBytes()), mib(s.productStateBytes()),
        s.checkpointDurationMillis(), s.heapUsedBytes() >> 20, s.heapAfterGcBytes() >> 20,
        s.watermarkMillis() > 0 ? Instant.ofEpochMilli(s.watermarkMillis()).toString() : "-",
        s.scored(), s.latencyP50Millis(), s.latencyP99Millis());
  }

  private static String mib(long bytes) {
    return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.1f MiB", bytes / 1048576.0);
  }

  private static void summary(PrintStream o, List<SoakReport.Sample> samples, Latencies all,
      Path csv, Path png) {
    o.println(TimedProcess.machine());
    if (samples.isEmpty()) {
      o.println("bench soak: no samples");
      return;
    }
    SoakReport.Sample last = samples.get(samples.size() - 1);
    SoakReport.Sample peak = samples.stream()
        .max((a, b) -> Long.compare(a.checkpointStateBytes(), b.checkpointStateBytes())).get();
    SoakReport.Sample cartPeak = samples.stream()
        .max((a, b) -> Long.compare(a.cartStateBytes(), b.cartStateBytes())).get();
    long maxDuration = samples.stream().mapToLong(SoakReport.Sample::checkpointDurationMillis)
        .max().orElse(-1);
    long maxLag = samples.stream().mapToLong(SoakReport.Sample::consumerLag).max().orElse(-1);
    long[] lat = all.everything();
    Arrays.sort(lat);
    o.printf(Locale.ROOT, "bench soak: %d samples over %.1f min, %,d events in the topic, "
        + "%d checkpoints completed%n", samples.size(), last.elapsedSeconds() / 60,
        samples.stream().mapToLong(SoakReport.Sample::eventsInTopic).max().orElse(-1),
        samples.stream().mapToLong(SoakReport.Sample::checkpointsCompleted).max().orElse(-1));
    o.printf(Locale.ROOT, "State (checkpointed): peak %s at %.1f min, last %s; cart stage peak "
        + "%s at %.1f min, last %s; user stage last %s; product stage last %s%n",
        mib(peak.checkpointStateBytes()), peak.elapsedSeconds() / 60,
        mib(last.checkpointStateBytes()), mib(cartPeak.cartStateBytes()),
        cartPeak.elapsedSeconds() / 60, mib(last.cartStateBytes()), mib(last.userStateBytes()),
        mib(last.productStateBytes()));
    o.printf(Locale.ROOT, "Checkpoint duration: max %,d ms, last %,d ms; consumer lag: max %,d, "
        + "last %,d records%n", maxDuration, last.checkpointDurationMillis(), maxLag,
        last.consumerLag());
    o.printf(Locale.ROOT, "Ingest-to-score latency over the run: %,d scores, p50 %,d ms, p99 %,d "
        + "ms, max %,d ms%n", lat.length, SoakReport.percentile(lat, lat.length, 0.5),
        SoakReport.percentile(lat, lat.length, 0.99), lat.length == 0 ? -1 : lat[lat.length - 1]);
    o.printf("Heap: last %,d MiB used, %,d MiB after the last GC%n", last.heapUsedBytes() >> 20,
        last.heapAfterGcBytes() >> 20);
    o.println("CSV: " + csv.toAbsolutePath());
    o.println("PNG: " + png.toAbsolutePath());
  }

  /** Ingest-to-score latencies (ms) received since the last drain, and all of them. */
  static final class Latencies {
    private long[] interval = new long[4096];
    private int n;
    private long[] all = new long[4096];
    private int total;

    synchronized void add(long millis) {
      if (n == interval.length) {
        interval = Arrays.copyOf(interval, n * 2);
      }
      interval[n++] = millis;
      if (total == all.length) {
        all = Arrays.copyOf(all, total * 2);
      }
      all[total++] = millis;
    }

    synchronized long[] drain() {
      long[] out = Arrays.copyOf(interval, n);
      n = 0;
      return out;
    }

    synchronized long[] everything() {
      return Arrays.copyOf(all, total);
    }
  }

  /** Reads the scores topic and records scored_at - ingested_at of each score. */
  private final class ScoreReader {
    private final String bootstrap;
    private final Latencies latencies;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    ScoreReader(String bootstrap, Latencies latencies) {
      this.bootstrap = bootstrap;
      this.latencies = latencies;
      this.thread = new Thread(this::read, "soak-scores");
    }

    void start() {
      thread.start();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(30_000);
    }

    private void read() {
      Map<String, Object> cfg = new HashMap<>();
      cfg.put("bootstrap.servers", bootstrap);
      cfg.put("group.id", "soak-reader-" + System.nanoTime());
      cfg.put("auto.offset.reset", "earliest");
      cfg.put("key.deserializer", ByteArrayDeserializer.class.getName());
      cfg.put("value.deserializer", ByteArrayDeserializer.class.getName());
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cfg)) {
        c.subscribe(List.of(SCORES_TOPIC));
        while (running.get()) {
          for (var r : c.poll(Duration.ofMillis(500))) {
            JsonNode score = json.readTree(r.value());
            latencies.add(Instant.parse(score.get("scored_at").asText()).toEpochMilli()
                - Instant.parse(score.get("ingested_at").asText()).toEpochMilli());
          }
        }
      } catch (Exception e) {
        System.err.println("bench soak: reading the scores failed: " + e);
      }
    }
  }

  /** The job's REST API (the MiniCluster's endpoint). */
  private final class Rest {
    private final String base;
    private final String job;
    private Map<String, Integer> stageVertices;
    private String cartVertex;

    Rest(String base, String jobId) {
      this.base = base;
      this.job = base + "/jobs/" + jobId;
    }

    JsonNode get(String path) throws IOException {
      return getUrl(job + path);
    }

    private JsonNode getUrl(String url) throws IOException {
      try {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) {
          throw new IOException(url + " answered " + r.statusCode());
        }
        return json.readTree(r.body());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }

    /** Vertex id -> 0 cart, 1 user, 2 product: the keyed feature stages (by name). */
    Map<String, Integer> stageVertices() throws IOException {
      if (stageVertices == null) {
        Map<String, Integer> found = new HashMap<>();
        for (JsonNode v : get("").path("vertices")) {
          String name = v.path("name").asText().replaceFirst("^\\[\\d+\\]:", "");
          int stage = name.startsWith("cart+") ? 0 : name.startsWith("user+") ? 1
              : name.startsWith("product-features") ? 2 : -1;
          if (stage >= 0) {
            found.put(v.path("id").asText(), stage);
            if (stage == 0) {
              cartVertex = v.path("id").asText();
            }
          }
        }
        if (found.size() != 3) {
          System.err.println("bench soak: feature stage vertices not all found by name: "
              + get("").path("vertices").findValuesAsText("name"));
        }
        stageVertices = found;
      }
      return stageVertices;
    }

    /** The cart stage's input watermark (lowest subtask), -1 before there is one. */
    long watermark() throws IOException {
      stageVertices();
      if (cartVertex == null) {
        return -1;
      }
      long min = Long.MAX_VALUE;
      for (JsonNode w : get("/vertices/" + cartVertex + "/watermarks")) {
        min = Math.min(min, w.path("value").asLong(Long.MIN_VALUE));
      }
      return min == Long.MAX_VALUE || min <= 0 ? -1 : min;
    }
  }
}
