package io.clickstream.propensity.cli;

import io.clickstream.propensity.events.CsvRecordParser;
import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.events.ParseOutcome;
import io.clickstream.propensity.events.synthetic.ClickstreamGenerator;
import io.clickstream.propensity.features.SessionPolicy;
import io.clickstream.propensity.jobs.BackfillJob;
import io.clickstream.propensity.jobs.BackfillReport;
import io.clickstream.propensity.jobs.JobRunner;
import io.clickstream.propensity.jobs.StreamingJob;
import io.clickstream.propensity.jobs.WarmStartJob;
import io.clickstream.propensity.kafka.KafkaNames;
import io.clickstream.propensity.kafka.LocalKafkaBroker;
import io.clickstream.propensity.kafka.Replay;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.lakehouse.TableMaintenancePlan;
import io.clickstream.propensity.scoring.ModelContract;
import io.clickstream.propensity.scoring.ScoreSummary;
import io.clickstream.propensity.training.Trainer;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.FileUtils;
import org.apache.iceberg.Table;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "The whole story on the embedded defaults: generate -> backfill the historical months -> "
          + "model (shipped, or --train) -> start Kafka -> replay the last month -> stream and "
          + "score -> summary and a few SQL queries.",
      "Everything goes under --work-dir; the broker is stopped at the end."
    })
public final class DemoCommand implements Callable<Integer> {
  private static final long DAY = 86_400L;
  /** Latency is reported for events sent after this much replay: the job is deployed and warm. */
  private static final Duration WARM_UP = Duration.ofSeconds(5);
  private static final Duration GOLD_FLUSH_INTERVAL = Duration.ofSeconds(5);

  @Option(names = {"-n", "--events"}, defaultValue = "300000",
      description = "Events to generate over about 5 months (default: ${DEFAULT-VALUE})")
  long events;

  @Option(names = "--seed", defaultValue = "7", description = "Generator seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--live-days", defaultValue = "30",
      description = "The last days replayed through Kafka instead of backfilled (default: ${DEFAULT-VALUE})")
  int liveDays;

  @Option(names = "--speed", defaultValue = "86400",
      description = "Replay time compression: event-time seconds per wall second (default: "
          + "${DEFAULT-VALUE}, one day per second)")
  double speed;

  @Option(names = "--work-dir", defaultValue = "work/demo", paramLabel = "DIR",
      description = "Data, warehouse, broker and checkpoints go here (default: ${DEFAULT-VALUE})")
  Path workDir;

  @Option(names = "--model", defaultValue = "model-artifacts", paramLabel = "DIR",
      description = "Shipped model used unless --train (default: ${DEFAULT-VALUE})")
  Path model;

  @Option(names = "--train", description = "Train a model on the backfilled history instead")
  boolean train;

  @Option(names = "--web-ui-port", defaultValue = "8081",
      description = "Port of the Flink web UI while streaming (default: ${DEFAULT-VALUE})")
  int webUiPort;

  @Option(names = "--maintenance",
      description = "Run Iceberg table maintenance inside the stream, as `stream` does by default. "
          + "Off here: with the demo's 2 s checkpoints it would compact every table about every 40 s, "
          + "in the middle of a one-minute replay on the same cores")
  boolean maintenance;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    long t0 = System.currentTimeMillis();
    Files.createDirectories(workDir);
    int p = LocalFlink.defaultParallelism();
    SessionPolicy policy = SessionPolicy.DEFAULT;

    // 1. generate and split at a midnight: history is backfilled, the last days are replayed
    Path all = workDir.resolve("clickstream-" + events + "-" + seed + ".csv");
    if (!Files.exists(all)) {
      step(out, "Generating " + String.format("%,d", events) + " events (seed " + seed + ")");
      ClickstreamGenerator.builder().events(events).seed(seed).build().writeTo(all);
    }
    long split = ClickstreamGenerator.DEFAULT_START.getEpochSecond()
        + (ClickstreamGenerator.DEFAULT_DAYS - liveDays) * DAY;
    Path history = workDir.resolve("history.csv");
    Path live = workDir.resolve("live.csv");
    long[] counts = split(all, split, history, live);
    out.printf("  history: %,d rows before %s; live: %,d rows%n", counts[0],
        Instant.ofEpochSecond(split), counts[1]);

