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
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks that print measured figures (not tests).",
    subcommands = {BenchCommand.Backfill.class, BenchCommand.Stream.class, BenchTables.class,
        BenchSoak.class})
public final class BenchCommand {

  /** Generated benchmark input over {@code days} days: once per (events, seed, days), reused. */
  static Path generatedData(Path workDir, long events, long seed, int days) throws IOException {
    Files.createDirectories(workDir);
    Path data = workDir.resolve("bench-" + events + "-" + seed
        + (days == ClickstreamGenerator.DEFAULT_DAYS ? "" : "-" + days + "d") + ".csv");
    if (!Files.exists(data)) {
      System.err.printf("Generating %,d events over %d days (seed %d) into %s%n", events, days,
          seed, data);
      ClickstreamGenerator.builder().events(events).seed(seed).days(days).build().writeTo(data);
    }
    return data.toAbsolutePath();
  }

  @Command(
      name = "backfill",
      mixinStandardHelpOptions = true,
      description = {
        "Backfills a CSV (generated, or --input) into a fresh warehouse and prints distinct "
            + "events/s, wall time per stage and peak memory.",
        "With --peer DIR: runs `backfill` and the Spark peer alternately on the same CSV, each as "
            + "its own process timed by /usr/bin/time -v, --runs times each, and prints every "
            + "run, the medians and the ratio."
      })
  static final class Backfill implements Callable<Integer> {
    @Option(names = {"-n", "--events"}, defaultValue = "1000000",
        description = "Events to generate when there is no --input (default: ${DEFAULT-VALUE})")
    long events;

    @Option(names = "--days", defaultValue = "" + ClickstreamGenerator.DEFAULT_DAYS,
        description = "Days of history to generate (default: ${DEFAULT-VALUE})")
    int days;

    @Option(names = "--seed", defaultValue = "42", description = "Generator seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = {"-i", "--input"}, paramLabel = "FILE",
        description = "An existing CSV to backfill instead of generated data")
    Path input;

    @Option(names = "--peer", paramLabel = "DIR",
        description = "A copy of the Spark peer (its run.sh): compare against it, alternating runs")
    Path peer;

    @Option(names = "--peer-format", defaultValue = "iceberg",
        description = "The peer's output format, iceberg or parquet (default: ${DEFAULT-VALUE})")
    String peerFormat;

    @Option(names = "--runs", defaultValue = "2",
        description = "Runs per side with --peer, at least 2 (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--keep-output",
        description = "With --peer: keep each run's warehouse and peer output (default: deleted "
            + "after the run's counts are read)")
    boolean keepOutput;

    @Option(names = "--work-dir", defaultValue = "work/bench", paramLabel = "DIR",
        description = "Where the data and the warehouse go (default: ${DEFAULT-VALUE})")
    Path workDir;

    @Option(names = {"-p", "--parallelism"}, defaultValue = "0",
        description = "Flink parallelism (default: number of cores)")
    int parallelism;

