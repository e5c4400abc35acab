package io.clickstream.propensity.cli;

import io.clickstream.propensity.events.synthetic.ClickstreamGenerator;
import io.clickstream.propensity.features.SessionPolicy;
import io.clickstream.propensity.jobs.BackfillJob;
import io.clickstream.propensity.jobs.BackfillReport;
import io.clickstream.propensity.jobs.JobRunner;
import io.clickstream.propensity.jobs.MeasuredRun;
import io.clickstream.propensity.jobs.StreamingJob;
import io.clickstream.propensity.kafka.KafkaNames;
import io.clickstream.propensity.kafka.LocalKafkaBroker;
import io.clickstream.propensity.kafka.Replay;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.scoring.ModelContract;
import io.clickstream.propensity.scoring.ScoreSummary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks that print measured figures (not tests).",
    subcommands = {BenchCommand.Backfill.class, BenchCommand.Stream.class})
public final class BenchCommand {

  /** The generated input of a benchmark, generated once per (events, seed) and reused. */
  static Path generatedData(Path workDir, long events, long seed) throws IOException {
    Files.createDirectories(workDir);
    Path data = workDir.resolve("bench-" + events + "-" + seed + ".csv");
    if (!Files.exists(data)) {
      System.err.printf("Generating %,d events (seed %d) into %s%n", events, seed, data);
      ClickstreamGenerator.builder().events(events).seed(seed).build().writeTo(data);
    }
    return data;
  }

  @Command(
      name = "backfill",
      mixinStandardHelpOptions = true,
      description = "Generates N events, backfills them into a fresh warehouse and prints events/s, "
          + "wall time per stage and peak memory.")
  static final class Backfill implements Callable<Integer> {
    @Option(names = {"-n", "--events"}, defaultValue = "1000000",
        description = "Events to generate (default: ${DEFAULT-VALUE})")
    long events;

    @Option(names = "--seed", defaultValue = "42", description = "Generator seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--work-dir", defaultValue = "work/bench", paramLabel = "DIR",
        description = "Where the data and the warehouse go (default: ${DEFAULT-VALUE})")
    Path workDir;

    @Option(names = {"-p", "--parallelism"}, defaultValue = "0",
        description = "Flink parallelism (default: number of cores)")
    int parallelism;

    @Override
    public Integer call() throws Exception {
      Path data = generatedData(workDir, events, seed);
      Path wh = workDir.resolve("warehouse-" + System.currentTimeMillis());
      Lakehouse lakehouse = Lakehouse.at(wh.toString());
      int p = parallelism > 0 ? parallelism : LocalFlink.defaultParallelism();
      Configuration conf = LocalFlink.configuration(p);
      StreamExecutionEnvironment env = BackfillJob.batchEnvironment(conf);
      long start = System.currentTimeMillis();
      BackfillJob.builder().inputs(List.of(data.toString())).lakehouse(lakehouse)
          .sessionPolicy(SessionPolicy.DEFAULT).build().addTo(env);
      MeasuredRun run = MeasuredRun.run(env, conf, p, "bench-backfill");
      long elapsed = System.currentTimeMillis() - start;
      BackfillReport report = BackfillReport.of(lakehouse, run.result, elapsed);
      System.out.printf("bench backfill: %,d events, parallelism %d, %d cores, max heap %,d MiB%n",
          events, p, Runtime.getRuntime().availableProcessors(),
          Runtime.getRuntime().maxMemory() / (1024 * 1024));
      report.print(System.out);
      System.out.printf("Job wall time %.1f s (cluster start + job + Iceberg commits: %.1f s end to end "
          + "incl. table preparation)%n", run.wallMillis / 1000.0, elapsed / 1000.0);
      run.printStages(System.out);
      System.out.printf("Peak memory: RSS %,d MiB (whole JVM), heap %,d MiB%n",
          MeasuredRun.peakRssMiB(), MeasuredRun.peakHeapMiB());
      return report.reconciles() ? 0 : 3;
    }
  }

  @Command(
      name = "stream",
      mixinStandardHelpOptions = true,
      description = {
        "Replays N generated events through a local Kafka broker into the streaming job, with "
            + "event times stamped at send time (live traffic), and prints sustained events/s and "
            + "p50/p95/p99 ingest-to-score latency.",
        "--rate 0 offers as fast as the producer can (throughput); --rate R paces the offer "
            + "(latency at that rate)."
      })
  static final class Stream implements Callable<Integer> {
    @Option(names = {"-n", "--events"}, defaultValue = "200000",
        description = "Events to replay (default: ${DEFAULT-VALUE})")
    long events;

