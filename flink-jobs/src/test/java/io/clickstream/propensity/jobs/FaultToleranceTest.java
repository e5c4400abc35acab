package io.clickstream.propensity.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.CsvRecordParser;
import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.events.IngestedRecord;
import io.clickstream.propensity.events.ParseOutcome;
import io.clickstream.propensity.events.synthetic.ClickstreamGenerator;
import io.clickstream.propensity.features.FeatureSet;
import io.clickstream.propensity.features.SessionPolicy;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.lakehouse.TableMaintenancePlan;
import io.clickstream.propensity.scoring.ModelContract;
import io.clickstream.propensity.testing.EmbeddedKafka;
import io.clickstream.propensity.testing.UpsertForensics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.core.testutils.CommonTestUtils;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streaming faults cost nothing (issue 12): injected task failures and a lost TaskManager during
 * a run over ~200,000 generated events, a Kafka broker restart and rescaling through savepoints
 * during runs over 50,000, in a real (in-JVM) Kafka broker. After every run: silver holds each input event once, every gold
 * metric table equals the batch backfill of the same input, gold.session_scores and a
 * read_committed consumer of the scores topic (exactly-once scores) hold one score per scorable
 * event, bronze every record once.
 */
@Timeout(value = 420, unit = TimeUnit.SECONDS)
// the broker restart runs last: the other cases share the broker and need none of its recovery
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultToleranceTest {
  // short TTLs so that sessions expire and restart (event-time timers in state) within the input
  static final SessionPolicy POLICY = new SessionPolicy(Duration.ofMinutes(20), Duration.ofHours(2));
  static final Map<String, Object> READ_COMMITTED = Map.of("isolation.level", "read_committed");

  @TempDir static Path tmp;
  static EmbeddedKafka kafka;
  static ModelContract model;
  /** 50,000 events: the broker restart and the rescaling. */
  static Input input;
  /** 200,000 events: the task failures and the lost TaskManager. */
  static Input large;

  /** A generated input as sent, and what the checks compare with. */
  static final class Input {
    /** The input as sent: valid events as JSON keyed by user_id in event-time order, bad rows raw. */
    final List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
    /** Per record: its event id (null when invalid). */
    final List<String> recordIds = new ArrayList<>();
    final Set<String> eventIds = new HashSet<>();
    final Set<String> scorable = new HashSet<>();
    int invalid;
    /** The backfill of the same input: each gold metric table's rows. */
    final Map<FeatureSet, List<String>> oracle = new EnumMap<>(FeatureSet.class);

    /** {@code events} over 8 days, with bad rows and exact duplicates, and its backfill. */
    static Input generate(String name, int events, long seed) throws Exception {
      Input in = new Input();
      Path csv = tmp.resolve(name + ".csv");
      ClickstreamGenerator.builder().events(events).seed(seed)
          .start(Instant.parse("2020-10-01T00:00:00Z")).days(8).build().writeTo(csv);
      List<String> lines = Files.readAllLines(csv);
      CsvRecordParser parser = new CsvRecordParser(lines.get(0));
      // canonical order (event time, then line); an invalid row keeps the place of the row before it
      List<Object[]> ordered = new ArrayList<>();
      long lastTime = Long.MIN_VALUE;
      for (int i = 1; i < lines.size(); i++) {
        ParseOutcome o = parser.parse(lines.get(i));
        lastTime = o.isValid() ? o.event().eventTime : lastTime;
        ordered.add(new Object[] {lastTime, i, o});
      }
      ordered.sort(Comparator.<Object[]>comparingLong(a -> (Long) a[0]).thenComparingInt(a -> (Integer) a[1]));
      for (Object[] a : ordered) {
        ParseOutcome o = (ParseOutcome) a[2];
        if (o.isValid()) {
          ClickEvent e = o.event();
          in.records.add(StreamingParityTest.json(e, null));
          in.recordIds.add(e.eventId);
          in.eventIds.add(e.eventId);
          if (e.eventType != EventType.PURCHASE) {
            in.scorable.add(e.eventId);
          }
        } else {
          in.records.add(new AbstractMap.SimpleEntry<>(null,
              lines.get((Integer) a[1]).getBytes(StandardCharsets.UTF_8)));
          in.recordIds.add(null);
          in.invalid++;
        }
      }
      assertThat(in.invalid).as("the input has bad rows").isPositive();
      assertThat(in.recordIds.size() - in.invalid - in.eventIds.size())
          .as("the input has exact duplicates").isPositive();

      Lakehouse backfilled = Lakehouse.at(tmp.resolve("wh-backfill-" + name).toString());
      BackfillJobTest.backfillWith(backfilled, List.of(csv.toString()), POLICY);
      for (FeatureSet set : FeatureSet.values()) {
        in.oracle.put(set, sortedRows(backfilled, LakehouseTable.metricsOf(set)));
      }
      assertThat(StreamingParityTest.read(backfilled.load(LakehouseTable.GOLD_TRAINING_FEATURES))
              .stream().map(r -> (String) r.getField("event_id")).collect(Collectors.toSet()))
          .as("scorable events = the backfill's training rows").isEqualTo(in.scorable);
      return in;
    }

    int size() {
      return records.size();
    }

    int distinctIds(int from, int to) {
      return (int) recordIds.subList(from, to).stream().filter(id -> id != null).distinct().count();
    }

    int scorableIds(int from, int to) {
      return (int) recordIds.subList(from, to).stream().filter(scorable::contains).distinct().count();
    }
  }

  @BeforeAll
  static void generateBackfillAndStartKafka() throws Exception {
    input = Input.generate("input", 50_000, 12);
    large = Input.generate("large", 200_000, 13);
    model = ModelContract.load(Path.of("..", "model-artifacts"));
    kafka = new EmbeddedKafka().start();
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  /**
   * Two exceptions thrown by an operator on chosen records (first and second attempt) and a
   * TaskManager lost (third attempt), in one unbounded run. The input arrives in four parts; each
   * fault is armed for the first record of the next part, sent only once the attempt completed a
   * checkpoint, so every fault strikes after a checkpoint with rows in flight. The job restarts
   * from its last checkpoint each time; once everything is committed it stops with a drain.
   */
  @Test
  void taskFailuresAndALostTaskManagerLoseNothingAndDuplicateNothing() throws Exception {
    String name = "faults";
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh-" + name).toString());
    int n = large.size();
    Map<Integer, Long> sent = produce(large, name, 0, n * 3 / 10);
    lakehouse.ensureTables(StreamingJob.TABLES);
    Table silver = lakehouse.load(LakehouseTable.SILVER_EVENTS);
    Table scores = lakehouse.load(LakehouseTable.GOLD_SESSION_SCORES);
    try (MiniCluster flink = cluster(2, 2)) {
      StreamingJob job = job(name, lakehouse, false, Map.of(), TableMaintenancePlan.disabled());
      StreamExecutionEnvironment env = environment(job, 2);
      job.addTo(env, job.source(env).map(new InjectFaults(name)).name("inject-faults")
          .uid("inject-faults").returns(io.clickstream.propensity.events.serde.PipelineSerializers.INGESTED_RECORD));
      JobID id = flink.submitJob(env.getStreamGraph()).get().getJobID();

      // attempt 0 fails on partition 0's first record of part 2, attempt 1 on partition 1's of part 3
      waitFor(() -> InjectFaults.checkpointedIn(name, 0), "attempt 0 completed a checkpoint");
      InjectFaults.arm(name, 0, 0, sent.get(0));
      sent = produce(large, name, n * 3 / 10, n * 6 / 10);
      waitFor(() -> attempt(flink, id) == 1 && InjectFaults.checkpointedIn(name, 1),
          "attempt 1 completed a checkpoint");
      InjectFaults.arm(name, 1, 1, sent.get(1));
      sent = produce(large, name, n * 6 / 10, n * 8 / 10);
      waitFor(() -> attempt(flink, id) == 2 && InjectFaults.checkpointedIn(name, 2),
          "attempt 2 completed a checkpoint");
      Map<Integer, Long> beforePart4 = sent;
      produce(large, name, n * 8 / 10, n);
      waitFor(() -> InjectFaults.maxOffset(name, 2, 0) >= beforePart4.get(0)
              || InjectFaults.maxOffset(name, 2, 1) >= beforePart4.get(1),
          "attempt 2 read part 4");
      AccessExecutionGraph graph = flink.getExecutionGraph(id).get();
      assertThat(graph.getState()).isEqualTo(JobStatus.RUNNING);
      assertThat(locations(graph)).as("tasks run on both TaskManagers: losing one loses tasks")
          .hasSize(2);
      flink.terminateTaskManager(0).get(60, TimeUnit.SECONDS);

      waitFor(() -> attempt(flink, id) >= 3
              && BackfillReport.rowCount(StreamingParityTest.refreshed(silver)) >= large.eventIds.size()
              && BackfillReport.rowCount(StreamingParityTest.refreshed(scores)) >= large.scorable.size(),
          "attempt 3 committed everything");
      AccessExecutionGraph running = flink.getExecutionGraph(id).get();
      assertThat(InjectFaults.thrown(name)).as("exceptions injected").isEqualTo(2);
      assertThat(running.getCheckpointStatsSnapshot().getCounts().getNumberOfRestoredCheckpoints())
          .as("restarts from a checkpoint: two exceptions and the lost TaskManager")
          .isGreaterThanOrEqualTo(3);
      // a drain ends event time as the end of a bounded input does (every timer fires)
      flink.stopWithSavepoint(id, tmp.resolve("savepoints-" + name).toUri().toString(), true,
          SavepointFormatType.CANONICAL).get(240, TimeUnit.SECONDS);
      assertThat(flink.requestJobResult(id).get(60, TimeUnit.SECONDS).isSuccess()).isTrue();
    }
    assertNothingLostNothingTwice(large, lakehouse, name);
  }

  /**
   * The broker stops mid-run (after a checkpoint, with rows committed) and starts again on the
   * same port and log directory once the job noticed (it failed over: a score could not be
   * delivered within the producer's delivery timeout); the job recovers by itself.
   */
  @Test
  @Order(Integer.MAX_VALUE)
  void aBrokerRestartMidRunLosesNothingAndDuplicatesNothing() throws Exception {
    String name = "broker";
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh-" + name).toString());
    produce(input, name, 0, input.size());
    int quarter = input.distinctIds(0, input.size() / 4);
    try (MiniCluster flink = cluster(1, 2)) {
      // a broker that is gone shows as a failed delivery within seconds, not minutes
      StreamingJob job = job(name, lakehouse, true, Map.of("request.timeout.ms", "3000",
          "delivery.timeout.ms", "6000", "max.block.ms", "6000"), TableMaintenancePlan.defaults());
      StreamExecutionEnvironment env = environment(job, 2);
      job.addTo(env);
      JobID id = flink.submitJob(env.getStreamGraph()).get().getJobID();
      Table silver = lakehouse.load(LakehouseTable.SILVER_EVENTS);
      waitFor(() -> BackfillReport.rowCount(StreamingParityTest.refreshed(silver)) >= quarter,
          "a quarter of the events committed");

      kafka.stopKeepingData();
      try {
        waitFor(() -> attempt(flink, id) >= 1, "the job failed over while the broker is down");
      } finally {
        kafka.startAgain();
      }
      JobResult result = flink.requestJobResult(id).get(240, TimeUnit.SECONDS);
      assertThat(result.isSuccess()).as("job result %s", result.getSerializedThrowable()).isTrue();
      assertThat(BackfillReport.rowCount(StreamingParityTest.refreshed(silver)))
          .as(() -> "silver after the run\n" + UpsertForensics.history(silver)
              + UpsertForensics.history(lakehouse.load(LakehouseTable.BRONZE_RAW)))
          .isEqualTo(input.eventIds.size());
    }
    assertNothingLostNothingTwice(input, lakehouse, name);
  }

  /**
   * Stop with a savepoint and resume from it at another parallelism, 1 -> 2 -> 1; each run gets
   * its part of the input once it runs and is stopped once that part is committed; the last run
   * ends with a drain, as a bounded run does.
   */
  @Test
  void rescalingThroughSavepointsLosesNothingAndDuplicatesNothing() throws Exception {
    rescale("rescale", TableMaintenancePlan.disabled());
  }

  /**
   * The same with the table maintenance `stream` runs by default: its compaction and snapshot
   * expiry commit to the tables next to the sinks' committers, in the same JVM, while operators
   * stop and start around every savepoint. Every upserted key of a gold table ends with exactly
   * its backfill row (no lost commit, no row beside its newer one); a difference is reported with
   * the table's commits and, for keys with two rows, the files and deletes that hold them.
   */
  @Test
  void rescalingWithTableMaintenanceLosesNothingAndDuplicatesNothing() throws Exception {
    rescale("rescale-maintained", TableMaintenancePlan.defaults());
  }

  static void rescale(String name, TableMaintenancePlan maintenance) throws Exception {
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh-" + name).toString());
    int third = input.size() / 3;
    int[] ends = {third, 2 * third, input.size()};
    int[] parallelism = {1, 2, 1};
    String savepoints = tmp.resolve("savepoints-" + name).toUri().toString();
    lakehouse.ensureTables(StreamingJob.TABLES);
    Table silver = lakehouse.load(LakehouseTable.SILVER_EVENTS);
    Table scores = lakehouse.load(LakehouseTable.GOLD_SESSION_SCORES);
    produce(input, name, 0, ends[0]);
    String savepoint = null;
    try (MiniCluster flink = cluster(1, 2)) {
      for (int run = 0; run < 3; run++) {
        StreamingJob job = job(name, lakehouse, false, Map.of(), maintenance);
        StreamExecutionEnvironment env = environment(job, parallelism[run]);
        job.addTo(env);
        StreamGraph graph = env.getStreamGraph();
        if (savepoint != null) {
          graph.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(savepoint, false));
        }
        JobID id = flink.submitJob(graph).get().getJobID();
        waitFor(() -> flink.getJobStatus(id).get() == JobStatus.RUNNING
            && maxParallelism(flink.getExecutionGraph(id).get()) > 0, "run " + run + " running");
        if (run > 0) {
          produce(input, name, ends[run - 1], ends[run]);
        }
        int distinct = input.distinctIds(0, ends[run]);
        int scored = input.scorableIds(0, ends[run]);
        waitFor(() -> BackfillReport.rowCount(StreamingParityTest.refreshed(silver)) >= distinct
                && BackfillReport.rowCount(StreamingParityTest.refreshed(scores)) >= scored,
            "run " + run + " committed its part");
        assertThat(maxParallelism(flink.getExecutionGraph(id).get()))
            .as("parallelism of run %s", run).isEqualTo(parallelism[run]);
        boolean last = run == 2;
        // the last run drains: event time to its end, every timer fires, as at the end of a bounded run
        savepoint = flink.stopWithSavepoint(id, savepoints, last, SavepointFormatType.CANONICAL)
            .get(120, TimeUnit.SECONDS);
        assertThat(flink.requestJobResult(id).get(60, TimeUnit.SECONDS).isSuccess()).isTrue();
      }
    }
    assertNothingLostNothingTwice(input, lakehouse, name);
    for (LakehouseTable t : StreamingJob.TABLES) {
      // a commit whose metadata file another commit renamed over leaves its manifest list behind
      assertThat(UpsertForensics.lostCommits(lakehouse.load(t)))
          .as("%s: manifest lists of no snapshot (commits replaced by concurrent ones)",
              t.qualifiedName())
          .isEmpty();
    }
  }

  /**
   * Every stateful operator of the unbounded streaming job has a uid of its own (not one Flink
   * derives from the graph's shape), so its state survives a change of the graph.
   */
  @Test
  void everyStatefulOperatorOfTheStreamingJobHasAUid() {
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh-uids").toString());
    StreamingJob job = job("uids", lakehouse, false);
    job.prepareTables();
    StreamExecutionEnvironment env = job.environment(new Configuration());
    job.addTo(env);
    StreamGraph graph = env.getStreamGraph();
    List<String> stateful = new ArrayList<>();
    List<String> withoutUid = new ArrayList<>();
    for (StreamNode node : graph.getStreamNodes()) {
      if (!isStateful(node)) {
        continue;
      }
      stateful.add(node.getOperatorName());
      if (node.getTransformationUID() == null && node.getUserHash() == null) {
        withoutUid.add(node.getOperatorName());
      }
    }
    assertThat(stateful).as("stateful operators found")
        .anyMatch(n -> n.equals("Source: kafka-uids-in"))
        .anyMatch(n -> n.contains("cart+cart_product-features"))
        .anyMatch(n -> n.contains("Committer"))
        .hasSizeGreaterThan(20);
    assertThat(withoutUid).as("stateful operators without a uid").isEmpty();
  }

  /** Keyed, a source or a sink's writer/committer, or a function that checkpoints its own state. */
  static boolean isStateful(StreamNode node) {
    if (node.getStateKeySerializer() != null) {
      return true;
    }
    var factory = node.getOperatorFactory();
    if (factory instanceof org.apache.flink.streaming.api.operators.SourceOperatorFactory) {
      return true;
    }
    String type = factory == null ? "" : factory.getClass().getName();
    if (type.contains("SinkWriterOperatorFactory") || type.contains("CommitterOperatorFactory")) {
      return true;
    }
    if (factory instanceof org.apache.flink.streaming.api.operators.SimpleOperatorFactory<?> simple) {
      var operator = simple.getOperator();
      Object function = operator instanceof org.apache.flink.streaming.api.operators.AbstractUdfStreamOperator<?, ?> udf
          ? udf.getUserFunction() : operator;
      return function instanceof org.apache.flink.streaming.api.checkpoint.CheckpointedFunction
          || !(operator instanceof org.apache.flink.streaming.api.operators.AbstractUdfStreamOperator<?, ?>);
    }
    return factory != null;
  }

  /** The checks every run must pass. */
  static void assertNothingLostNothingTwice(Input in, Lakehouse lakehouse, String name)
      throws Exception {
    List<Record> bronze = StreamingParityTest.read(lakehouse.load(LakehouseTable.BRONZE_RAW));
    assertOnceEach("bronze: records by partition:offset", bronze.stream()
        .map(r -> r.getField("source_partition") + ":" + r.getField("source_offset")).toList(),
        sentPositions(name));
    assertOnceEach("silver: event ids", ids(lakehouse, LakehouseTable.SILVER_EVENTS), in.eventIds);
    assertThat(StreamingParityTest.read(lakehouse.load(LakehouseTable.SILVER_REJECTED)))
        .as("rejected: every bad row once").hasSize(in.invalid);
    assertOnceEach("gold.session_scores: event ids", ids(lakehouse, LakehouseTable.GOLD_SESSION_SCORES),
        in.scorable);
    for (FeatureSet set : FeatureSet.values()) {
      LakehouseTable t = LakehouseTable.metricsOf(set);
      List<String> rows = sortedRows(lakehouse, t);
      assertThat(rows).as("%s equals the backfill's%s", t.qualifiedName(),
              rows.equals(in.oracle.get(set)) ? "" : "\n" + forensics(lakehouse, t))
          .containsExactlyElementsOf(in.oracle.get(set));
    }
    List<String> keys = kafka.readToEnd(name + "-scores", READ_COMMITTED).stream()
        .map(r -> new String(r.key(), StandardCharsets.UTF_8)).collect(Collectors.toList());
    assertOnceEach("scores topic read committed (open transactions: " + kafka.openTransactions()
        + "): event ids", keys, in.scorable);
  }

  /**
   * For the failure message of a gold table that differs from the backfill: its commits (lost ones
   * included) and, for keys with two rows, which files and deletes hold them.
   */
  static String forensics(Lakehouse lakehouse, LakehouseTable t) throws Exception {
    Table table = lakehouse.load(t);
    Map<List<String>, Integer> counts = new HashMap<>();
    for (Record r : StreamingParityTest.read(table)) {
      List<String> key = t.keyColumns().stream().map(c -> String.valueOf(r.getField(c))).toList();
      counts.merge(key, 1, Integer::sum);
    }
    Set<List<String>> twice = counts.entrySet().stream().filter(e -> e.getValue() > 1)
        .map(Map.Entry::getKey).limit(5).collect(Collectors.toSet());
    String report = UpsertForensics.overview(table) + "\n" + (twice.isEmpty()
        ? "(no key has two rows)" : UpsertForensics.explain(table, t.keyColumns(), twice));
    System.err.println(report);
    return report;
  }

  /** {@code actual} holds each of {@code expected} exactly once and nothing else (linear time). */
  static void assertOnceEach(String what, List<String> actual, Set<String> expected) {
    Set<String> seen = new HashSet<>();
    List<String> twice = new ArrayList<>();
    for (String a : actual) {
      if (!seen.add(a)) {
        twice.add(a);
      }
    }
    List<String> missing = expected.stream().filter(e -> !seen.contains(e)).sorted().toList();
    List<String> extra = seen.stream().filter(a -> !expected.contains(a)).sorted().toList();
    assertThat(twice).as("%s seen more than once (%s of %s)", what, twice.size(), actual.size())
        .isEmpty();
    assertThat(missing).as("%s missing (%s of %s)", what, missing.size(), expected.size()).isEmpty();
    assertThat(extra).as("%s not expected", what).isEmpty();
  }

  /** partition:offset of every record sent to the run's topic. */
  static Set<String> sentPositions(String name) throws Exception {
    Set<String> out = new HashSet<>();
    partitionSizes(name + "-in").forEach((p, n) -> {
      for (long o = 0; o < n; o++) {
        out.add(p + ":" + o);
      }
    });
    return out;
  }

  static List<String> ids(Lakehouse lakehouse, LakehouseTable t) throws Exception {
    return StreamingParityTest.read(lakehouse.load(t)).stream()
        .map(r -> (String) r.getField("event_id")).collect(Collectors.toList());
  }

  static List<String> sortedRows(Lakehouse lakehouse, LakehouseTable t) throws Exception {
    return StreamingParityTest.read(lakehouse.load(t)).stream().map(Record::toString).sorted()
        .collect(Collectors.toList());
  }

  /**
   * Sends records [from, to) to the run's topic (created with two partitions on the first call);
   * returns the number of records per partition after the send.
   */
  static Map<Integer, Long> produce(Input in, String name, int from, int to) throws Exception {
    String topic = name + "-in";
    if (from == 0) {
      kafka.createTopic(topic, 2);
    }
    kafka.produce(topic, in.records.subList(from, to));
    return partitionSizes(topic);
  }

  static Map<Integer, Long> partitionSizes(String topic) throws Exception {
    Map<Integer, Long> sizes = new HashMap<>();
    try (var admin = kafka.admin()) {
      var partitions = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS)
          .get(topic).partitions();
      Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest =
          new HashMap<>();
      partitions.forEach(p -> latest.put(new org.apache.kafka.common.TopicPartition(topic, p.partition()),
          org.apache.kafka.clients.admin.OffsetSpec.latest()));
      admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS)
          .forEach((tp, info) -> sizes.put(tp.partition(), info.offset()));
    }
    return sizes;
  }

  /** The streaming job of a run as `stream` builds it: exactly-once scores, checkpoints every second. */
  static StreamingJob job(String name, Lakehouse lakehouse, boolean bounded) {
    return job(name, lakehouse, bounded, Map.of(), TableMaintenancePlan.defaults());
  }

  static StreamingJob job(String name, Lakehouse lakehouse, boolean bounded,
      Map<String, String> kafkaProperties, TableMaintenancePlan maintenance) {
    return StreamingJob.builder()
        .bootstrapServers(kafka.bootstrapServers())
        .topic(name + "-in")
        .scoresTopic(name + "-scores")
        .groupId(name)
        .startingOffsets("earliest")
        .bounded(bounded)
        .exactlyOnceScores(true)
        .kafkaProperties(kafkaProperties)
        .maintenance(maintenance)
        .checkpointInterval(Duration.ofSeconds(1))
        .sessionPolicy(POLICY)
        .lakehouse(lakehouse)
        .model(model)
        .build();
  }

  static StreamExecutionEnvironment environment(StreamingJob job, int parallelism) {
    job.prepareTables();
    job.createScoresTopic();
    Configuration conf = new Configuration();
    conf.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 10);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
    conf.setString("execution.checkpointing.dir", tmp.resolve("checkpoints").toUri().toString());
    return job.environment(conf);
  }

  /** A MiniCluster whose slots are spread over its TaskManagers. */
  static MiniCluster cluster(int taskManagers, int slotsEach) throws Exception {
    Configuration conf = new Configuration();
    conf.set(RestOptions.BIND_PORT, "0");
    conf.set(TaskManagerOptions.TASK_MANAGER_LOAD_BALANCE_MODE,
        TaskManagerOptions.TaskManagerLoadBalanceMode.SLOTS);
    MiniCluster flink = new MiniCluster(new MiniClusterConfiguration.Builder().setConfiguration(conf)
        .setNumTaskManagers(taskManagers).setNumSlotsPerTaskManager(slotsEach).build());
    flink.start();
    waitFor(() -> flink.requestClusterOverview().get().getNumTaskManagersConnected() == taskManagers,
        "TaskManagers registered");
    return flink;
  }

  /** The highest attempt number of the job's tasks (0 before any restart), -1 when unknown. */
  static int attempt(MiniCluster flink, JobID id) throws Exception {
    return attempt(flink.getExecutionGraph(id).get());
  }

  static int attempt(AccessExecutionGraph graph) {
    int max = -1;
    for (AccessExecutionVertex v : graph.getAllExecutionVertices()) {
      max = Math.max(max, v.getCurrentExecutionAttempt().getAttemptNumber());
    }
    return max;
  }

  static Set<String> locations(AccessExecutionGraph graph) {
    Set<String> out = new HashSet<>();
    for (AccessExecutionVertex v : graph.getAllExecutionVertices()) {
      if (v.getCurrentAssignedResourceLocation() != null) {
        out.add(v.getCurrentAssignedResourceLocation().getResourceID().toString());
      }
    }
    return out;
  }

  static int maxParallelism(AccessExecutionGraph graph) {
    int max = 0;
    for (var v : graph.getVerticesTopologically()) {
      max = Math.max(max, v.getParallelism());
    }
    return max;
  }

  @FunctionalInterface
  interface Check {
    boolean holds() throws Exception;
  }

  static void waitFor(Check check, String what) throws Exception {
    Supplier<Boolean> s = () -> {
      try {
        return check.holds();
      } catch (Exception e) {
        return false;
      }
    };
    CommonTestUtils.waitUtil(s, Duration.ofSeconds(180), Duration.ofMillis(100), what);
  }

  /**
   * Passes records through; in an attempt the test armed for (run, attempt), throws on the first
   * record of the armed partition at or beyond the armed offset that is read after a checkpoint
   * completed in that attempt. Records progress and checkpoints per run and attempt for the test.
   */
  static final class InjectFaults extends RichMapFunction<IngestedRecord, IngestedRecord>
      implements CheckpointListener {
    private static final long serialVersionUID = 1L;
    static final Map<String, AtomicInteger> THROWN = new ConcurrentHashMap<>();
    static final Map<String, Long> MAX_OFFSET = new ConcurrentHashMap<>();
    static final Set<String> CHECKPOINTED = ConcurrentHashMap.newKeySet();
    static final Map<String, long[]> ARMED = new ConcurrentHashMap<>();
    private final String run;
    private transient boolean checkpointed;

    InjectFaults(String run) {
      this.run = run;
    }

    static void arm(String run, int attempt, int partition, long offset) {
      ARMED.put(run + "/" + attempt, new long[] {partition, offset});
    }

    @Override
    public IngestedRecord map(IngestedRecord r) {
      int attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
      MAX_OFFSET.merge(run + "/" + attempt + "/" + r.sourceOrder, r.sourceOffset, Math::max);
      long[] armed = ARMED.get(run + "/" + attempt);
      if (armed != null && checkpointed && r.sourceOrder == armed[0] && r.sourceOffset >= armed[1]) {
        THROWN.computeIfAbsent(run, k -> new AtomicInteger()).incrementAndGet();
        throw new IllegalStateException("injected fault in attempt " + attempt + " at record "
            + r.sourceOrder + ":" + r.sourceOffset);
      }
      return r;
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) {
      checkpointed = true;
      CHECKPOINTED.add(run + "/" + getRuntimeContext().getTaskInfo().getAttemptNumber());
    }

    static int thrown(String run) {
      return THROWN.getOrDefault(run, new AtomicInteger()).get();
    }

    static long maxOffset(String run, int attempt, int partition) {
      return MAX_OFFSET.getOrDefault(run + "/" + attempt + "/" + partition, -1L);
    }

    static boolean checkpointedIn(String run, int attempt) {
      return CHECKPOINTED.contains(run + "/" + attempt);
    }
  }
}
