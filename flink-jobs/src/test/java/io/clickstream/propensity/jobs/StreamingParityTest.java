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
import org.apache.flink.configuration.RestartStrategyOptions;
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
      o.put("ingest_ts", System.currentTimeMillis());
      out.add(new AbstractMap.SimpleEntry<>(
          Long.toString(e.userId).getBytes(StandardCharsets.UTF_8), JSON.writeValueAsBytes(o)));
    }
    out.add(new AbstractMap.SimpleEntry<>(null, "not json".getBytes(StandardCharsets.UTF_8)));
    return out;
  }

  /** Backfills the history, warm-starts from it and streams {@code live} through Kafka. */
  static Lakehouse backfillThenStream(String name, List<ClickEvent> live) throws Exception {
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh-" + name).toString());
    BackfillJobTest.backfillWith(lakehouse, List.of(history().toString()), POLICY);

    String savepoint = tmp.resolve("warm-start-" + name).toUri().toString();
    WarmStartJob warm = new WarmStartJob(lakehouse, POLICY);
    StreamExecutionEnvironment benv = StreamExecutionEnvironment.getExecutionEnvironment(conf(null));
    warm.addTo(benv, warm.silverSnapshot().snapshotId(), savepoint);
    benv.execute("warm-start");

    String topic = name + "-in";
    kafka.createTopic(topic, 2);
    kafka.produce(topic, records(live));

    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf(savepoint));
    StreamingJob.builder()
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
        .build()
        .addTo(env);
    env.execute(name + "-stream");
    return lakehouse;
  }

  @Test
  void streamedFeaturesAndScoresEqualTheBatchBackfillRowForRow() throws Exception {
    List<ClickEvent> live = liveEvents();
    assertLiveDataCoversTheHardCases(live);
    Lakehouse lakehouse = backfillThenStream("parity", live);

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

    // the bad record went to rejected, the reconciliation of the whole warehouse holds
    List<Record> rejected = read(lakehouse.load(LakehouseTable.SILVER_REJECTED));
    assertThat(rejected).anySatisfy(r -> assertThat(r.getField("reason")).isEqualTo("malformed_json"));
    long bronze = read(lakehouse.load(LakehouseTable.BRONZE_RAW)).size();
    long silver = read(lakehouse.load(LakehouseTable.SILVER_EVENTS)).size();
    assertThat(bronze).isEqualTo(rows.size() + 1);
    assertThat(silver + rejected.size()).isLessThanOrEqualTo(bronze);

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
      streamed.put((String) s.getField("event_id"), s);
    }
    int exact = 0;
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
        exact += affected.contains(id) ? 0 : 1;
      }
    }
    assertThat(exact).isGreaterThan(streamed.size() - lateAfter.size() - affected.size() - 1);
  }

  /** Also the job-level test of --exactly-once-scores: the scores topic read committed. */
  @Test
  void restartFromACheckpointMidStreamLosesNothingAndDuplicatesNothing() throws Exception {
    List<ClickEvent> live = liveEvents();
    List<ClickEvent> first = live.subList(0, live.size() / 3);
    List<ClickEvent> middle = live.subList(live.size() / 3, 2 * live.size() / 3);
    List<ClickEvent> second = live.subList(2 * live.size() / 3, live.size());
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh-restart").toString());
    String topic = "restart-in";
    kafka.createTopic(topic, 2);
    kafka.produce(topic, records(first));
    Path checkpoints = tmp.resolve("restart-checkpoints");

    // run 1: unbounded; after its first checkpoint the middle events arrive and are scored, then
    // the job is cancelled before its next checkpoint: their scores and table rows are in flight
    Configuration c1 = conf(null);
    c1.setString("execution.checkpointing.dir", checkpoints.toUri().toString());
    c1.setString("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
    StreamExecutionEnvironment env1 = StreamExecutionEnvironment.getExecutionEnvironment(c1);
    streamingJob(topic, lakehouse, false, true, Duration.ofSeconds(15)).addTo(env1);
    var client = env1.executeAsync("restart-1");
    Path checkpoint = awaitCheckpoint(checkpoints, Duration.ofSeconds(120));
    // the first events were scored before that checkpoint: their transaction commits with it
    long firstScored = first.stream()
        .filter(e -> e.eventType != io.clickstream.propensity.events.EventType.PURCHASE)
        .map(e -> e.eventId).distinct().count();
    assertThat(kafka.consume(topic + "-scores", (int) firstScored, Duration.ofSeconds(60),
            Map.of("isolation.level", "read_committed")))
        .as("scores of the first events committed with checkpoint 1").hasSize((int) firstScored);
    kafka.produce(topic, records(middle));
    long scoredBeforeCancel = java.util.stream.Stream.concat(first.stream(), middle.stream())
        .filter(e -> e.eventType != io.clickstream.propensity.events.EventType.PURCHASE)
        .map(e -> e.eventId).distinct().count();
    // read uncommitted: the middle events' scores were sent (in a transaction not committed yet)
    assertThat(kafka.consume(topic + "-scores", (int) scoredBeforeCancel, Duration.ofSeconds(60)))
        .as("run 1 scored the middle events").hasSizeGreaterThanOrEqualTo((int) scoredBeforeCancel);
    JobRunner.cancelAndAwait(client, Duration.ofSeconds(120));
    assertThat(checkpointCount(checkpoints))
        .as("run 1 was cancelled before its second checkpoint (else nothing was in flight)").isEqualTo(1);

    // more events arrive while the job is down; run 2 restores the checkpoint (a restored Kafka
    // split keeps its unbounded stop offset, so it runs until every event is committed and two
    // more checkpoints completed, then is cancelled)
    kafka.produce(topic, records(second));
    Configuration c2 = conf(checkpoint.toUri().toString());
    c2.setString("execution.checkpointing.dir", checkpoints.toUri().toString());
    c2.setString("execution.checkpointing.num-retained", "100"); // to count them
    StreamExecutionEnvironment env2 = StreamExecutionEnvironment.getExecutionEnvironment(c2);
    streamingJob(topic, lakehouse, false, true, Duration.ofMillis(500)).addTo(env2);
    var client2 = env2.executeAsync("restart-2");
    long distinct = live.stream().map(e -> e.eventId).distinct().count();
    Table silverTable = lakehouse.load(LakehouseTable.SILVER_EVENTS);
    long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
    while (BackfillReport.rowCount(refreshed(silverTable)) < distinct) {
      assertThat(System.nanoTime()).as("all events committed in time").isLessThan(deadline);
      Thread.sleep(200);
    }
    int seen = checkpointCount(checkpoints);
    while (checkpointCount(checkpoints) < seen + 2) {
      assertThat(System.nanoTime()).as("two more checkpoints in time").isLessThan(deadline);
      Thread.sleep(100);
    }
    JobRunner.cancelAndAwait(client2, Duration.ofSeconds(120));

    // exactly once in the tables: every record once in bronze, every event once in silver and
    // every non-purchase event scored once
    List<Record> bronze = read(lakehouse.load(LakehouseTable.BRONZE_RAW));
    assertThat(bronze).hasSize(live.size() + 3); // + one non-JSON record per produce call
    assertThat(bronze.stream().map(r -> r.getField("source_partition") + ":" + r.getField("source_offset")).distinct())
        .hasSize(bronze.size());
    List<Record> silver = read(lakehouse.load(LakehouseTable.SILVER_EVENTS));
    assertThat(silver.stream().map(r -> r.getField("event_id")).distinct())
        .hasSize(silver.size())
        .hasSize((int) live.stream().map(e -> e.eventId).distinct().count());
    List<Record> scores = read(lakehouse.load(LakehouseTable.GOLD_SESSION_SCORES));
    long nonPurchases = live.stream()
        .filter(e -> e.eventType != io.clickstream.propensity.events.EventType.PURCHASE)
        .map(e -> e.eventId).distinct().count();
    assertThat(scores.stream().map(r -> r.getField("event_id")).distinct())
        .hasSize(scores.size())
        .hasSize((int) nonPurchases);
    assertThat(read(lakehouse.load(LakehouseTable.SILVER_REJECTED))).hasSize(3);

    // exactly once in Kafka too (transactions): a read-committed consumer sees every score once,
    // the same events as the table, although run 1 was cancelled with a transaction open
    // (one more than expected: reads for the whole timeout, so that an extra copy would show)
    var committed = kafka.consume(topic + "-scores", (int) nonPurchases + 1, Duration.ofSeconds(10),
        Map.of("isolation.level", "read_committed"));
    List<String> keys = committed.stream()
        .map(r -> new String(r.key(), StandardCharsets.UTF_8)).collect(Collectors.toList());
    assertThat(keys).as("scores read committed (open transactions: %s; %s)", kafka.openTransactions(),
            missingByBatch(keys, first, middle, second, topic + "-scores"))
        .doesNotHaveDuplicates().hasSize((int) nonPurchases)
        .containsExactlyInAnyOrderElementsOf(
            scores.stream().map(r -> (String) r.getField("event_id")).collect(Collectors.toList()));
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
    var all = kafka.consume(scoresTopic, Integer.MAX_VALUE, Duration.ofSeconds(5));
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

  /** Waits (polling, bounded) for the first completed checkpoint: a chk-N folder with _metadata. */
  static Path awaitCheckpoint(Path dir, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (Files.isDirectory(dir)) {
        try (var paths = Files.walk(dir, 3)) {
          var found = paths.filter(p -> p.getFileName().toString().equals("_metadata")).findFirst();
          if (found.isPresent()) {
            return found.get().getParent();
          }
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("no checkpoint completed within " + timeout);
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