    @Option(names = "--rate", defaultValue = "5000",
        description = "Offered events/s, 0 = unpaced (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--seed", defaultValue = "42", description = "Generator seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--model", defaultValue = "model-artifacts", paramLabel = "DIR",
        description = "Model to score with (default: ${DEFAULT-VALUE})")
    Path model;

    @Option(names = "--exactly-once-scores", description = "Kafka transactions for the scores")
    boolean exactlyOnceScores;

    @Option(names = "--work-dir", defaultValue = "work/bench", paramLabel = "DIR",
        description = "Where the data, broker and warehouse go (default: ${DEFAULT-VALUE})")
    Path workDir;

    @Option(names = {"-p", "--parallelism"}, defaultValue = "0",
        description = "Flink parallelism (default: number of cores)")
    int parallelism;

    @Option(names = "--warmup-events", defaultValue = "100000",
        description = "Events replayed at the same rate before the measured ones (other generated "
            + "users' traffic), so the figures are of a warm JVM, not of its JIT compiling the "
            + "job; 0 = none (default: ${DEFAULT-VALUE})")
    long warmupEvents;

    @Option(names = "--checkpoint-interval", defaultValue = "30s",
        converter = DurationConverter.class,
        description = "Checkpoint interval, as in `stream` (default: ${DEFAULT-VALUE})")
    Duration checkpointInterval;

    @Override
    public Integer call() throws Exception {
      ModelContract contract =
          ModelContract.load(model);
      Path data = generatedData(workDir, events, seed);
      LocalKafkaBroker broker =
          new LocalKafkaBroker(workDir.resolve("kafka-" + System.currentTimeMillis()),
              LocalKafkaBroker.configuredLib().orElseThrow(
                  () -> new IllegalStateException("Kafka broker jars missing: run via bin/clickstream")));
      String bootstrap = broker.start(LocalKafkaBroker.freePort(), 2, Duration.ofSeconds(90), System.err)
          .bootstrapServers();
      try {
        String topic = "bench-events";
        try (Admin admin = Admin.create(
            Map.of("bootstrap.servers", bootstrap))) {
          admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1)))
              .all().get();
        }
        Lakehouse lakehouse = Lakehouse.at(workDir.resolve("warehouse-stream-" + System.currentTimeMillis()).toString());
        int p = parallelism > 0 ? parallelism : LocalFlink.defaultParallelism();
        Configuration conf = StreamCommand.configuration(p,
            workDir.resolve("checkpoints").toString(), null);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        StreamingJob.builder().bootstrapServers(bootstrap).topic(topic)
            .groupId("bench").startingOffsets("earliest").lakehouse(lakehouse).model(contract)
            .exactlyOnceScores(exactlyOnceScores).checkpointInterval(checkpointInterval)
            .build().addTo(env);
        JobClient job = env.executeAsync("bench-stream");

        // the job must be deployed and consuming before the offer starts, or its start-up time
        // would be measured as latency: send one probe event and wait for its score
        awaitProbeScored(bootstrap, topic);

        if (warmupEvents > 0) {
          Path warmup = generatedData(workDir, warmupEvents, seed + 1);
          System.err.printf("bench: warm-up, %,d events%n", warmupEvents);
          new Replay(replayOptions(warmup, bootstrap, topic))
              .run(System.err);
        }
        long start = System.currentTimeMillis();
        Replay.Summary sent =
            new Replay(replayOptions(data, bootstrap, topic))
                .run(System.err);

