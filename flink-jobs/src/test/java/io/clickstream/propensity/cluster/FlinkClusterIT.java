package io.clickstream.propensity.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.clickstream.propensity.cli.ClickstreamCli;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.testing.EmbeddedKafka;
import io.clickstream.propensity.testing.Samples;
import io.clickstream.propensity.testing.StandaloneFlinkCluster;
import io.clickstream.propensity.testing.StandaloneFlinkCluster.CliResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The shaded job jar on a real standalone Flink 2.1.1 cluster (JobManager and TaskManager as OS
 * processes on Maven-resolved jars, see {@link StandaloneFlinkCluster}), submitted through Flink's
 * own CLI frontend: catches shading, class loading and native-library mistakes that a MiniCluster
 * in the test JVM cannot. Backfills the real sample, then streams it from Kafka, stops with a
 * savepoint half way and resumes from it with another parallelism.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FlinkClusterIT {
  static final Pattern JOB_ID = Pattern.compile("JobID ([0-9a-f]{32})");
  static final Pattern SAVEPOINT = Pattern.compile("Savepoint completed\\. Path: (\\S+)");
  /** The stream gets the sample's first 20 minutes (~1,050 events), the last 10 after the stop. */
  static final String SPLIT = "2019-10-01 00:10:00 UTC";
  static final String END = "2019-10-01 00:20:00 UTC";

  /** Under target/, so the cluster's logs stay for a look after a failure. */
  static Path tmp;
  static StandaloneFlinkCluster cluster;
  static Path jobJar;
  static EmbeddedKafka kafka;
  static Lakehouse backfilled;

  @BeforeAll
  static void startCluster() throws Exception {
    tmp = Path.of("target", "flink-cluster-it").toAbsolutePath();
    org.apache.flink.util.FileUtils.deleteDirectory(tmp.toFile());
    Files.createDirectories(tmp);
    Path lib = Path.of(System.getProperty("clickstream.flink.lib", "../flink-cluster/target/lib"));
    jobJar = Path.of(System.getProperty("clickstream.job.jar", "target/none-job.jar"));
    assertThat(lib.resolve("flink-runtime-2.1.1.jar"))
        .as("Flink's lib/ (built by the flink-cluster module: mvn -pl flink-cluster generate-resources)")
        .isRegularFile();
    assertThat(jobJar).as("the shaded job jar (mvn package builds it)").isRegularFile();
    cluster = new StandaloneFlinkCluster(lib, tmp.resolve("flink"), Map.of(
        "taskmanager.numberOfTaskSlots", "2",
        "parallelism.default", "1",
        "jobmanager.memory.process.size", "1024m",
        // 2 GB per slot, as docs/operations.md asks for a backfill (Flink's default 1728m holds
        // 4,096 network buffers: two backfill tasks of four BATCH outputs, 512 each, take them all)
        "taskmanager.memory.process.size", "4096m",
        "taskmanager.memory.managed.fraction", "0.2",
        "restart-strategy.type", "none",
        // Hadoop's shutdown hook in the client otherwise trips over the closed job class loader
        "classloader.check-leaked-classloader", "false"))
        .start(Duration.ofMinutes(4));
  }

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  @Order(1)
  void backfillsTheSampleOnTheCluster() throws Exception {
    Path warehouse = tmp.resolve("batch-warehouse");
    CliResult run = submit(Duration.ofMinutes(4), "run", "-m", cluster.address(),
        jobJar.toString(), "backfill", "--input", Samples.reesHead().toString(),
        "--warehouse", warehouse.toString(), "-p", "2");
    assertThat(run.output()).contains(
        "Reconciliation: bronze 17,435 = silver 17,429 + rejected 1 + duplicates 5 : OK");
    assertThat(finishedJobs()).containsKey(jobId(run));
    assertThat(finishedJobs().get(jobId(run))).isEqualTo("clickstream-backfill");

    backfilled = Lakehouse.at(warehouse.toString());
    assertThat(read(backfilled, LakehouseTable.BRONZE_RAW)).hasSize(17_435);
    assertThat(read(backfilled, LakehouseTable.SILVER_REJECTED)).hasSize(1);
    List<String> silver = ids(read(backfilled, LakehouseTable.SILVER_EVENTS));
    assertThat(silver).hasSize(17_429).doesNotHaveDuplicates();
    assertThat(read(backfilled, LakehouseTable.GOLD_USER_METRICS)).hasSize(4_504);
    assertThat(read(backfilled, LakehouseTable.GOLD_TRAINING_FEATURES)).isNotEmpty();
  }

  @Test
  @Order(2)
  void streamStopsWithASavepointAndResumesWithAnotherParallelism() throws Exception {
    assertThat(backfilled).as("the backfill test ran first").isNotNull();
    kafka = new EmbeddedKafka().start();
    String topic = "clickstream-events";
    kafka.createTopic(topic, 2);
    Path warehouse = tmp.resolve("stream-warehouse");
    Lakehouse streamed = Lakehouse.at(warehouse.toString());
    replay(topic, "--until", SPLIT);

    List<String> stream = List.of("stream", "--bootstrap-servers", kafka.bootstrapServers(),
        "--topic", topic, "--scores-topic", "scores", "--group-id", "cluster-it",
        "--warehouse", warehouse.toString(), "--model", modelDir().toString(),
        "--checkpoint-dir", tmp.resolve("checkpoints").toUri().toString(),
        "--checkpoint-interval", "2s", "--starting-offsets", "earliest", "--no-warm-start");
    // client-local defaults are refused before anything is submitted, naming the flag to set
    List<String> runStream = List.of("run", "-d", "-m", cluster.address(), jobJar.toString());
    CliResult warmStartInClient = cluster.cli(Duration.ofMinutes(2), concat(runStream,
        stream.stream().filter(a -> !a.equals("--no-warm-start")).toList(), List.of()));
    assertThat(warmStartInClient.exitCode()).isNotZero();
    assertThat(warmStartInClient.output()).contains("error: stream under `flink run`",
        "clickstream bootstrap --savepoint-dir", "--no-warm-start");
    List<String> noCheckpointDir = new ArrayList<>(stream);
    noCheckpointDir.subList(noCheckpointDir.indexOf("--checkpoint-dir"),
        noCheckpointDir.indexOf("--checkpoint-dir") + 2).clear();
    CliResult checkpointsInClient =
        cluster.cli(Duration.ofMinutes(2), concat(runStream, noCheckpointDir, List.of()));
    assertThat(checkpointsInClient.exitCode()).isNotZero();
    assertThat(checkpointsInClient.output()).contains("set --checkpoint-dir URI");
    assertThat(cluster.rest("/jobs/overview").path("jobs")).hasSize(1);

    CliResult first = submit(Duration.ofMinutes(2),
        concat(List.of("run", "-d", "-m", cluster.address(), jobJar.toString()), stream,
            List.of("-p", "2")));
    String firstJob = jobId(first);
    StandaloneFlinkCluster.await("the first events committed to silver", Duration.ofMinutes(2),
        () -> "FAILED".equals(cluster.jobState(firstJob))
            || count(streamed, LakehouseTable.SILVER_EVENTS) > 0);
    assertThat(cluster.jobState(firstJob)).isEqualTo("RUNNING");

    CliResult stop = submit(Duration.ofMinutes(2), "stop", "-m", cluster.address(),
        "--savepointPath", tmp.resolve("savepoints").toUri().toString(), firstJob);
    Matcher savepoint = SAVEPOINT.matcher(stop.output());
    assertThat(savepoint.find()).as(stop.output()).isTrue();
    StandaloneFlinkCluster.await("the first job to finish", Duration.ofMinutes(1),
        () -> "FINISHED".equals(cluster.jobState(firstJob)));
    long beforeResume = count(streamed, LakehouseTable.SILVER_EVENTS);
    // the rest arrives while no job runs: the resumed job must start at the savepoint's offsets
    replay(topic, "--from", SPLIT, "--until", END);

    // resumed in the same TaskManager JVM (ONNX Runtime loaded again), one subtask instead of two.
    // Not --bounded: restored Kafka splits keep the stopping offsets of the job that wrote the
    // savepoint (none), so it runs until cancelled once the tables hold every expected event.
    CliResult resumed = submit(Duration.ofMinutes(2),
        concat(List.of("run", "-d", "-m", cluster.address(), "-s", savepoint.group(1),
            jobJar.toString()), stream, List.of("-p", "1")));
    String resumedJob = jobId(resumed);
    assertThat(parallelism(firstJob)).isEqualTo(2);
    assertThat(parallelism(resumedJob)).isEqualTo(1);
    long expectedEvents = read(backfilled, LakehouseTable.SILVER_EVENTS).stream()
        .filter(r -> eventMillis(r) < java.time.Instant.parse("2019-10-01T00:20:00Z").toEpochMilli())
        .count();
    StandaloneFlinkCluster.await("every event in silver", Duration.ofMinutes(5),
        () -> "FAILED".equals(cluster.jobState(resumedJob))
            || count(streamed, LakehouseTable.SILVER_EVENTS) >= expectedEvents);
    assertThat(cluster.jobState(resumedJob)).isEqualTo("RUNNING");
    // scores commit on the same checkpoints; one more interval lets a late duplicate show up
    long checkpoints = completedCheckpoints(resumedJob);
    StandaloneFlinkCluster.await("two more checkpoints", Duration.ofMinutes(2),
        () -> completedCheckpoints(resumedJob) >= checkpoints + 2);
    submit(Duration.ofMinutes(2), "cancel", "-m", cluster.address(), resumedJob);

    // the batch backfill of the whole sample is the reference for the events before END
    long end = java.time.Instant.parse("2019-10-01T00:20:00Z").toEpochMilli();
    List<Record> expected = read(backfilled, LakehouseTable.SILVER_EVENTS).stream()
        .filter(r -> eventMillis(r) < end).toList();
    List<String> silver = ids(read(streamed, LakehouseTable.SILVER_EVENTS));
    assertThat(beforeResume).isBetween(1L, (long) silver.size() - 1);
    assertThat(silver).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(ids(expected));
    List<Record> bronze = read(streamed, LakehouseTable.BRONZE_RAW);
    assertThat(bronze.stream().map(r -> r.getField("source_partition") + "/" + r.getField("source_offset")))
        .doesNotHaveDuplicates();
    assertThat(bronze).hasSizeGreaterThanOrEqualTo(silver.size());
    assertThat(read(streamed, LakehouseTable.SILVER_REJECTED)).isEmpty();
    // one score per scorable (non-purchase) event, none twice
    List<String> scorable = expected.stream()
        .filter(r -> !"purchase".equals(r.getField("event_type")))
        .map(r -> (String) r.getField("event_id")).toList();
    assertThat(ids(read(streamed, LakehouseTable.GOLD_SESSION_SCORES))).doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(scorable);
  }

  static long completedCheckpoints(String jobId) {
    JsonNode c = cluster.rest("/jobs/" + jobId + "/checkpoints");
    return c == null ? 0 : c.path("counts").path("completed").asLong();
  }

  static long eventMillis(Record r) {
    Object t = r.getField("event_time");
    return t instanceof java.time.OffsetDateTime o ? o.toInstant().toEpochMilli()
        : ((java.time.LocalDateTime) t).toInstant(java.time.ZoneOffset.UTC).toEpochMilli();
  }

  static CliResult submit(Duration timeout, String... args) throws Exception {
    CliResult r = cluster.cli(timeout, args);
    assertThat(r.exitCode()).as("flink %s exit code; output:%n%s%n%s", args[0], r.output(),
        cluster.logs()).isZero();
    return r;
  }

  static CliResult submit(Duration timeout, List<String> args) throws Exception {
    return submit(timeout, args.toArray(String[]::new));
  }

  static void replay(String topic, String... range) {
    List<String> args = new ArrayList<>(List.of("replay", "--input",
        Samples.reesHead().toString(), "--bootstrap-servers", kafka.bootstrapServers(),
        "--topic", topic));
    args.addAll(List.of(range));
    assertThat(ClickstreamCli.run(args.toArray(String[]::new))).isZero();
  }

  static String jobId(CliResult r) {
    Matcher m = JOB_ID.matcher(r.output());
    assertThat(m.find()).as("job id in:%n%s", r.output()).isTrue();
    return m.group(1);
  }

  static Map<String, String> finishedJobs() {
    JsonNode jobs = cluster.rest("/jobs/overview");
    assertThat(jobs).isNotNull();
    Map<String, String> out = new java.util.HashMap<>();
    jobs.path("jobs").forEach(j -> {
      if ("FINISHED".equals(j.path("state").asText())) {
        out.put(j.path("jid").asText(), j.path("name").asText());
      }
    });
    return out;
  }

  /** Highest parallelism of the job's vertices (Iceberg's committers always run with one). */
  static int parallelism(String jobId) {
    JsonNode job = cluster.rest("/jobs/" + jobId);
    assertThat(job).isNotNull();
    int max = 0;
    for (JsonNode v : job.path("vertices")) {
      max = Math.max(max, v.path("parallelism").asInt());
    }
    return max;
  }

  static Path modelDir() {
    for (Path p : List.of(Path.of("../model-artifacts"), Path.of("model-artifacts"))) {
      if (Files.isRegularFile(p.resolve("propensity.onnx"))) {
        return p.toAbsolutePath().normalize();
      }
    }
    throw new IllegalStateException("model-artifacts/ of the repository not found");
  }

  static List<String> concat(List<String> a, List<String> b, List<String> c) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    all.addAll(c);
    return all;
  }

  static long count(Lakehouse lakehouse, LakehouseTable t) {
    try {
      return read(lakehouse, t).size();
    } catch (Exception notYet) {
      return 0;
    }
  }

  static List<Record> read(Lakehouse lakehouse, LakehouseTable t) throws Exception {
    Table table = lakehouse.load(t);
    table.refresh();
    List<Record> out = new ArrayList<>();
    try (CloseableIterable<Record> it = IcebergGenerics.read(table).build()) {
      it.forEach(r -> out.add(r.copy()));
    }
    return out;
  }

  static List<String> ids(List<Record> rows) {
    return rows.stream().map(r -> (String) r.getField("event_id")).toList();
  }
}