    @Override
    public Integer call() throws Exception {
      Path data = input != null ? requireFile(input) : generatedData(workDir, events, seed, days);
      if (peer != null) {
        return new PeerComparison(this, data).run();
      }
      Path wh = workDir.resolve("warehouse-" + System.currentTimeMillis());
      Lakehouse lakehouse = Lakehouse.at(wh.toString());
      int p = parallelism > 0 ? parallelism : LocalFlink.defaultParallelism();
      Configuration conf = LocalFlink.configuration(p);
      StreamExecutionEnvironment env = BackfillJob.batchEnvironment(conf);
      long start = System.currentTimeMillis();
      BackfillJob job = BackfillJob.builder().inputs(List.of(data.toString())).lakehouse(lakehouse)
          .sessionPolicy(SessionPolicy.DEFAULT).build();
      job.prepareTables();
      job.addTo(env);
      MeasuredRun run = MeasuredRun.run(env, conf, p, "bench-backfill");
      job.publish();
      long elapsed = System.currentTimeMillis() - start;
      BackfillReport report = BackfillReport.of(lakehouse, run.result, elapsed);
      System.out.println(TimedProcess.machine());
      System.out.printf("bench backfill: %s, parallelism %d, max heap %,d MiB%n",
          data, p, Runtime.getRuntime().maxMemory() / (1024 * 1024));
      report.print(System.out);
      long silver = silverRows(lakehouse);
      System.out.printf("Distinct events (silver rows): %,d in %.1f s end to end = %,.0f distinct "
          + "events/s%n", silver, elapsed / 1000.0, silver / (elapsed / 1000.0));
      System.out.printf("Job wall time %.1f s (cluster start + job + Iceberg commits: %.1f s end to end "
          + "incl. table preparation)%n", run.wallMillis / 1000.0, elapsed / 1000.0);
      run.printStages(System.out);
      System.out.printf("Peak memory: RSS %,d MiB (whole JVM), heap %,d MiB%n",
          MeasuredRun.peakRssMiB(), MeasuredRun.peakHeapMiB());
      return report.reconciles() ? 0 : 3;
    }
  }

  /** A local Kafka broker process under {@code workDir} for one benchmark; close() stops it. */
  record BenchBroker(LocalKafkaBroker broker, String bootstrap) implements AutoCloseable {
    static BenchBroker start(Path workDir) throws IOException, InterruptedException {
      LocalKafkaBroker broker =
          new LocalKafkaBroker(workDir.resolve("kafka-" + System.currentTimeMillis()),
              LocalKafkaBroker.configuredLib().orElseThrow(
                  () -> new IllegalStateException("Kafka broker jars missing: run via bin/clickstream")));
      return new BenchBroker(broker,
          broker.start(LocalKafkaBroker.freePort(), 2, Duration.ofSeconds(90), System.err)
              .bootstrapServers());
    }

