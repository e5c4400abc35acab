package io.clickstream.propensity.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.CsvRecordParser;
import io.clickstream.propensity.events.EventFields;
import io.clickstream.propensity.events.ParseOutcome;
import io.clickstream.propensity.events.synthetic.ClickstreamGenerator;
import io.clickstream.propensity.features.FeatureRules;
import io.clickstream.propensity.features.FeatureSet;
import io.clickstream.propensity.features.SessionPolicy;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.scoring.ModelContract;
import io.clickstream.propensity.scoring.OnnxScorer;
import io.clickstream.propensity.testing.EmbeddedKafka;
import io.clickstream.propensity.training.Trainer;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.testutils.CommonTestUtils;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key test (train/serve parity): a generated dataset is split at a midnight; the first part is
 * backfilled, the rest streams through a real Kafka broker into the streaming job warm-started
 * from the backfill; every streamed feature vector must equal the batch backfill of the whole
 * dataset row for row, and every streamed propensity the offline model's prediction for that row.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class StreamingParityTest {
  static final ObjectMapper JSON = new ObjectMapper();
  // short TTLs so that sessions expire and restart inside a few generated days (both modes)
  static final SessionPolicy POLICY = new SessionPolicy(Duration.ofMinutes(20), Duration.ofHours(2));
  static final Instant START = Instant.parse("2020-10-01T00:00:00Z");
  static final int DAYS = 6;
  static final long SPLIT = START.getEpochSecond() + 4 * 86_400L; // midnight before day 5

  @TempDir static Path tmp;
  static EmbeddedKafka kafka;
  static String header;
  static List<String[]> rows = new ArrayList<>(); // [line, eventTime or null]
  static Map<String, Record> batchRows = new HashMap<>();
  static ModelContract model;

  @BeforeAll
  static void backfillEverythingAndTrain() throws Exception {
    Path all = tmp.resolve("all.csv");
    ClickstreamGenerator.builder().events(6_000).seed(11).start(START).days(DAYS)
        .malformedShare(0.01).build().writeTo(all);
    List<String> lines = Files.readAllLines(all);
    header = lines.get(0);
    CsvRecordParser parser = new CsvRecordParser(header);
    for (int i = 1; i < lines.size(); i++) {
      ParseOutcome o = parser.parse(lines.get(i));
      rows.add(new String[] {lines.get(i), o.isValid() ? Long.toString(o.event().eventTime) : null});
    }
    Lakehouse full = Lakehouse.at(tmp.resolve("wh-full").toString());
    BackfillJobTest.backfillWith(full, List.of(all.toString()), POLICY);
    for (Record r : read(full.load(LakehouseTable.GOLD_TRAINING_FEATURES))) {
      batchRows.put((String) r.getField("event_id"), r);
    }
    Trainer.Options o = new Trainer.Options();
    o.catalog = full.config();
    o.out = tmp.resolve("model");
    o.trials = 2;
    o.maxRounds = 30;
    o.datasetDescription = "parity test";
    Trainer.train(o, new PrintStream(OutputStream.nullOutputStream()));
    model = ModelContract.load(o.out);

    kafka = new EmbeddedKafka().start();
  }

  static List<Record> read(Table table) throws Exception {
    List<Record> out = new ArrayList<>();
    table.refresh();
    org.apache.iceberg.Schema schema = table.schema();
    try (CloseableIterable<Record> it = IcebergGenerics.read(table).build()) {
      // the reader appends Iceberg's _pos column to rows of files with position deletes (an
      // upserted key written twice in one commit): keep the table's own columns only
      it.forEach(r -> {
        Record row = org.apache.iceberg.data.GenericRecord.create(schema);
        for (org.apache.iceberg.types.Types.NestedField f : schema.columns()) {
          row.setField(f.name(), r.getField(f.name()));
        }
        out.add(row);
      });
    }
    return out;
  }

  /** Rows of the first part (before the split; unparseable times go there too) as a CSV file. */
  static Path history() throws Exception {
    Path p = tmp.resolve("history.csv");
    StringBuilder sb = new StringBuilder(header).append('\n');
    for (String[] r : rows) {
      if (r[1] == null || Long.parseLong(r[1]) < SPLIT) {
        sb.append(r[0]).append('\n');
      }
    }
    Files.writeString(p, sb.toString());
    return p;
  }

  /** The rest in canonical order (time, then line): the events themselves. */
  static List<ClickEvent> liveEvents() {
    CsvRecordParser parser = new CsvRecordParser(header);
    List<Object[]> live = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      String[] r = rows.get(i);
      if (r[1] != null && Long.parseLong(r[1]) >= SPLIT) {
        live.add(new Object[] {Long.parseLong(r[1]), i, parser.parse(r[0]).event()});
      }
    }
    live.sort(Comparator.<Object[]>comparingLong(a -> (Long) a[0]).thenComparingInt(a -> (Integer) a[1]));
    List<ClickEvent> out = new ArrayList<>();
    live.forEach(l -> out.add((ClickEvent) l[2]));
    return out;
  }

  /** Events as JSON keyed by user_id, like `replay`, plus one record that is not JSON at all. */
  static List<Map.Entry<byte[], byte[]>> records(List<ClickEvent> events) throws Exception {
    List<Map.Entry<byte[], byte[]>> out = new ArrayList<>();
    for (ClickEvent e : events) {
      out.add(json(e, System.currentTimeMillis()));
    }
    out.add(new AbstractMap.SimpleEntry<>(null, "not json".getBytes(StandardCharsets.UTF_8)));
    return out;
  }

  /**
   * One event as `replay` sends it: the nine fields as JSON, keyed by user_id, with {@code
   * ingest_ts} unless it is null.
   */
  static Map.Entry<byte[], byte[]> json(ClickEvent e, Long ingestTs) throws Exception {
    ObjectNode o = JSON.createObjectNode();
    o.put(EventFields.EVENT_TIME, Instant.ofEpochSecond(e.eventTime).toString());
    o.put(EventFields.EVENT_TYPE, e.eventType.wireName());
    o.put(EventFields.PRODUCT_ID, e.productId);
    o.put(EventFields.CATEGORY_ID, e.categoryId);
    o.put(EventFields.CATEGORY_CODE, e.categoryCode);
    o.put(EventFields.BRAND, e.brand);
    o.put(EventFields.PRICE, e.price);
    o.put(EventFields.USER_ID, e.userId);
    o.put(EventFields.USER_SESSION, e.userSession);
    if (ingestTs != null) {
      o.put("ingest_ts", ingestTs);
    }
    return new AbstractMap.SimpleEntry<>(
        Long.toString(e.userId).getBytes(StandardCharsets.UTF_8), JSON.writeValueAsBytes(o));
  }

  /** Backfills the history, warm-starts from it and streams {@code live} through Kafka. */
  static Lakehouse backfillThenStream(String name, List<ClickEvent> live) throws Exception {
    return backfillThenStream(name, live, List.of());
  }

  /** The same, with {@code first} sent before the live events. */
  static Lakehouse backfillThenStream(String name, List<ClickEvent> live,
      List<Map.Entry<byte[], byte[]>> first) throws Exception {
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh-" + name).toString());
    BackfillJobTest.backfillWith(lakehouse, List.of(history().toString()), POLICY);

    String savepoint = tmp.resolve("warm-start-" + name).toUri().toString();
    WarmStartJob warm = new WarmStartJob(lakehouse, POLICY);
    StreamExecutionEnvironment benv = WarmStartJob.environment(conf(null));
    warm.addTo(benv, warm.silverSnapshot().snapshotId(), savepoint);
    benv.execute("warm-start");

    String topic = name + "-in";
    kafka.createTopic(topic, 2);
    List<Map.Entry<byte[], byte[]>> send = new ArrayList<>(first);
    send.addAll(records(live));
    kafka.produce(topic, send);

    StreamExecutionEnvironment env = prepared(StreamingJob.builder()
        .bootstrapServers(kafka.bootstrapServers())
        .topic(topic)
        .scoresTopic(name + "-scores")
        .groupId(name)
        .startingOffsets("earliest")
        .bounded(true)
        .checkpointInterval(Duration.ofSeconds(1))
        .sessionPolicy(POLICY)
        .lakehouse(lakehouse)
        .model(model)
        .build(), conf(savepoint));
    env.execute(name + "-stream");
    return lakehouse;
  }

  @Test
  void streamedFeaturesAndScoresEqualTheBatchBackfillRowForRow() throws Exception {
    List<ClickEvent> live = liveEvents();
    assertLiveDataCoversTheHardCases(live);
    Lakehouse lakehouse = backfillThenStream("parity", live);
    assertStreamEqualsTheBackfill(lakehouse);

    // the bad record went to rejected, the reconciliation of the whole warehouse holds
    List<Record> rejected = read(lakehouse.load(LakehouseTable.SILVER_REJECTED));
    assertThat(rejected).anySatisfy(r -> assertThat(r.getField("reason")).isEqualTo("malformed_json"));
    long bronze = read(lakehouse.load(LakehouseTable.BRONZE_RAW)).size();
    long silver = read(lakehouse.load(LakehouseTable.SILVER_EVENTS)).size();
    long validRows = rows.stream().filter(r -> r[1] != null).count();
    CsvRecordParser parser = new CsvRecordParser(header);
    long distinctEvents = rows.stream().filter(r -> r[1] != null)
        .map(r -> parser.parse(r[0]).event().eventId).distinct().count();
    long duplicates = validRows - distinctEvents;
    assertThat(duplicates).as("the generated input has exact duplicates").isPositive();
    assertThat(bronze).isEqualTo(rows.size() + 1);
    assertThat(silver).isEqualTo(distinctEvents);
    assertThat(rejected).hasSize((int) (rows.size() - validRows + 1));
    assertThat(bronze).as("bronze = silver + rejected + duplicates")
        .isEqualTo(silver + rejected.size() + duplicates);
  }

  /**
   * Time sanity (issue 12): events stamped in the year 9999 and a day ahead of the clock, sent
   * first on both partitions, are rejected with their own reasons; had either been accepted, the
   * watermark would have jumped past every live event (all late, every daily snapshot at once).
   * The stream goes on: every other event's features equal the batch backfill's.
   */
  @Test
  void eventsStampedInTheFutureAreRejectedAndDoNotPoisonTheStream() throws Exception {
    List<ClickEvent> live = liveEvents();
    List<Long> users = live.stream().map(e -> e.userId).distinct().limit(4).toList();
    String tomorrow = Instant.now().plus(Duration.ofDays(1)).toString();
    List<Map.Entry<byte[], byte[]>> first = new ArrayList<>();
    for (long user : users) {
      for (String time : List.of("9999-12-31 23:59:59 UTC", tomorrow)) {
        ClickEvent e = live.stream().filter(x -> x.userId == user).findFirst().orElseThrow();
        ObjectNode o = (ObjectNode) JSON.readTree(records(List.of(e)).get(0).getValue());
        o.put(EventFields.EVENT_TIME, time);
        first.add(new AbstractMap.SimpleEntry<>(
            Long.toString(user).getBytes(StandardCharsets.UTF_8), JSON.writeValueAsBytes(o)));
      }
    }
    Lakehouse lakehouse = backfillThenStream("future", live, first);
    assertStreamEqualsTheBackfill(lakehouse);

    Map<Object, Long> reasons = read(lakehouse.load(LakehouseTable.SILVER_REJECTED)).stream()
        .filter(r -> "future-in".equals(r.getField("source")))
        .collect(Collectors.groupingBy(r -> r.getField("reason"), Collectors.counting()));
    assertThat(reasons).containsOnly(Map.entry("event_time_out_of_range", (long) users.size()),
        Map.entry("event_time_in_future", (long) users.size()), Map.entry("malformed_json", 1L));
  }

  /**
   * Every streamed score (the events after the split) equals the batch backfill of everything row
   * for row (features, not late, the offline model's propensity), and every gold metric table
   * equals the backfill's.
   */
  static void assertStreamEqualsTheBackfill(Lakehouse lakehouse) throws Exception {
    List<Record> scores = read(lakehouse.load(LakehouseTable.GOLD_SESSION_SCORES));
    long expectedScores = batchRows.values().stream()
        .filter(r -> ((java.time.OffsetDateTime) r.getField("event_time")).toEpochSecond() >= SPLIT)
        .count();
    assertThat(expectedScores).isGreaterThan(500);
    assertThat(scores).hasSize((int) expectedScores);

    int compared = 0;
    try (OnnxScorer offline = model.openScorer(1)) {
      for (Record s : scores) {
        Record b = batchRows.get((String) s.getField("event_id"));
        assertThat(b).as("batch row of streamed event %s", s.getField("event_id")).isNotNull();
        assertThat(s.getField("late")).isEqualTo(false);
        float[] v = new float[FeatureRules.MODEL_FEATURE_COUNT];
        for (int i = 0; i < FeatureRules.MODEL_FEATURE_COUNT; i++) {
          String f = FeatureRules.MODEL_FEATURES.get(i);
          assertThat(s.getField(f)).as("%s of %s", f, s.getField("event_id")).isEqualTo(b.getField(f));
          Object x = b.getField(f);
          v[i] = x == null ? Float.NaN : ((Number) x).floatValue();
        }
        double expected = offline.score(v);
        assertThat((Double) s.getField("propensity")).isEqualTo(expected);
        compared++;
      }
    }
    assertThat(compared).isEqualTo(expectedScores);

    // the gold tables, backfilled for the history and upserted by the stream, hold exactly what
    // the batch backfill of everything holds: the current state of every key
    Lakehouse full = Lakehouse.at(tmp.resolve("wh-full").toString());
    for (FeatureSet set : FeatureSet.values()) {
      LakehouseTable t = LakehouseTable.metricsOf(set);
      List<String> streamed = read(lakehouse.load(t)).stream().map(Record::toString).sorted().toList();
      List<String> batch = read(full.load(t)).stream().map(Record::toString).sorted().toList();
      assertThat(streamed).as("%s after the stream", t.qualifiedName())
          .doesNotHaveDuplicates().hasSameSizeAs(batch).containsExactlyElementsOf(batch);
    }
  }

  /** The streamed part has ties within a cart, a day boundary and sessions that expire. */
  static void assertLiveDataCoversTheHardCases(List<ClickEvent> live) {
    Map<String, Long> lastTimeOfCart = new HashMap<>();
    boolean tie = false;
    boolean expiry = false;
    for (ClickEvent e : live) {
      String cart = e.userId + "/" + e.userSession;
      Long last = lastTimeOfCart.put(cart, e.eventTime);
      tie |= last != null && last == e.eventTime;
      expiry |= last != null && e.eventTime - last > POLICY.ttlAfterPurchaseSeconds();
    }
    assertThat(tie).as("a cart with two events in the same second").isTrue();
    assertThat(expiry).as("a cart gap longer than the shortest TTL").isTrue();
    assertThat(live.get(live.size() - 1).eventTime - SPLIT).as("a day boundary").isGreaterThan(86_400L);
  }

  @Test
  void outOfOrderEventsAreFlaggedLateAndEverythingElseStillMatches() throws Exception {
    List<ClickEvent> canonical = liveEvents();
    // delay a few events past the last event of their cart on the same day (no purchase and no
    // expiry in between): they arrive older than the newest event of their cart, so they are late
    List<ClickEvent> send = new ArrayList<>(canonical);
    Map<String, ClickEvent> lateAfter = new HashMap<>(); // late event id -> event it follows
    java.util.Set<String> affected = new java.util.HashSet<>();
    for (int i = 0; i < canonical.size() && lateAfter.size() < 8; i += 37) {
      ClickEvent e = canonical.get(i);
      int last = -1;
      for (int j = i + 1; j < canonical.size(); j++) {
        ClickEvent n = canonical.get(j);
        if (n.userId == e.userId && n.userSession.equals(e.userSession)) {
          if (n.eventType == io.clickstream.propensity.events.EventType.PURCHASE
              || FeatureRules.epochDay(n.eventTime) != FeatureRules.epochDay(e.eventTime)
              || n.eventTime - e.eventTime > POLICY.ttlAfterPurchaseSeconds()) {
            break;
          }
          last = j;
        }
      }
      if (last < 0 || e.eventType == io.clickstream.propensity.events.EventType.PURCHASE
          || canonical.get(last).eventTime == e.eventTime || affected.contains(e.eventId)) {
        continue;
      }
      ClickEvent anchor = canonical.get(last);
      send.remove(e);
      send.add(send.indexOf(anchor) + 1, e);
      lateAfter.put(e.eventId, anchor);
      for (int j = i + 1; j <= last; j++) {
        ClickEvent n = canonical.get(j);
        if (n.userId == e.userId && n.userSession.equals(e.userSession)) {
          affected.add(n.eventId);
        }
      }
    }
    assertThat(lateAfter).hasSizeGreaterThanOrEqualTo(3);
    Lakehouse lakehouse = backfillThenStream("late", send);

    Map<String, Record> streamed = new HashMap<>();
    for (Record s : read(lakehouse.load(LakehouseTable.GOLD_SESSION_SCORES))) {
      assertThat(streamed.put((String) s.getField("event_id"), s)).as("scored once").isNull();
    }
    assertThat(streamed.keySet()).as("every non-purchase event scored, nothing else")
        .containsExactlyInAnyOrderElementsOf(canonical.stream()
            .filter(e -> e.eventType != io.clickstream.propensity.events.EventType.PURCHASE)
            .map(e -> e.eventId).collect(Collectors.toSet()));
    // an event a delayed one was sent after misses it: one cart event fewer than in batch per
    // delayed event of its cart that was canonically before it and arrived after it
    Map<String, Integer> sendIndex = new HashMap<>();
    for (int i = 0; i < send.size(); i++) {
      sendIndex.put(send.get(i).eventId, i);
    }
    Map<String, Integer> canonicalIndex = new HashMap<>();
    for (int i = 0; i < canonical.size(); i++) {
      canonicalIndex.put(canonical.get(i).eventId, i);
    }
    int exact = 0;
    int shifted = 0;
    for (Record s : streamed.values()) {
      String id = (String) s.getField("event_id");
      Record b = batchRows.get(id);
      if (lateAfter.containsKey(id)) {
        assertThat(s.getField("late")).as("delayed event %s", id).isEqualTo(true);
        // counted in arrival order: one more than the cart event it arrived after
        Record anchor = streamed.get(lateAfter.get(id).eventId);
        assertThat((Long) s.getField("cart__events"))
            .isEqualTo((Long) anchor.getField("cart__events") + 1);
        // its daily snapshots are not affected by the delay
        for (String f : FeatureRules.MODEL_FEATURES) {
          if (f.startsWith("user__") || f.startsWith("product__") || f.startsWith("user_product__")) {
            assertThat(s.getField(f)).as(f).isEqualTo(b.getField(f));
          }
        }
      } else {
        assertThat(s.getField("late")).as("late flag of %s", id).isEqualTo(false);
        for (String f : FeatureRules.MODEL_FEATURES) {
          if (!affected.contains(id) || !f.startsWith("cart")) {
            assertThat(s.getField(f)).as("%s of %s", f, id).isEqualTo(b.getField(f));
          }
        }
        if (affected.contains(id)) {
          ClickEvent e = canonical.get(canonicalIndex.get(id));
          long missed = lateAfter.keySet().stream()
              .map(l -> canonical.get(canonicalIndex.get(l)))
              .filter(l -> l.userId == e.userId && l.userSession.equals(e.userSession))
              .filter(l -> canonicalIndex.get(l.eventId) < canonicalIndex.get(id)
                  && sendIndex.get(l.eventId) > sendIndex.get(id))
              .count();
          assertThat(missed).as("a delayed event passed %s", id).isPositive();
          assertThat((Long) s.getField("cart__events")).as("cart__events of %s", id)
              .isEqualTo((Long) b.getField("cart__events") - missed);
          shifted++;
        } else {
          exact++;
        }
      }
    }
    assertThat(shifted).as("events a delayed one was sent after").isPositive();
    assertThat(exact).as("events compared in all 50 features").isGreaterThan(streamed.size() / 2);
  }

  /**
   * Also the job-level test of --exactly-once-scores: the scores topic read committed. The test
   * decides when checkpoints happen (run 1 has none of its own), so the cancel always falls
   * between a completed checkpoint and the next one, with the middle events in flight.
   */
  @Test
  void restartFromACheckpointMidStreamLosesNothingAndDuplicatesNothing() throws Exception {
    List<ClickEvent> live = liveEvents();
    List<ClickEvent> first = live.subList(0, live.size() / 3);
    List<ClickEvent> middle = live.subList(live.size() / 3, 2 * live.size() / 3);
    List<ClickEvent> second = live.subList(2 * live.size() / 3, live.size());
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh-restart").toString());
    String topic = "restart-in";
    String scoresTopic = topic + "-scores";
    kafka.createTopic(topic, 2);
    Path checkpoints = tmp.resolve("restart-checkpoints");
    int firstScored = nonPurchases(first);
    int scoredBeforeCancel = firstScored + nonPurchases(middle);
    int nonPurchases = nonPurchases(live);
    int distinct = (int) live.stream().map(e -> e.eventId).distinct().count();
    int firstDistinct = (int) first.stream().map(e -> e.eventId).distinct().count();

    Configuration cluster = conf(null);
    cluster.set(RestOptions.BIND_PORT, "0");
    try (MiniCluster flink = new MiniCluster(new MiniClusterConfiguration.Builder()
        .setConfiguration(cluster).setNumTaskManagers(1).setNumSlotsPerTaskManager(2).build())) {
      flink.start();

      // run 1: no periodic checkpoint within the hour (the first waits at least the minimum pause)
      Configuration c1 = conf(null);
      c1.setString("execution.checkpointing.dir", checkpoints.toUri().toString());
      c1.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
      c1.setString("execution.checkpointing.min-pause", "1 h");
      StreamExecutionEnvironment env1 =
          prepared(streamingJob(topic, lakehouse, false, true, Duration.ofHours(1)), c1);
      Table silverTable = lakehouse.load(LakehouseTable.SILVER_EVENTS);
      JobID run1 = flink.submitJob(env1.getStreamGraph()).get().getJobID();
      kafka.produce(topic, records(first));
      assertThat(kafka.consume(scoresTopic, firstScored, Duration.ofSeconds(120)))
          .as("run 1 scored the first events (read uncommitted: their transaction is open)")
          .hasSize(firstScored);
      assertThat(kafka.readToEnd(scoresTopic, READ_COMMITTED)).as("nothing committed before a checkpoint")
          .isEmpty();
      String checkpoint = flink.triggerCheckpoint(run1).get(120, TimeUnit.SECONDS);
      // the sinks commit once they are told the checkpoint completed
      CommonTestUtils.waitUtil(() -> kafka.readToEnd(scoresTopic, READ_COMMITTED).size() >= firstScored
              && BackfillReport.rowCount(refreshed(silverTable)) >= firstDistinct,
          Duration.ofSeconds(60), Duration.ofMillis(200), "checkpoint 1 committed in Kafka and Iceberg");
      assertThat(kafka.readToEnd(scoresTopic, READ_COMMITTED)).as("scores committed with checkpoint 1")
          .hasSize(firstScored);
      assertThat(BackfillReport.rowCount(refreshed(silverTable))).isEqualTo(firstDistinct);

      kafka.produce(topic, records(middle));
      assertThat(kafka.consume(scoresTopic, scoredBeforeCancel, Duration.ofSeconds(120)))
          .as("run 1 scored the middle events (in a transaction not committed yet)")
          .hasSizeGreaterThanOrEqualTo(scoredBeforeCancel);
      flink.cancelJob(run1).get(120, TimeUnit.SECONDS);
      flink.requestJobResult(run1).get(120, TimeUnit.SECONDS); // its tasks have closed their sinks
      assertThat(checkpointCount(checkpoints)).as("checkpoints of run 1").isEqualTo(1);
      assertThat(BackfillReport.rowCount(refreshed(silverTable)))
          .as("the middle events' rows were in flight, not committed").isEqualTo(firstDistinct);

      // more events arrive while the job is down; run 2 restores checkpoint 1 and runs until
      // every event is committed in the tables and every score in Kafka
      kafka.produce(topic, records(second));
      Configuration c2 = conf(checkpoint);
      c2.setString("execution.checkpointing.dir", checkpoints.toUri().toString());
      StreamExecutionEnvironment env2 =
          prepared(streamingJob(topic, lakehouse, false, true, Duration.ofMillis(500)), c2);
      StreamGraph graph2 = env2.getStreamGraph();
      graph2.setSavepointRestoreSettings(SavepointRestoreSettings.forPath(checkpoint));
      JobID run2 = flink.submitJob(graph2).get().getJobID();
      Table scoresTable = lakehouse.load(LakehouseTable.GOLD_SESSION_SCORES);
      CommonTestUtils.waitUtil(() -> BackfillReport.rowCount(refreshed(silverTable)) >= distinct
              && BackfillReport.rowCount(refreshed(scoresTable)) >= nonPurchases
              && kafka.readToEnd(scoresTopic, READ_COMMITTED).size() >= nonPurchases,
          Duration.ofSeconds(180), Duration.ofMillis(500), "run 2 committed every event and score");
      flink.cancelJob(run2).get(120, TimeUnit.SECONDS);
      flink.requestJobResult(run2).get(120, TimeUnit.SECONDS);
    }

    // exactly once in the tables: every record once in bronze, every event once in silver and
    // every non-purchase event scored once
    List<Record> bronze = read(lakehouse.load(LakehouseTable.BRONZE_RAW));
    assertThat(bronze).hasSize(live.size() + 3); // + one non-JSON record per produce call
    assertThat(bronze.stream().map(r -> r.getField("source_partition") + ":" + r.getField("source_offset")).distinct())
        .hasSize(bronze.size());
    List<Record> silver = read(lakehouse.load(LakehouseTable.SILVER_EVENTS));
    assertThat(silver.stream().map(r -> r.getField("event_id")).distinct())
        .hasSize(silver.size())
        .hasSize(distinct);
    List<Record> scores = read(lakehouse.load(LakehouseTable.GOLD_SESSION_SCORES));
    assertThat(scores.stream().map(r -> r.getField("event_id")).distinct())
        .hasSize(scores.size())
        .hasSize(nonPurchases);
    assertThat(read(lakehouse.load(LakehouseTable.SILVER_REJECTED))).hasSize(3);

    // exactly once in Kafka too (transactions): a read-committed consumer sees every score once,
    // the same events as the table, although run 1 was cancelled with a transaction open
    List<String> keys = kafka.readToEnd(scoresTopic, READ_COMMITTED).stream()
        .map(r -> new String(r.key(), StandardCharsets.UTF_8)).collect(Collectors.toList());
    assertThat(keys).as("scores read committed (open transactions: %s; %s)", kafka.openTransactions(),
            missingByBatch(keys, first, middle, second, scoresTopic))
        .doesNotHaveDuplicates().hasSize(nonPurchases)
        .containsExactlyInAnyOrderElementsOf(
            scores.stream().map(r -> (String) r.getField("event_id")).collect(Collectors.toList()));
  }

  static final Map<String, Object> READ_COMMITTED = Map.of("isolation.level", "read_committed");

  static int nonPurchases(List<ClickEvent> events) {
    return (int) events.stream()
        .filter(e -> e.eventType != io.clickstream.propensity.events.EventType.PURCHASE)
        .map(e -> e.eventId).distinct().count();
  }

  /** Which of the three batches the scores missing from {@code keys} belong to, and what the topic holds uncommitted. */
  static String missingByBatch(List<String> keys, List<ClickEvent> first, List<ClickEvent> middle,
      List<ClickEvent> second, String scoresTopic) {
    Set<String> got = new HashSet<>(keys);
    Map<String, Long> missing = new java.util.TreeMap<>();
    for (var batch : Map.of("first", first, "middle", middle, "second", second).entrySet()) {
      missing.put(batch.getKey(), batch.getValue().stream()
          .filter(e -> e.eventType != io.clickstream.propensity.events.EventType.PURCHASE)
          .filter(e -> !got.contains(e.eventId)).map(e -> e.eventId).distinct().count());
    }
    var all = kafka.readToEnd(scoresTopic, Map.of());
    Map<String, String> batchOf = new HashMap<>();
    first.forEach(e -> batchOf.put(e.eventId, "first"));
    middle.forEach(e -> batchOf.put(e.eventId, "middle"));
    second.forEach(e -> batchOf.put(e.eventId, "second"));
    Map<String, Long> uncommittedByBatch = all.stream().collect(Collectors.groupingBy(
        r -> batchOf.getOrDefault(new String(r.key(), StandardCharsets.UTF_8), "?"),
        java.util.TreeMap::new, Collectors.counting()));
    Map<Integer, Long> perPartition = all.stream().collect(
        Collectors.groupingBy(r -> r.partition(), java.util.TreeMap::new, Collectors.counting()));
    return "missing by batch " + missing + ", uncommitted read: " + all.size() + " records "
        + perPartition + " per partition, " + uncommittedByBatch + " by batch";
  }

  /** The steps StreamCommand takes: tables, scores topic, environment from {@code conf}, graph. */
  static StreamExecutionEnvironment prepared(StreamingJob job, Configuration conf) {
    job.prepareTables();
    job.createScoresTopic();
    StreamExecutionEnvironment env = job.environment(conf);
    job.addTo(env);
    return env;
  }

  static StreamingJob streamingJob(String topic, Lakehouse lakehouse, boolean bounded) {
    return streamingJob(topic, lakehouse, bounded, false, Duration.ofMillis(500));
  }

  static StreamingJob streamingJob(String topic, Lakehouse lakehouse, boolean bounded,
      boolean exactlyOnceScores, Duration checkpointInterval) {
    return StreamingJob.builder()
        .exactlyOnceScores(exactlyOnceScores)
        .bootstrapServers(kafka.bootstrapServers())
        .topic(topic)
        .scoresTopic(topic + "-scores")
        .groupId(topic)
        .startingOffsets("earliest")
        .bounded(bounded)
        .checkpointInterval(checkpointInterval)
        .sessionPolicy(POLICY)
        .lakehouse(lakehouse)
        .model(model)
        .build();
  }

  static Table refreshed(Table t) {
    t.refresh();
    return t;
  }

  /** Completed checkpoints ever written under {@code dir} (chk-N folders with _metadata). */
  static int checkpointCount(Path dir) throws Exception {
    try (var paths = Files.walk(dir, 3)) {
      return (int) paths.filter(p -> p.getFileName().toString().equals("_metadata")).count();
    }
  }

  static Configuration conf(String restore) {
    Configuration conf = new Configuration();
    conf.set(CoreOptions.DEFAULT_PARALLELISM, 2);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    conf.setString("execution.checkpointing.dir", tmp.resolve("checkpoints").toUri().toString());
    if (restore != null) {
      conf.setString("execution.state-recovery.path", restore);
    }
    return conf;
  }
}