    // 2. backfill the history
    Lakehouse lakehouse = Lakehouse.at(workDir.resolve("warehouse").toString());
    step(out, "Backfilling the history (BATCH) into " + lakehouse.warehouse());
    StreamExecutionEnvironment benv = BackfillJob.batchEnvironment(LocalFlink.configuration(p));
    long b0 = System.currentTimeMillis();
    // the demo replays the same story each run: a previous run's streamed rows are replaced
    JobExecutionResult r = BackfillJob.builder().inputs(List.of(history.toString()))
        .lakehouse(lakehouse).sessionPolicy(policy).replaceStreamedData(true).build()
        .run(benv, "demo-backfill", System.err);
    BackfillReport.of(lakehouse, r, System.currentTimeMillis() - b0).print(out);

    // 3. model
    Path modelDir = model;
    if (train || !Files.isRegularFile(model.resolve(ModelContract.ONNX_FILE))) {
      modelDir = workDir.resolve("model");
      step(out, "Training a model on the backfilled gold.training_features into " + modelDir);
      Trainer.Options o = new Trainer.Options();
      o.catalog = lakehouse.config();
      o.out = modelDir;
      o.trials = 4;
      o.datasetDescription = "demo: generated, seed " + seed + ", " + events + " events, history only";
      Trainer.train(o, System.err).card();
    }
    ModelContract contract = ModelContract.load(modelDir);
    out.printf("  model %s %s from %s%n", contract.modelName(), contract.modelVersion(), modelDir);