    /**
     * A topic that keeps its records however old their timestamps: replays with original event
     * times are years old, and time-based retention would delete them under the running job.
     */
    void createTopic(String topic, int partitions) throws Exception {
      try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
        admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1)
            .configs(Map.of("retention.ms", "-1")))).all().get();
      }
    }

    @Override
    public void close() throws IOException, InterruptedException {
      broker.stop(Duration.ofSeconds(15), System.err);
    }
  }

  static Path requireFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("--input " + file + " is not a file");
    }
    return file.toAbsolutePath();
  }

  static long silverRows(Lakehouse lakehouse) {
    return totalRecords(lakehouse.load(LakehouseTable.SILVER_EVENTS));
  }

  /** Rows in the table's current snapshot (from its summary: no scan). */
  static long totalRecords(org.apache.iceberg.Table table) {
    table.refresh();
    var snap = table.currentSnapshot();
    return snap == null ? 0 : Long.parseLong(snap.summary().getOrDefault("total-records", "0"));
  }

  /** Ours and the Spark peer on the same CSV, alternating, each in its own timed process. */
  static final class PeerComparison {
    private static final Pattern PEER_SILVER = Pattern.compile("(?m)^silver\\s+[0-9.]+\\s+([0-9,]+)\\s*$");
    private final Backfill o;
    private final Path data;
    private final Path runDir;

    PeerComparison(Backfill options, Path data) {
      this.o = options;
      this.data = data;
      this.runDir = options.workDir.toAbsolutePath().resolve("compare-" + System.currentTimeMillis());
    }

    int run() throws Exception {
      if (o.runs < 2) {
        throw new IllegalArgumentException("--runs must be at least 2 (a median of one run is noise)");
      }
      if (!o.peerFormat.equals("iceberg") && !o.peerFormat.equals("parquet")) {
        throw new IllegalArgumentException("--peer-format must be iceberg or parquet");
      }
      Path script = o.peer.toAbsolutePath().resolve("run.sh");
      if (!Files.isExecutable(script)) {
        throw new IllegalArgumentException("--peer " + o.peer + " has no executable run.sh: pass a "
            + "copy of the Spark peer's folder");
      }
      Files.createDirectories(runDir);
      buildPeer(script);
      System.err.printf("bench backfill: %s, %d alternating runs per side, logs in %s%n", data,
          o.runs, runDir);
      List<Row> rows = new ArrayList<>();
      for (int i = 1; i <= o.runs; i++) {
        rows.add(runOurs(i));
        rows.add(runPeer(script, i));
      }
      print(rows);
      return rows.stream().allMatch(r -> r.process.exitCode() == 0) ? 0 : 4;
    }

    /** The peer builds itself on its first run: do that untimed, on the first lines of the CSV. */
    private void buildPeer(Path script) throws Exception {
      Path tiny = runDir.resolve("peer-build-input.csv");
      try (var lines = Files.lines(data)) {
        Files.write(tiny, (Iterable<String>) lines.limit(2_001)::iterator);
      }
      System.err.println("bench backfill: peer warm-up (builds it if needed; not measured)");
      TimedProcess warm = TimedProcess.run(
          List.of(script.toString(), tiny.toString(), runDir.resolve("peer-build-out").toString(),
              o.peerFormat), runDir.resolve("peer-build.log"));
      if (warm.exitCode() != 0) {
        throw new IllegalStateException("the peer failed on a tiny input; see "
            + runDir.resolve("peer-build.log"));
      }
      deleteTree(runDir.resolve("peer-build-out"));
    }

    private Row runOurs(int i) throws Exception {
      Path wh = runDir.resolve("warehouse-" + i);
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse("java"));
      // the JVM options bin/clickstream gave this JVM (heap, GC, opens, log config)
      cmd.addAll(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ClickstreamCli.class.getName(),
          "backfill", "--input", data.toString(), "--warehouse", wh.toString()));
      if (o.parallelism > 0) {
        cmd.addAll(List.of("-p", Integer.toString(o.parallelism)));
      }
      System.err.printf("bench backfill: run %d, clickstream%n", i);
      TimedProcess t = TimedProcess.run(cmd, runDir.resolve("clickstream-" + i + ".log"));
      long silver = t.exitCode() == 0 ? silverRows(Lakehouse.at(wh.toString())) : -1;
      if (!o.keepOutput) {
        deleteTree(wh);
      }
      return new Row(i, "clickstream backfill", t, silver);
    }

    private Row runPeer(Path script, int i) throws Exception {
      Path out = runDir.resolve("peer-out-" + i);
      System.err.printf("bench backfill: run %d, spark-seed (%s)%n", i, o.peerFormat);
      TimedProcess t = TimedProcess.run(
          List.of(script.toString(), data.toString(), out.toString(), o.peerFormat),
          runDir.resolve("spark-seed-" + i + ".log"));
      Matcher m = PEER_SILVER.matcher(Files.readString(t.log()));
      long silver = m.find() ? Long.parseLong(m.group(1).replace(",", "")) : -1;
      if (!o.keepOutput) {
        deleteTree(out);
      }
      return new Row(i, "spark-seed " + o.peerFormat, t, silver);
    }

    private void print(List<Row> rows) {
      PrintStream out = System.out;
      out.println(TimedProcess.machine());
      out.printf("bench backfill vs peer: %s (%,d bytes), %d alternating runs per side, "
          + "each a separate process under /usr/bin/time -v%n", data, size(data), o.runs);
      long distinct = rows.stream().filter(r -> r.side.startsWith("clickstream"))
          .mapToLong(r -> r.silver).max().orElse(-1);
      out.printf("events/s = distinct events (our silver rows: %,d) / wall time of the whole "
          + "process, for both sides%n%n", distinct);
      String fmt = "%-8s %-22s %9s %9s %10s %13s %11s %5s%n";
      out.printf(fmt, "run", "side", "wall s", "CPU s", "peak RSS", "silver rows", "events/s", "rc");
      for (Row r : rows) {
        out.printf(fmt, r.run, r.side, String.format("%.1f", r.process.wallSeconds()),
            String.format("%.1f", r.process.cpuSeconds()),
            String.format("%,d MiB", r.process.peakRssMiB()), String.format("%,d", r.silver),
            String.format("%,.0f", distinct / r.process.wallSeconds()), r.process.exitCode());
      }
      Median ours = Median.of(rows, "clickstream");
      Median peer = Median.of(rows, "spark-seed");
      out.println();
      out.printf(fmt, "median", "clickstream backfill", String.format("%.1f", ours.wall),
          String.format("%.1f", ours.cpu), String.format("%,.0f MiB", ours.rss), "",
          String.format("%,.0f", distinct / ours.wall), "");
      out.printf(fmt, "median", "spark-seed " + o.peerFormat, String.format("%.1f", peer.wall),
          String.format("%.1f", peer.cpu), String.format("%,.0f MiB", peer.rss), "",
          String.format("%,.0f", distinct / peer.wall), "");
      out.printf("%nratio (peer median / ours median): wall %.2fx, CPU %.2fx, peak RSS %.2fx "
          + "(above 1 = ours is faster / uses less)%n", peer.wall / ours.wall, peer.cpu / ours.cpu,
          peer.rss / ours.rss);
    }

    private static long size(Path p) {
      try {
        return Files.size(p);
      } catch (IOException e) {
        return -1;
      }
    }

    private record Row(int run, String side, TimedProcess process, long silver) {}

    private record Median(double wall, double cpu, double rss) {
      static Median of(List<Row> rows, String sidePrefix) {
        List<Row> side = rows.stream().filter(r -> r.side.startsWith(sidePrefix)).toList();
        return new Median(
            TimedProcess.median(side.stream().map(r -> r.process.wallSeconds()).toList()),
            TimedProcess.median(side.stream().map(r -> r.process.cpuSeconds()).toList()),
            TimedProcess.median(side.stream().map(r -> (double) r.process.peakRssMiB()).toList()));
      }
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @Command(
      name = "stream",
      mixinStandardHelpOptions = true,
      description = {
        "Streams N generated events through a local Kafka broker into the streaming job and "
            + "prints distinct events scored per second (duplicates and rejected records apart), "
            + "plus, as the ceiling, the rate at which a plain Kafka consumer reads the same topic.",
        "--mode live (default): the job runs first; events are stamped with their send time "
            + "(each session's events kept distinct) and offered at --rate after --warmup-events; "
            + "also prints p50/p95/p99 ingest-to-score latency of the measured events.",
        "--mode catch-up: the whole backlog (--events over --days of history, original times) is "
            + "in Kafka before the job starts; the job (bounded, no warm start) reads it from the "
            + "beginning; the figure is distinct events scored per second between first and last "
            + "score."
      })
  static final class Stream implements Callable<Integer> {
    @Option(names = "--mode", defaultValue = "live",
        description = "live or catch-up (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = {"-n", "--events"}, defaultValue = "200000",
        description = "Events to generate and send (default: ${DEFAULT-VALUE})")
    long events;

    @Option(names = "--days", defaultValue = "60",
        description = "Days of history the generated events span (default: ${DEFAULT-VALUE})")
    int days;

    @Option(names = "--rate", defaultValue = "5000",
        description = "live: offered events/s, 0 = unpaced (default: ${DEFAULT-VALUE})")
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

    @Option(names = "--partitions", defaultValue = "2",
        description = "Partitions of the input topic (default: ${DEFAULT-VALUE})")
    int partitions;

    @Option(names = "--warmup-events", defaultValue = "100000",
        description = "live: events offered at the same rate before the measured ones (other "
            + "generated users' traffic), so the figures are of a warm JVM; 0 = none "
            + "(default: ${DEFAULT-VALUE})")
    long warmupEvents;

    @Option(names = "--checkpoint-interval", defaultValue = "30s",
        converter = DurationConverter.class,
        description = "Checkpoint interval, as in `stream` (default: ${DEFAULT-VALUE})")
    Duration checkpointInterval;

    @picocli.CommandLine.Mixin MaintenanceOptions maintenance = new MaintenanceOptions();

    @Override
    public Integer call() throws Exception {
      boolean live = switch (mode) {
        case "live" -> true;
        case "catch-up" -> false;
        default -> throw new IllegalArgumentException("--mode must be live or catch-up, not " + mode);
      };
      ModelContract contract = ModelContract.load(model);
      Path data = generatedData(workDir, events, seed, days);
      try (BenchBroker broker = BenchBroker.start(workDir)) {
        String bootstrap = broker.bootstrap();
        String topic = "bench-events";
        broker.createTopic(topic, partitions);
        Lakehouse lakehouse = Lakehouse.at(
            workDir.resolve("warehouse-stream-" + System.currentTimeMillis()).toString());
        int p = parallelism > 0 ? parallelism : LocalFlink.defaultParallelism();
        Configuration conf = StreamCommand.configuration(p,
            workDir.resolve("checkpoints").toString(), null);
        StreamingJob.Builder job = StreamingJob.builder().bootstrapServers(bootstrap).topic(topic)
            .groupId("bench").startingOffsets("earliest").lakehouse(lakehouse).model(contract)
            .exactlyOnceScores(exactlyOnceScores).checkpointInterval(checkpointInterval)
            .maintenance(maintenance.plan());
        System.out.println(TimedProcess.machine());
        return live ? live(bootstrap, topic, lakehouse, conf, job, data, p)
            : catchUp(bootstrap, topic, lakehouse, conf, job, data, p);
      }
    }

    private int catchUp(String bootstrap, String topic, Lakehouse lakehouse, Configuration conf,
        StreamingJob.Builder job, Path data, int p) throws Exception {
      Replay.Options ro = replayOptions(data, bootstrap, topic);
      ro.stampNow = false;
      ro.rate = null;
      System.err.printf("bench: loading the backlog (%,d events over %d days) into Kafka%n",
          events, days);
      Replay.Summary sent = new Replay(ro).run(System.err);
      ConsumeRate ceiling = ConsumeRate.measure(bootstrap, topic);

      StreamingJob stream = job.bounded(true).build();
      stream.prepareTables();
      stream.createScoresTopic();
      StreamExecutionEnvironment env = stream.environment(conf);
      stream.addTo(env);
      long jobStart = System.currentTimeMillis();
      env.execute("bench-stream-catch-up");
      long jobMillis = System.currentTimeMillis() - jobStart;

      Window w = Window.read(lakehouse, 0);
      System.out.printf("bench stream --mode catch-up: %,d records over %d days of history in "
          + "Kafka (%d partitions) before the job started; bounded job, no warm start, no table "
          + "maintenance; parallelism %d, scores %s, checkpoints every %d ms%n", sent.sent(), days,
          partitions, p, exactlyOnceScores ? "exactly-once" : "at-least-once",
          checkpointInterval.toMillis());
      double span = (w.lastScoredAt - w.firstScoredAt) / 1000.0;
      System.out.printf("Headline: %,d distinct events scored in %.1f s between first and last "
          + "score = %,.0f distinct events scored/s%n", w.distinctScored, span,
          w.distinctScored / span);
      w.print(System.out, span);
      System.out.printf("Job wall time (start to finish, incl. deployment and last commit): %.1f s%n",
          jobMillis / 1000.0);
      ceiling.print(System.out);
      System.out.printf("Peak memory: RSS %,d MiB (whole JVM incl. MiniCluster and broker client), "
          + "heap %,d MiB%n", MeasuredRun.peakRssMiB(), MeasuredRun.peakHeapMiB());
      return 0;
    }

    private int live(String bootstrap, String topic, Lakehouse lakehouse, Configuration conf,
        StreamingJob.Builder job, Path data, int p) throws Exception {
      StreamingJob stream = job.build();
      stream.prepareTables();
      stream.createScoresTopic();
      StreamExecutionEnvironment env = stream.environment(conf);
      stream.addTo(env);
      JobClient client = env.executeAsync("bench-stream");

      // the job must be deployed and consuming before the offer starts, or its start-up time
      // would be measured as latency: send one probe event and wait for its score
      awaitProbeScored(bootstrap, topic);

      if (warmupEvents > 0) {
        Path warmup = generatedData(workDir, warmupEvents, seed + 1, days);
        System.err.printf("bench: warm-up, %,d events%n", warmupEvents);
        new Replay(replayOptions(warmup, bootstrap, topic)).run(System.err);
      }
      long start = System.currentTimeMillis();
      Replay.Summary sent = new Replay(replayOptions(data, bootstrap, topic)).run(System.err);

      // wait for the scores topic to go quiet (consumer, no sleeps); scores reach
      // gold.session_scores on checkpoints: stay past two of them after the last
      awaitScores(bootstrap, "propensity-scores", start,
          Math.max(15_000, 2 * checkpointInterval.toMillis() + 2_000));
      JobRunner.cancelAndAwait(client, Duration.ofSeconds(120));
      ConsumeRate ceiling = ConsumeRate.measure(bootstrap, topic);

      // the measured events only: ingested (sent) after the warm-up
      Window w = Window.read(lakehouse, start);
      ScoreSummary summary = ScoreSummary
          .ofIngestedSince(lakehouse.load(LakehouseTable.GOLD_SESSION_SCORES), start);
      System.out.printf("bench stream --mode live: %,d records offered at %s after %,d warm-up "
          + "events, send-time stamps (sessions kept distinct), parallelism %d, scores %s, "
          + "checkpoints every %d ms, %s%n", sent.sent(),
          rate > 0 ? String.format("%,.0f/s", rate) : "max rate", warmupEvents, p,
          exactlyOnceScores ? "exactly-once" : "at-least-once", checkpointInterval.toMillis(),
          maintenance.plan().enabled() ? "table maintenance on" : "table maintenance off");
      System.out.printf("Offered: %,.0f records/s achieved by the producer%n", sent.eventsPerSecond());
      // from the first send to the last score (scored_at, the job's clock)
      double span = (w.lastScoredAt - start) / 1000.0;
      System.out.printf("Headline: %,d distinct events scored in %.1f s from first send to last "
          + "score = %,.0f distinct events scored/s%n", w.distinctScored, span,
          w.distinctScored / span);
      w.print(System.out, span);
      summary.print(System.out);
      ceiling.print(System.out);
      System.out.printf("Peak memory: RSS %,d MiB (whole JVM incl. MiniCluster), heap %,d MiB%n",
          MeasuredRun.peakRssMiB(), MeasuredRun.peakHeapMiB());
      return 0;
    }

    private Replay.Options replayOptions(Path input, String bootstrap, String topic) {
      Replay.Options ro = new Replay.Options();
      ro.input = input;
      ro.bootstrapServers = bootstrap;
      ro.topic = topic;
      ro.stampNow = true;
      ro.distinctStamps = true;
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
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cfg)) {
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

  /**
   * What the streaming job made of the records ingested since a time: records (bronze), distinct
   * events (silver), rejected, exact duplicates (the rest) and distinct scored event ids.
   */
  record Window(long records, long silver, long rejected, long distinctScored, long firstScoredAt,
      long lastScoredAt) {
    static Window read(Lakehouse lakehouse, long sinceMillis) throws IOException {
      long bronze = countIngestedSince(lakehouse.load(LakehouseTable.BRONZE_RAW), sinceMillis);
      long silver = countIngestedSince(lakehouse.load(LakehouseTable.SILVER_EVENTS), sinceMillis);
      long rejected = countIngestedSince(lakehouse.load(LakehouseTable.SILVER_REJECTED), sinceMillis);
      Table scores = lakehouse.load(LakehouseTable.GOLD_SESSION_SCORES);
      Set<String> ids = new HashSet<>();
      long first = Long.MAX_VALUE;
      long last = 0;
      try (CloseableIterable<Record> rows = since(IcebergGenerics.read(scores)
          .select("event_id", "ingested_at", "scored_at"), sinceMillis).build()) {
        for (Record r : rows) {
          if (millis(r.getField("ingested_at")) < sinceMillis) {
            continue;
          }
          ids.add((String) r.getField("event_id"));
          long scored = millis(r.getField("scored_at"));
          first = Math.min(first, scored);
          last = Math.max(last, scored);
        }
      }
      return new Window(bronze, silver, rejected, ids.size(), ids.isEmpty() ? 0 : first, last);
    }

    long duplicates() {
      return records - silver - rejected;
    }

    void print(PrintStream out, double spanSeconds) {
      out.printf("Records: %,d = %,d distinct events (silver) + %,d exact duplicates (dropped) + "
          + "%,d rejected%n", records, silver, duplicates(), rejected);
      out.printf("Distinct events (silver rows) per second over the same span: %,.0f/s; "
          + "scored: %,d distinct event ids (purchases are not scored)%n", silver / spanSeconds,
          distinctScored);
    }

    private static long countIngestedSince(Table t, long sinceMillis) throws IOException {
      long n = 0;
      try (CloseableIterable<Record> rows =
          since(IcebergGenerics.read(t).select("ingested_at"), sinceMillis).build()) {
        for (Record r : rows) {
          if (millis(r.getField("ingested_at")) >= sinceMillis) {
            n++;
          }
        }
      }
      return n;
    }

    private static IcebergGenerics.ScanBuilder since(IcebergGenerics.ScanBuilder scan, long ms) {
      return ms <= 0 ? scan
          : scan.where(Expressions.greaterThanOrEqual("ingested_at", ms * 1000L));
    }

    private static long millis(Object timestamptz) {
      return ((OffsetDateTime) timestamptz).toInstant().toEpochMilli();
    }
  }

  /** A plain KafkaConsumer reading a topic from its beginning to its current end. */
  record ConsumeRate(long records, long bytes, long millis) {
    static ConsumeRate measure(String bootstrap, String topic) {
      Map<String, Object> cfg = new HashMap<>();
      cfg.put("bootstrap.servers", bootstrap);
      cfg.put("key.deserializer", ByteArrayDeserializer.class.getName());
      cfg.put("value.deserializer", ByteArrayDeserializer.class.getName());
      cfg.put("enable.auto.commit", "false");
      cfg.put("max.poll.records", "5000");
      try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(cfg)) {
        List<TopicPartition> parts = c.partitionsFor(topic).stream()
            .map(i -> new TopicPartition(topic, i.partition())).toList();
        c.assign(parts);
        c.seekToBeginning(parts);
        Map<TopicPartition, Long> end = c.endOffsets(parts);
        long records = 0;
        long bytes = 0;
        long start = System.nanoTime();
        while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
          for (var r : c.poll(Duration.ofMillis(500))) {
            records++;
            bytes += (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
          }
        }
        return new ConsumeRate(records, bytes, (System.nanoTime() - start) / 1_000_000);
      }
    }

    void print(PrintStream out) {
      double s = Math.max(millis, 1) / 1000.0;
      out.printf("Ceiling: a plain KafkaConsumer read the same topic from beginning to end: "
          + "%,d records, %,.1f MB in %.2f s = %,.0f records/s, %,.1f MB/s%n", records,
          bytes / 1e6, s, records / s, bytes / 1e6 / s);
    }
  }
}
