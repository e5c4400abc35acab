package io.clickstream.propensity.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.propensity.features.FeatureRules;
import io.clickstream.propensity.features.FeatureSet;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.testing.Samples;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.java.typeutils.runtime.kryo.KryoSerializer;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.api.graph.StreamingJobGraphGenerator;
import org.apache.flink.streaming.runtime.partitioner.ForwardPartitioner;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The bounded backfill end to end on a MiniCluster, writing real Iceberg tables. */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class BackfillJobTest {
  @TempDir Path tmp;

  static BackfillReport backfill(Lakehouse lakehouse, List<String> inputs) throws Exception {
    return backfillWith(lakehouse, inputs, io.clickstream.propensity.features.SessionPolicy.DEFAULT);
  }

  static BackfillReport backfillWith(Lakehouse lakehouse, List<String> inputs,
      io.clickstream.propensity.features.SessionPolicy policy) throws Exception {
    Configuration conf = new Configuration();
    conf.set(CoreOptions.DEFAULT_PARALLELISM, 2);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    StreamExecutionEnvironment env = BackfillJob.batchEnvironment(conf);
    long start = System.currentTimeMillis();
    JobExecutionResult result = BackfillJob.builder().inputs(inputs).lakehouse(lakehouse)
        .ingestedAt(1_700_000_000_000L).sessionPolicy(policy).build()
        .run(env, "backfill-test", new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    return BackfillReport.of(lakehouse, result, System.currentTimeMillis() - start);
  }

  static List<Record> rows(Lakehouse lakehouse, LakehouseTable t) throws IOException {
    Table table = lakehouse.load(t);
    List<Record> out = new ArrayList<>();
    try (CloseableIterable<Record> it = IcebergGenerics.read(table).build()) {
      it.forEach(r -> out.add(r.copy()));
    }
    return out;
  }

  /** Table content as strings, without the run's ingest time, order-independent. */
  static List<String> content(Lakehouse lakehouse, LakehouseTable t) throws IOException {
    List<String> names = t.schema().columns().stream()
        .map(f -> f.name()).filter(n -> !n.equals("ingested_at")).collect(Collectors.toList());
    return rows(lakehouse, t).stream()
        .map(r -> names.stream().map(n -> String.valueOf(r.getField(n))).collect(Collectors.joining("|")))
        .sorted()
        .collect(Collectors.toList());
  }

  @Test
  void realSampleGoesThroughUntouchedAndReconciles() throws Exception {
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh").toString());
    BackfillReport report = backfill(lakehouse, List.of(Samples.reesHead().toString()));

    // facts of the sample (samples/README.md): 17,434 rows + 1 truncated line, 5 extra duplicates
    assertThat(report.rows(LakehouseTable.BRONZE_RAW)).isEqualTo(17_435);
    assertThat(report.rows(LakehouseTable.SILVER_REJECTED)).isEqualTo(1);
    assertThat(report.duplicatesRemoved()).isEqualTo(5);
    assertThat(report.rows(LakehouseTable.SILVER_EVENTS)).isEqualTo(17_429);
    assertThat(report.reconciles()).isTrue();

    List<Record> rejected = rows(lakehouse, LakehouseTable.SILVER_REJECTED);
    assertThat(rejected).singleElement().satisfies(r -> {
      assertThat(r.getField("reason")).isEqualTo("malformed_csv");
      assertThat(r.getField("source_offset")).isEqualTo(17_436L);
    });
    assertThat(report.rows(LakehouseTable.GOLD_USER_METRICS)).isEqualTo(4_504);
    assertThat(report.rows(LakehouseTable.GOLD_PRODUCT_METRICS)).isEqualTo(6_493);
    // 5,066 session ids, one shared by two users: 5,067 carts
    assertThat(report.rows(LakehouseTable.GOLD_CART_METRICS)).isEqualTo(5_067);
    // purchases (214 rows, none duplicated among them or not) have no training row
    List<Record> silver = rows(lakehouse, LakehouseTable.SILVER_EVENTS);
    long purchases = silver.stream().filter(r -> "purchase".equals(r.getField("event_type"))).count();
    assertThat(report.rows(LakehouseTable.GOLD_TRAINING_FEATURES))
        .isEqualTo(silver.size() - purchases);
    assertThat(silver.stream().map(r -> r.getField("event_id")).distinct().count())
        .isEqualTo(silver.size());
  }

  @Test
  void everyTableIsConsistentAndReRunIsIdempotent() throws Exception {
    Path folder = Files.createDirectories(tmp.resolve("in"));
    Path day1 = folder.resolve("a-2020-10-01.csv");
    Path day2gz = folder.resolve("b-2020-10-02.csv.gz");
    String header = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session";
    Files.writeString(day1, header + "\r\n"
        + "2020-10-01 10:00:00 UTC,view,1,10,electronics.phone,acme,10.00,100,s1\r\n"
        + "2020-10-01 10:00:00 UTC,cart,1,10,electronics.phone,acme,10.00,100,s1\r\n"
        + "2020-10-01 10:00:00 UTC,cart,1,10,electronics.phone,acme,10.00,100,s1\r\n" // duplicate
        + "\r\n"
        + "2020-10-01 10:05:00 UTC,view,2,,,,5.5,100,s1\r\n"
        + "2020-10-01 11:00:00,view,2,,,,5.5,101,s2\r\n" // no zone
        + "2020-10-01 11:00:00 UTC,click,2,,,,5.5,101,s2\r\n"
        + "2020-10-01 11:00:00 UTC,view,2,,,,-1,101,s2\r\n"
        + "2020-10-01 11:00:00 UTC,view,2,,,\r\n");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(day2gz))) {
      out.write((header + "\n"
          + "2020-10-02 09:00:00 UTC,purchase,1,10,electronics.phone,acme,10.00,100,s1\n"
          + "2020-10-02 09:00:01 UTC,view,1,10,electronics.phone,acme,10.00,101,s2\n"
          + "2020-10-02 09:00:02 UTC,view,1,10,electronics.phone,acme,10.00,100,s3\n")
          .getBytes(StandardCharsets.UTF_8));
    }
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh").toString());
    BackfillReport first = backfill(lakehouse, List.of(folder.toString()));

    assertThat(first.rows(LakehouseTable.BRONZE_RAW)).isEqualTo(11);
    assertThat(first.rows(LakehouseTable.SILVER_REJECTED)).isEqualTo(4);
    assertThat(first.duplicatesRemoved()).isEqualTo(1);
    assertThat(first.rows(LakehouseTable.SILVER_EVENTS)).isEqualTo(6);
    assertThat(first.reconciles()).isTrue();
    assertThat(rows(lakehouse, LakehouseTable.SILVER_REJECTED))
        .extracting(r -> r.getField("reason"))
        .containsExactlyInAnyOrder("bad_timestamp", "unknown_event_type", "negative_price", "malformed_csv");
    // bronze keeps the file index (folder sorted by name) and the line numbers (empty line counted)
    assertThat(rows(lakehouse, LakehouseTable.BRONZE_RAW))
        .extracting(r -> r.getField("source_partition") + ":" + r.getField("source_offset"))
        .contains("0:2", "0:6", "0:10", "1:2", "1:4")
        .doesNotContain("0:5");

    // training: the view and cart of cart-product (100,s1,1) precede its purchase -> label 1
    Map<String, Record> training = new HashMap<>();
    for (Record r : rows(lakehouse, LakehouseTable.GOLD_TRAINING_FEATURES)) {
      training.put(r.getField("user_id") + "/" + r.getField("user_session") + "/"
          + r.getField("product_id") + "/" + r.getField("event_type"), r);
    }
    assertThat(training).hasSize(5);
    Record cart = training.get("100/s1/1/cart");
    assertThat(cart.getField("label")).isEqualTo(1);
    assertThat(cart.getField("cart__events")).isEqualTo(2L);
    assertThat(cart.getField("cart_product__carts")).isEqualTo(1L);
    assertThat(cart.getField("cart__carts_to_views")).isEqualTo(1.0);
    assertThat(cart.getField("user__events")).isEqualTo(0L);
    assertThat(cart.getField("user__views_to_events")).isNull(); // 0/0 is missing
    assertThat(training.get("100/s1/2/view").getField("label")).isEqualTo(0);
    // next day: daily sets see day 1 (user 100: view, cart, view on day 1)
    Record nextDay = training.get("100/s3/1/view");
    assertThat(nextDay.getField("user__events")).isEqualTo(3L);
    assertThat(nextDay.getField("product__carts")).isEqualTo(1L);
    assertThat(nextDay.getField("user_product__views_to_events")).isEqualTo(0.5);
    assertThat(nextDay.getField("cart__events")).isEqualTo(1L);
    assertThat(nextDay.getField("split")).isEqualTo(FeatureRules.split(100, "s3"));

    // gold: current state per key after all input
    List<Record> products = rows(lakehouse, LakehouseTable.GOLD_PRODUCT_METRICS);
    assertThat(products).extracting(r -> r.getField("product_id") + "=" + r.getField("events"))
        .containsExactlyInAnyOrder("1=5", "2=1");
    long userEvents = rows(lakehouse, LakehouseTable.GOLD_USER_METRICS).stream()
        .mapToLong(r -> (Long) r.getField("events")).sum();
    assertThat(userEvents).isEqualTo(6);
    Record cartS1 = rows(lakehouse, LakehouseTable.GOLD_CART_METRICS).stream()
        .filter(r -> "s1".equals(r.getField("user_session"))).findFirst().orElseThrow();
    assertThat(cartS1.getField("purchases")).isEqualTo(1L);
    assertThat(cartS1.getField("purchases_to_carts")).isEqualTo(1.0);

    // a backfill writes each gold key once: plain data files, no equality deletes to merge on read
    for (LakehouseTable t : BackfillJob.TABLES) {
      lakehouse.load(t).refresh();
      assertThat(lakehouse.load(t).currentSnapshot().summary())
          .as(t.qualifiedName()).containsEntry("total-delete-files", "0");
      if (!t.keyColumns().isEmpty()) {
        List<Record> gold = rows(lakehouse, t);
        assertThat(gold.stream().map(r -> t.keyColumns().stream().map(r::getField).toList())
            .distinct().count()).as("one row per key in " + t.qualifiedName()).isEqualTo(gold.size());
      }
    }

    // re-run over the same input: same content in every table
    Map<LakehouseTable, List<String>> before = new HashMap<>();
    for (LakehouseTable t : BackfillJob.TABLES) {
      before.put(t, content(lakehouse, t));
    }
    BackfillReport second = backfill(lakehouse, List.of(folder.toString()));
    assertThat(second.reconciles()).isTrue();
    for (LakehouseTable t : BackfillJob.TABLES) {
      assertThat(content(lakehouse, t)).as(t.qualifiedName()).isEqualTo(before.get(t));
    }
  }

  @Test
  void keyedGoldTablesAreWrittenWithoutAShuffleByKeyAndKeepTheirKeys() throws Exception {
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh").toString());
    BackfillJob job = tinyJob(lakehouse);
    StreamExecutionEnvironment env = batchEnvironment(2);
    job.prepareTables();
    try {
      job.addTo(env);
      StreamGraph graph = env.getStreamGraph();
      List<String> keyed = new ArrayList<>();
      for (LakehouseTable t : BackfillJob.TABLES) {
        if (t.keyColumns().isEmpty()) {
          continue;
        }
        keyed.add(t.qualifiedName());
        // each key is written once: its rows go to the writer without a shuffle by key (which
        // Iceberg adds for an equality-delta writer)
        StreamNode rows = graph.getStreamNodes().stream()
            .filter(n -> n.getOperatorName().equals("to-" + t.qualifiedName()))
            .findFirst().orElseThrow(() -> new AssertionError("no rows of " + t.qualifiedName()));
        assertThat(rows.getOutEdges()).as(rows.getOperatorName()).hasSize(1);
        assertThat(rows.getOutEdges().get(0).getPartitioner()).as(rows.getOperatorName())
            .isInstanceOf(ForwardPartitioner.class);
        // the table keeps its primary key for SQL writers and the stream's upserts
        assertThat(lakehouse.load(t).schema().identifierFieldNames())
            .containsExactlyInAnyOrderElementsOf(t.keyColumns());
      }
      assertThat(keyed).hasSize(5);
      // no record of ours falls back to Kryo (the other job tests allow generic types for
      // FlinkSink's internal write results, the only ones here, between its writer and committer)
      List<String> generic = new ArrayList<>();
      for (StreamNode n : graph.getStreamNodes()) {
        if (n.getTypeSerializerOut() instanceof KryoSerializer
            && !n.getOperatorName().contains("IcebergStreamWriter")) {
          generic.add(n.getOperatorName() + ": " + n.getTypeSerializerOut());
        }
      }
      assertThat(generic).isEmpty();
    } finally {
      job.abandon();
    }
  }

  /**
   * On a cluster every output of a BATCH task is a sort-merge result partition that holds 512
   * network buffers while the task runs, and a TaskManager runs a task per slot side by side:
   * one of 2 GB per slot (docs/operations.md) has ~5,400 buffers per slot, room for 10. The user
   * stage had five outputs (one per gold table it feeds, and the product shuffle): two of its
   * subtasks did not fit a TaskManager of Flink's default size (4,096 buffers).
   */
  @Test
  void theUserStageHasThreeOutputsAndNoTaskMoreThanFour() throws Exception {
    BackfillJob job = tinyJob(Lakehouse.at(tmp.resolve("wh").toString()));
    StreamExecutionEnvironment env = batchEnvironment(2);
    job.prepareTables();
    try {
      job.addTo(env);
      JobGraph graph = StreamingJobGraphGenerator.createJobGraph(env.getStreamGraph());
      Map<String, Integer> outputs = new HashMap<>();
      for (JobVertex v : graph.getVertices()) {
        outputs.put(v.getName(), v.getProducedDataSets().size());
      }
      assertThat(outputs.values()).as("result partitions per task: %s", outputs)
          .allMatch(n -> n <= 4);
      // the product shuffle, the four sets' rows in one stream, silver's write results
      assertThat(outputs).as("result partitions per task").hasEntrySatisfying(
          outputs.keySet().stream().filter(n -> n.startsWith("cart+cart_product+user+user_product-features"))
              .findFirst().orElseThrow(), n -> assertThat(n).isEqualTo(3));
      // the four sets' writers share a task, fed through that one output
      assertThat(outputs.keySet()).filteredOn(n -> n.startsWith("cart+cart_product+user+user_product-metrics"))
          .hasSize(1);
    } finally {
      job.abandon();
    }
  }

  @Test
  void silverRowsAreWrittenFromTheUserStageWithoutAnotherShuffle() throws Exception {
    BackfillJob job = tinyJob(Lakehouse.at(tmp.resolve("wh").toString()));
    StreamExecutionEnvironment env = BackfillJob.batchEnvironment(new Configuration());
    job.prepareTables();
    try {
      job.addTo(env);
      StreamGraph graph = env.getStreamGraph();
      StreamNode rows = graph.getStreamNodes().stream()
          .filter(n -> n.getOperatorName().equals("to-" + LakehouseTable.SILVER_EVENTS.qualifiedName()))
          .findFirst().orElseThrow();
      // the user stage's output runs by user and day: silver's day files are written in runs
      // (the product stage's output would visit every day file in turn, product by product)
      assertThat(rows.getInEdges()).hasSize(1);
      assertThat(rows.getInEdges().get(0).getPartitioner()).isInstanceOf(ForwardPartitioner.class);
      assertThat(graph.getStreamNode(rows.getInEdges().get(0).getSourceId()).getTransformationUID())
          .isEqualTo(FeaturePipeline.stageUid(FeatureSet.CART));
    } finally {
      job.abandon();
    }
  }

  /** A backfill of one event into {@code lakehouse}, for tests of the job's graph. */
  private BackfillJob tinyJob(Lakehouse lakehouse) throws IOException {
    Path csv = tmp.resolve("in.csv");
    Files.writeString(csv, "event_time,event_type,product_id,category_id,category_code,brand,price,"
        + "user_id,user_session\n2020-10-01 10:00:00 UTC,view,1,10,,,1.0,100,s1\n");
    return BackfillJob.builder().inputs(csv.toString()).lakehouse(lakehouse).build();
  }

  private static StreamExecutionEnvironment batchEnvironment(int parallelism) {
    Configuration conf = new Configuration();
    conf.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
    return BackfillJob.batchEnvironment(conf);
  }

  @Test
  void missingInputFailsFastWithAMessage() {
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh").toString());
    assertThatThrownBy(() -> BackfillJob.builder()
            .inputs(tmp.resolve("nope.csv").toString()).lakehouse(lakehouse).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not exist");
  }
}