    // 4. Kafka
    step(out, "Starting a local Kafka broker");
    Path kafkaDir = workDir.resolve("kafka");
    LocalKafkaBroker broker = new LocalKafkaBroker(kafkaDir,
        LocalKafkaBroker.configuredLib().orElseThrow(() -> new IllegalStateException(
            "the Kafka broker's jars are missing: run bin/clickstream (it builds kafka-broker/target/lib)")));
    if (broker.runningProcess().isPresent()) {
      broker.stop(Duration.ofSeconds(15), System.err);
    }
    // every run replays the same days into an empty topic, and keeps no earlier run's checkpoints
    FileUtils.deleteDirectory(kafkaDir.toFile());
    FileUtils.deleteDirectory(workDir.resolve("checkpoints").toFile());
    LocalKafkaBroker.Started started = broker.start(LocalKafkaBroker.freePort(), 2, Duration.ofSeconds(90), System.err);
    String bootstrap = started.bootstrapServers();
    out.println("  broker at " + bootstrap);
    String topic = KafkaNames.EVENTS_TOPIC;
    try {
      try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
          java.util.Map.of("bootstrap.servers", bootstrap))) {
        // the source needs the topic when it starts
        admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic(topic, 2, (short) 1)))
            .all().get();
      }
      // 5. stream (warm-started from the backfill) while the last days are replayed
      step(out, "Streaming: warm start from the backfill, then Kafka -> features -> ONNX scores");
      Configuration conf = StreamCommand.configuration(p,
          workDir.resolve("checkpoints").toString(),
          new WarmStartJob(lakehouse, policy).prepareSavepoint(
              workDir.resolve("warm-start").toString(), LocalFlink.configuration(p), System.err));
      conf.set(RestOptions.PORT, webUiPort);
      StreamingJob stream = StreamingJob.builder().bootstrapServers(bootstrap).topic(topic)
          .groupId("demo").startingOffsets("earliest").checkpointInterval(Duration.ofSeconds(2))
          .goldFlushInterval(GOLD_FLUSH_INTERVAL)
          .sessionPolicy(policy).lakehouse(lakehouse).model(contract)
          .maintenance(maintenance ? TableMaintenancePlan.defaults() : TableMaintenancePlan.disabled())
          .build();
      // the backfill does not write the scores: drop an earlier run's, the replay scores them again
      lakehouse.catalog().dropTable(LakehouseTable.GOLD_SESSION_SCORES.identifier(), true);
      stream.prepareTables();
      stream.createScoresTopic();
      StreamExecutionEnvironment senv = stream.environment(conf);
      stream.addTo(senv);
      Table bronze = lakehouse.load(LakehouseTable.BRONZE_RAW);
      Table scoresTable = lakehouse.load(LakehouseTable.GOLD_SESSION_SCORES);
      long bronzeBefore = rows(bronze);
      long scoresBefore = rows(scoresTable);
      long streamStart = System.currentTimeMillis();
      JobClient job = senv.executeAsync("demo-stream");
      out.println("  Flink web UI: http://localhost:" + webUiPort);
      out.println(maintenance ? "  " + TableMaintenancePlan.defaults().describe()
          : "  table maintenance off (--maintenance turns it on; `stream` runs it by default)");
      awaitAllTasksRunning(job, Duration.ofMinutes(3));

      step(out, "Replaying the last " + liveDays + " days at " + (long) speed + "x");
      Replay.Options ro = new Replay.Options();
      ro.input = live;
      ro.bootstrapServers = bootstrap;
      ro.topic = topic;
      ro.speed = speed;
      long replayStart = System.currentTimeMillis();
      Replay.Summary sent = new Replay(ro).run(System.err);
      sent.print(out);

      // 6. stop once every record is committed in bronze, every event's score in
      // gold.session_scores, and the gold rows of the last events (emitted a flush interval after
      // a key's change) with a checkpoint after that
      Deadline deadline = new Deadline(Duration.ofMinutes(3));
      awaitRows(bronze, bronzeBefore + sent.sent(), deadline);
      awaitRows(scoresTable, scoresBefore + scorableEvents(live), deadline);
      awaitCheckpointTriggeredAfter(job,
          System.currentTimeMillis() + GOLD_FLUSH_INTERVAL.toMillis() + 1_000, deadline);
      JobRunner.cancelAndAwait(job, Duration.ofSeconds(120));

      step(out, "Summary");
      out.printf("Streamed %,d records in %.1f s%n", sent.sent(),
          (System.currentTimeMillis() - streamStart) / 1000.0);
      ScoreSummary scored = ScoreSummary.of(scoresTable, streamStart);
      out.printf("Scores: %,d (%,d late)%n", scored.scores, scored.late);
      scored.byAction.forEach((a, c) -> out.printf("  %-22s %,10d%n", a, c));
      ScoreSummary warm = ScoreSummary.ofIngestedSince(scoresTable,
          replayStart + WARM_UP.toMillis());
      out.printf("Ingest-to-score latency of the %,d events sent after the first %d s: "
              + "p50 %d ms, p95 %d ms, p99 %d ms, max %d ms%n", warm.scores, WARM_UP.toSeconds(),
          warm.latencyPercentile(50), warm.latencyPercentile(95), warm.latencyPercentile(99),
          warm.latencyPercentile(100));
      double offered = sent.sent() * 1000.0 / Math.max(1, sent.elapsedMillis());
      double scoredPerSecond = scored.scores * 1000.0 / Math.max(1, scored.lastScoredAt - replayStart);
      int cores = Runtime.getRuntime().availableProcessors();
      // one line: what the figure says about this run, and that it is not live traffic
      if (scoredPerSecond >= 0.95 * offered) {
        out.printf("  (the job kept up with a replay compressed %,.0fx, %,.0f events/s in bursts of a "
            + "day per second, on %d cores shared with the broker; live traffic: bench stream)%n",
            speed, offered, cores);
      } else {
        out.printf("  (a replay compressed %,.0fx offered %,.0f events/s; on %d cores shared with the "
            + "broker the job scored %,.0f/s, so events queued: that queue is the latency, not "
            + "live traffic's; live traffic: bench stream)%n", speed, offered, cores, scoredPerSecond);
      }
      SqlCommand sql = new SqlCommand();
      sql.catalog.warehouse = lakehouse.warehouse();
      sql.format = SqlCommand.Format.table;
      sql.mode = "batch";
      for (String q : List.of(
          "SELECT reason, COUNT(*) AS n FROM silver.rejected_events GROUP BY reason ORDER BY n DESC",
          "SELECT action, COUNT(*) AS scores, AVG(propensity) AS avg_propensity, "
              + "SUM(CASE WHEN late THEN 1 ELSE 0 END) AS late FROM gold.session_scores GROUP BY action",
          "SELECT product_id, `views`, purchases, purchases_to_views FROM gold.product_metrics "
              + "WHERE `views` >= 20 ORDER BY purchases_to_views DESC, product_id LIMIT 5")) {
        out.println("> " + q);
        sql.run(q, out);
      }
      out.printf("Demo done in %.0f s. Explore: bin/clickstream sql --warehouse %s -f sql/queries/funnel_by_day.sql%n",
          (System.currentTimeMillis() - t0) / 1000.0, workDir.resolve("warehouse"));
    } finally {
      broker.stop(Duration.ofSeconds(15), System.err);
    }
    return 0;
  }

  /** Waits until every task of the job runs (REST API of the local cluster), so the replay's
   *  first events do not queue behind the job's deployment and state restore. */
  private void awaitAllTasksRunning(JobClient job, Duration timeout) throws Exception {
    var http = java.net.http.HttpClient.newHttpClient();
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
        "http://localhost:" + webUiPort + "/jobs/" + job.getJobID())).build();
    long deadline = System.currentTimeMillis() + timeout.toMillis();
    while (System.currentTimeMillis() < deadline) {
      try {
        var body = mapper.readTree(http.send(request,
            java.net.http.HttpResponse.BodyHandlers.ofString()).body());
        boolean allRunning = body.path("vertices").size() > 0;
        for (var v : body.path("vertices")) {
          allRunning &= "RUNNING".equals(v.path("status").asText());
        }
        if (allRunning) {
          return;
        }
      } catch (java.io.IOException e) {
        // REST endpoint not up yet
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("the streaming job did not start within " + timeout
        + ": see the Flink web UI at http://localhost:" + webUiPort);
  }

  /** Non-purchase events of a CSV that parse, counted once per event id: the scores to expect. */
  static long scorableEvents(Path csv) throws Exception {
    java.util.Set<String> ids = new java.util.HashSet<>();
    try (BufferedReader in = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
      CsvRecordParser parser = new CsvRecordParser(in.readLine());
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        ParseOutcome o = parser.parse(line);
        if (o.isValid() && o.event().eventType != EventType.PURCHASE) {
          ids.add(o.event().eventId);
        }
      }
    }
    return ids.size();
  }

  private static void awaitRows(Table t, long expected, Deadline deadline) throws Exception {
    while (rows(t) < expected) {
      deadline.check("only " + rows(t) + " of " + expected + " rows in " + t.name());
      Thread.sleep(500);
    }
  }

  /** Waits until the job has a completed checkpoint triggered after {@code epochMillis}. */
  private void awaitCheckpointTriggeredAfter(JobClient job, long epochMillis, Deadline deadline)
      throws Exception {
    var http = java.net.http.HttpClient.newHttpClient();
    var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
    var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
        "http://localhost:" + webUiPort + "/jobs/" + job.getJobID() + "/checkpoints")).build();
    while (mapper.readTree(http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString())
        .body()).path("latest").path("completed").path("trigger_timestamp").asLong() <= epochMillis) {
      deadline.check("no checkpoint completed");
      Thread.sleep(500);
    }
  }

  private static final class Deadline {
    private final long at;
    private final Duration timeout;

    Deadline(Duration timeout) {
      this.timeout = timeout;
      this.at = System.nanoTime() + timeout.toNanos();
    }

    void check(String what) {
      if (System.nanoTime() > at) {
        throw new IllegalStateException("the streaming job fell behind: " + what + " after "
            + timeout.toSeconds() + " s");
      }
    }
  }

  private static long rows(Table t) {
    t.refresh();
    return BackfillReport.rowCount(t);
  }

  private static void step(PrintStream out, String what) {
    out.println();
    out.println("== " + what);
  }

  /**
   * Splits a CSV at {@code split} (epoch s): rows before go to history, the rest to live; a row
   * whose time cannot be read goes with the row before it. Returns the two row counts.
   */
  static long[] split(Path all, long split, Path history, Path live) throws Exception {
    long[] n = new long[2];
    try (BufferedReader in = Files.newBufferedReader(all, StandardCharsets.UTF_8);
        BufferedWriter h = Files.newBufferedWriter(history, StandardCharsets.UTF_8);
        BufferedWriter l = Files.newBufferedWriter(live, StandardCharsets.UTF_8)) {
      String header = in.readLine();
      h.write(header);
      h.newLine();
      l.write(header);
      l.newLine();
      CsvRecordParser parser = new CsvRecordParser(header);
      boolean toLive = false;
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        ParseOutcome o = parser.parse(line);
        if (o.isValid()) {
          toLive = o.event().eventTime >= split;
        }
        BufferedWriter w = toLive ? l : h;
        w.write(line);
        w.newLine();
        n[toLive ? 1 : 0]++;
      }
    }
    return n;
  }
}