        // wait for the scores topic to carry one score per scored event (consumer, no sleeps)
        // scores reach gold.session_scores on checkpoints: stay past two of them after the last
        awaitScores(bootstrap, KafkaNames.SCORES_TOPIC, start,
            Math.max(15_000, 2 * checkpointInterval.toMillis() + 2_000));
        JobRunner.cancelAndAwait(job, Duration.ofSeconds(120));
        // the measured events only: ingested (sent) after the warm-up
        ScoreSummary summary = ScoreSummary
            .ofIngestedSince(lakehouse.load(LakehouseTable.GOLD_SESSION_SCORES), start);
        System.out.printf("bench stream: %,d events offered at %s after %,d warm-up events, "
            + "parallelism %d, %d cores, scores %s, checkpoints every %d ms%n", sent.sent(),
            rate > 0 ? String.format("%,.0f/s", rate) : "max rate", warmupEvents,
            p, Runtime.getRuntime().availableProcessors(),
            exactlyOnceScores ? "exactly-once" : "at-least-once", checkpointInterval.toMillis());
        System.out.printf("Offered: %,.0f events/s achieved by the producer%n", sent.eventsPerSecond());
        // wall time from the first send to the last score (scored_at, the job's clock)
        double seconds = (summary.lastScoredAt - start) / 1000.0;
        System.out.printf("Sustained: %,d records (%,d of them scored; the rest are purchases, "
            + "exact duplicates and rejected records) in %.1f s from first send to last score = "
            + "%,.0f records/s%n", sent.sent(), summary.scores, seconds, sent.sent() / seconds);
        summary.print(System.out);
        System.out.printf("Peak memory: RSS %,d MiB (whole JVM incl. MiniCluster), heap %,d MiB%n",
            MeasuredRun.peakRssMiB(),
            MeasuredRun.peakHeapMiB());
        return 0;
      } finally {
        broker.stop(Duration.ofSeconds(15), System.err);
      }
    }


    private Replay.Options replayOptions(Path input, String bootstrap,
        String topic) {
      Replay.Options ro = new Replay.Options();
      ro.input = input;
      ro.bootstrapServers = bootstrap;
      ro.topic = topic;
      ro.stampNow = true;
      ro.rate = rate > 0 ? rate : null;
      return ro;
    }

    private static Map<String, Object> consumerConfig(String bootstrap, String group) {
      Map<String, Object> cfg = new HashMap<>();
      cfg.put("bootstrap.servers", bootstrap);
      cfg.put("group.id", group);
      cfg.put("auto.offset.reset", "earliest");
      cfg.put("isolation.level", "read_committed");
      cfg.put("key.deserializer", ByteArrayDeserializer.class.getName());
      cfg.put("value.deserializer", ByteArrayDeserializer.class.getName());
      return cfg;
    }

    private static void awaitProbeScored(String bootstrap, String topic) throws Exception {
      Map<String, Object> p = new HashMap<>();
      p.put("bootstrap.servers", bootstrap);
      p.put("key.serializer", StringSerializer.class.getName());
      p.put("value.serializer", StringSerializer.class.getName());
      String probe = "{\"event_time\":\"" + Instant.now().truncatedTo(ChronoUnit.SECONDS)
          + "\",\"event_type\":\"view\",\"product_id\":1,\"price\":1.0,\"user_id\":1,"
          + "\"user_session\":\"bench-probe\"}";
      try (var producer = new KafkaProducer<String, String>(p)) {
        producer.send(new ProducerRecord<>(topic, "1", probe)).get();
      }
      long deadline = System.currentTimeMillis() + 180_000;
      try (var c = new KafkaConsumer<byte[], byte[]>(
          consumerConfig(bootstrap, "bench-probe-" + System.nanoTime()))) {
        c.subscribe(List.of(KafkaNames.SCORES_TOPIC));
        while (c.poll(Duration.ofMillis(500)).isEmpty()) {
          if (System.currentTimeMillis() > deadline) {
            throw new IllegalStateException("the streaming job scored nothing within 3 minutes");
          }
        }
      }
      System.err.println("bench: job is scoring; starting the offer");
    }

    /** Consumes the scores topic until it stops growing after the replay (read-committed). */
    private void awaitScores(String bootstrap, String topic, long start, long quietMillis) {
      Map<String, Object> cfg = consumerConfig(bootstrap, "bench-reader-" + start);
      Set<String> ids = new HashSet<>();
      long quietSince = System.currentTimeMillis();
      try (KafkaConsumer<byte[], byte[]> c =
          new KafkaConsumer<>(cfg)) {
        c.subscribe(List.of(topic));
        // stop after quietMillis without new scores (the job has caught up) or 10 min in all
        while (System.currentTimeMillis() - quietSince < quietMillis
            && System.currentTimeMillis() - start < 600_000) {
          var records = c.poll(Duration.ofMillis(500));
          for (var r : records) {
            if (ids.add(new String(r.key(), StandardCharsets.UTF_8))) {
              quietSince = System.currentTimeMillis();
            }
          }
        }
      }
    }
  }
}
