package io.clickstream.propensity.features;

import static io.clickstream.propensity.events.EventType.CART;
import static io.clickstream.propensity.events.EventType.PURCHASE;
import static io.clickstream.propensity.events.EventType.REMOVE_FROM_CART;
import static io.clickstream.propensity.events.EventType.VIEW;
import static io.clickstream.propensity.features.TestEvents.DAY;
import static io.clickstream.propensity.features.TestEvents.countsOf;
import static io.clickstream.propensity.features.TestEvents.ev;
import static io.clickstream.propensity.features.TestEvents.feed;
import static io.clickstream.propensity.features.TestEvents.pos;
import static io.clickstream.propensity.features.TestEvents.t;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The daily snapshot sets, user / product / user_product (FEATURES.md §3). */
class DailyFeatureFunctionTest {
  static final long D0 = t("2020-09-24T00:00:00Z");

  static List<FeaturedEvent> runBatch(FeatureSet set, List<ClickEvent> events) throws Exception {
    try (var h = TestEvents.daily(set, true)) {
      feed(h, events);
      assertThat(h.extractOutputValues()).isEmpty();
      h.processWatermark(new Watermark(Long.MAX_VALUE));
      return h.extractOutputValues();
    }
  }

  static Map<String, FeaturedEvent> byPosition(List<FeaturedEvent> out) {
    Map<String, FeaturedEvent> m = new HashMap<>();
    for (FeaturedEvent f : out) {
      assertThat(m.put(pos(f.event), f)).as("emitted once").isNull();
    }
    return m;
  }

  @Test
  void valueIsTheCountOfTheKeysEventsBeforeTheStartOfTheEventsUtcDay() throws Exception {
    List<ClickEvent> in = new ArrayList<>(List.of(
        ev(D0 + 10, VIEW, 1, "a", 10, 2),
        ev(D0 + 3600, CART, 1, "a", 11, 3),
        ev(D0 + DAY - 1, PURCHASE, 1, "b", 10, 4), // 23:59:59, another session: same user key
        ev(D0 + DAY, VIEW, 1, "b", 12, 5), // 00:00:00 next day sees the whole previous day
        ev(D0 + DAY + 5, REMOVE_FROM_CART, 1, "b", 11, 6), // same day: does not see 0:5
        ev(D0 + 9 * DAY + 7, VIEW, 1, "c", 10, 7), // idle for days: keeps its counts
        ev(D0 + DAY + 1, VIEW, 2, "x", 10, 8))); // another user: nothing before
    Collections.shuffle(in, new Random(1)); // order within the input does not matter
    Map<String, FeaturedEvent> out = byPosition(runBatch(FeatureSet.USER, in));
    assertThat(countsOf(out.get("0:2"), FeatureSet.USER)).containsExactly(0, 0, 0, 0);
    assertThat(countsOf(out.get("0:3"), FeatureSet.USER)).containsExactly(0, 0, 0, 0);
    assertThat(countsOf(out.get("0:4"), FeatureSet.USER)).containsExactly(0, 0, 0, 0);
    assertThat(countsOf(out.get("0:5"), FeatureSet.USER)).containsExactly(3, 1, 1, 1);
    assertThat(countsOf(out.get("0:6"), FeatureSet.USER)).containsExactly(3, 1, 1, 1);
    assertThat(countsOf(out.get("0:7"), FeatureSet.USER)).containsExactly(5, 2, 1, 1);
    assertThat(countsOf(out.get("0:8"), FeatureSet.USER)).containsExactly(0, 0, 0, 0);
    assertThat(out.values()).allSatisfy(f -> assertThat(f.late).isFalse());
    // only the user slice is written
    assertThat(out.values()).allSatisfy(f -> {
      assertThat(countsOf(f, FeatureSet.PRODUCT)).containsOnly(0);
      assertThat(countsOf(f, FeatureSet.CART)).containsOnly(0);
    });
  }

  @Test
  void aKeyWithNoEarlierEventsHasZeroCountsAndMissingRatios() throws Exception {
    List<FeaturedEvent> out = runBatch(FeatureSet.PRODUCT,
        List.of(ev(D0 + 5, VIEW, 1, "a", 10, 2), ev(D0 + 6, CART, 2, "b", 10, 3)));
    for (FeaturedEvent f : out) {
      double[] v = FeatureRules.modelVector(f.counts);
      int base = FeatureSet.PRODUCT.ordinal() * FeatureRules.FEATURES_PER_SET;
      for (int i = 0; i < 4; i++) {
        assertThat(v[base + i]).isZero();
      }
      for (int i = 4; i < 10; i++) {
        assertThat(v[base + i]).as(FeatureRules.MODEL_FEATURES.get(base + i)).isNaN();
      }
    }
  }

  @Test
  void productAndUserProductKeys() throws Exception {
    List<ClickEvent> in = List.of(
        ev(D0, VIEW, 1, "a", 10, 2),
        ev(D0 + 1, VIEW, 2, "b", 10, 3),
        ev(D0 + 2, VIEW, 1, "a", 11, 4),
        ev(D0 + DAY, CART, 1, "c", 10, 5));
    FeaturedEvent p = byPosition(runBatch(FeatureSet.PRODUCT, in)).get("0:5");
    assertThat(countsOf(p, FeatureSet.PRODUCT)).containsExactly(2, 2, 0, 0);
    FeaturedEvent up = byPosition(runBatch(FeatureSet.USER_PRODUCT, in)).get("0:5");
    assertThat(countsOf(up, FeatureSet.USER_PRODUCT)).containsExactly(1, 1, 0, 0);
  }

  @Test
  void utcDayBoundariesBefore1970() throws Exception {
    List<ClickEvent> in = List.of(
        ev(-DAY - 1, VIEW, 1, "a", 10, 2), // 1969-12-30 23:59:59
        ev(-DAY, VIEW, 1, "a", 10, 3), // 1969-12-31 00:00:00
        ev(-1, CART, 1, "a", 10, 4), // 1969-12-31 23:59:59
        ev(0, VIEW, 1, "a", 10, 5)); // 1970-01-01 00:00:00
    Map<String, FeaturedEvent> out = byPosition(runBatch(FeatureSet.USER, in));
    assertThat(countsOf(out.get("0:2"), FeatureSet.USER)).containsExactly(0, 0, 0, 0);
    assertThat(countsOf(out.get("0:3"), FeatureSet.USER)).containsExactly(1, 1, 0, 0);
    assertThat(countsOf(out.get("0:4"), FeatureSet.USER)).containsExactly(1, 1, 0, 0);
    assertThat(countsOf(out.get("0:5"), FeatureSet.USER)).containsExactly(3, 2, 1, 0);
  }

  @Test
  void batchMatchesANaiveCountOverRandomShuffledInput() throws Exception {
    Random rnd = new Random(9);
    List<ClickEvent> in = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      long time = D0 + rnd.nextInt(12) * DAY + (rnd.nextBoolean() ? rnd.nextInt(3) : DAY - 1 - rnd.nextInt(3));
      in.add(ev(time, EventType.values()[rnd.nextInt(4)], 1 + rnd.nextInt(4), "s", 1 + rnd.nextInt(4), i + 2));
    }
    Collections.shuffle(in, rnd);
    for (FeatureSet set : new FeatureSet[] {FeatureSet.USER, FeatureSet.PRODUCT, FeatureSet.USER_PRODUCT}) {
      Map<String, FeaturedEvent> out = byPosition(runBatch(set, in));
      assertThat(out).hasSize(in.size());
      for (ClickEvent e : in) {
        long dayStart = Math.floorDiv(e.eventTime, DAY) * DAY;
        int[] c = new int[4];
        for (ClickEvent o : in) {
          if (SetKey.of(set, o).equals(SetKey.of(set, e)) && o.eventTime < dayStart) {
            c[0]++;
            c[1] += o.eventType == VIEW ? 1 : 0;
            c[2] += o.eventType == CART ? 1 : 0;
            c[3] += o.eventType == PURCHASE ? 1 : 0;
          }
        }
        assertThat(countsOf(out.get(pos(e)), set)).as(set + " " + e).containsExactly(c);
      }
    }
  }

  @Test
  void batchEmitsOneGoldRowPerKeyWithCountsAfterAllEvents() throws Exception {
    try (var h = TestEvents.daily(FeatureSet.USER_PRODUCT, true)) {
      feed(h, List.of(
          ev(D0 + 3 * DAY, VIEW, 1, "a", 10, 2),
          ev(D0, CART, 1, "a", 10, 3),
          ev(D0 + 3 * DAY, PURCHASE, 1, "b", 10, 4),
          ev(D0 + 7, VIEW, 2, "a", 10, 5)));
      assertThat(TestEvents.metrics(h)).isEmpty();
      h.processWatermark(new Watermark(Long.MAX_VALUE));
      List<KeyMetrics> rows = TestEvents.metrics(h);
      assertThat(rows).hasSize(2);
      KeyMetrics k1 = rows.stream().filter(r -> r.userId == 1).findFirst().orElseThrow();
      assertThat(k1.set).isEqualTo(FeatureSet.USER_PRODUCT);
      assertThat(k1.productId).isEqualTo(10);
      assertThat(k1.counts).containsExactly(3, 1, 1, 1);
      assertThat(k1.lastEventTime).isEqualTo(D0 + 3 * DAY);
      KeyMetrics k2 = rows.stream().filter(r -> r.userId == 2).findFirst().orElseThrow();
      assertThat(k2.counts).containsExactly(1, 1, 0, 0);
      assertThat(k2.lastEventTime).isEqualTo(D0 + 7);
    }
  }

  // ---- streaming

  @Test
  void streamingEventWaitsUntilTheWatermarkPassesItsDaysMidnight() throws Exception {
    try (var h = TestEvents.daily(FeatureSet.USER, false)) {
      h.processWatermark(new Watermark((D0 - 10) * 1000L));
      feed(h, List.of(ev(D0 - 20, VIEW, 1, "a", 10, 2))); // day before, watermark past its midnight
      assertThat(h.extractOutputValues()).hasSize(1);
      feed(h, List.of(ev(D0 + 3, CART, 1, "a", 10, 3)));
      assertThat(h.extractOutputValues()).as("waits for the snapshot of its day").hasSize(1);
      h.processWatermark(new Watermark(D0 * 1000L - 1));
      assertThat(h.extractOutputValues()).hasSize(1);
      h.processWatermark(new Watermark(D0 * 1000L));
      List<FeaturedEvent> out = h.extractOutputValues();
      assertThat(out).hasSize(2);
      assertThat(countsOf(out.get(1), FeatureSet.USER)).containsExactly(1, 1, 0, 0);
      // later events of the same day go through at once, with the same snapshot
      feed(h, List.of(ev(D0 + 50, VIEW, 1, "a", 10, 4)));
      out = h.extractOutputValues();
      assertThat(out).hasSize(3);
      assertThat(countsOf(out.get(2), FeatureSet.USER)).containsExactly(1, 1, 0, 0);
      assertThat(out).allSatisfy(f -> assertThat(f.late).isFalse());
      // the key's current state goes out with every event
      List<KeyMetrics> rows = TestEvents.metrics(h);
      assertThat(rows.get(rows.size() - 1).counts).containsExactly(3, 2, 1, 0);
    }
  }

  @Test
  void streamingEventOfADayOlderThanTheLatestSnapshotIsLateAndCountsFromTheNextSnapshot()
      throws Exception {
    try (var h = TestEvents.daily(FeatureSet.USER, false)) {
      h.processWatermark(new Watermark((D0 + 2 * DAY) * 1000L));
      feed(h, List.of(
          ev(D0 + 5, VIEW, 1, "a", 10, 2), // day 0
          ev(D0 + 2 * DAY + 5, VIEW, 1, "a", 10, 3))); // day 2: snapshot of day 2 taken
      feed(h, List.of(ev(D0 + DAY + 5, CART, 1, "a", 10, 4))); // day 1 arrives after it: late
      List<FeaturedEvent> out = h.extractOutputValues();
      assertThat(out).extracting(f -> f.late).containsExactly(false, false, true);
      assertThat(countsOf(out.get(1), FeatureSet.USER)).containsExactly(1, 1, 0, 0);
      assertThat(countsOf(out.get(2), FeatureSet.USER)).containsExactly(1, 1, 0, 0);
      // day 3: its snapshot includes the late event
      h.processWatermark(new Watermark((D0 + 3 * DAY) * 1000L));
      feed(h, List.of(ev(D0 + 3 * DAY + 1, VIEW, 1, "a", 10, 5)));
      out = h.extractOutputValues();
      assertThat(out.get(3).late).isFalse();
      assertThat(countsOf(out.get(3), FeatureSet.USER)).containsExactly(3, 2, 1, 0);
    }
  }

  @Test
  void streamingInOrderEqualsBatch() throws Exception {
    Random rnd = new Random(21);
    List<ClickEvent> in = new ArrayList<>();
    long time = D0;
    for (int i = 0; i < 150; i++) {
      time += rnd.nextInt(3) == 0 ? rnd.nextInt(3) * DAY : rnd.nextInt(4000);
      in.add(ev(time, EventType.values()[rnd.nextInt(4)], 1 + rnd.nextInt(3), "s", 1 + rnd.nextInt(3), i + 2));
    }
    Map<String, FeaturedEvent> batch = byPosition(runBatch(FeatureSet.USER_PRODUCT, in));
    List<FeaturedEvent> streamed;
    try (var h = TestEvents.daily(FeatureSet.USER_PRODUCT, false)) {
      for (ClickEvent e : in) { // watermark follows the in-order input, 5 s out-of-orderness
        feed(h, List.of(e));
        h.processWatermark(new Watermark(e.eventTime * 1000L - 5000L));
      }
      h.processWatermark(new Watermark(Long.MAX_VALUE));
      streamed = h.extractOutputValues();
    }
    assertThat(streamed).hasSize(in.size());
    for (FeaturedEvent f : streamed) {
      assertThat(f.late).isFalse();
      assertThat(countsOf(f, FeatureSet.USER_PRODUCT))
          .containsExactly(countsOf(batch.get(pos(f.event)), FeatureSet.USER_PRODUCT));
    }
  }

  @Test
  void sessionSetIsRefused() {
    assertThatThrownBy(() -> new DailyFeatureFunction(FeatureSet.CART, true, TestEvents.METRICS))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * Feeds {@code in} in list order: BATCH (no watermark until the end), or STREAMING with the
   * watermark trailing the newest event time seen by 5 s, so that days close as they would live
   * and the events that arrive after their day closed come out late.
   */
  static void feedInMode(
      org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness<?, FeaturedEvent, FeaturedEvent> h,
      List<ClickEvent> in, boolean batch) throws Exception {
    long newest = Long.MIN_VALUE;
    for (ClickEvent e : in) {
      h.processElement(FeaturedEvent.of(e), e.eventTime * 1000L);
      newest = Math.max(newest, e.eventTime);
      if (!batch) {
        h.processWatermark(new Watermark(newest * 1000L - 5000L));
      }
    }
    h.processWatermark(new Watermark(Long.MAX_VALUE));
  }

  /**
   * The user stage with the user-product set equals the two separate stages: in BATCH for any
   * feeding order, in STREAMING for the same arrival order (late events included).
   */
  @ParameterizedTest(name = "batch={0}")
  @ValueSource(booleans = {true, false})
  void userStageWithUserProductEqualsTheSeparateStages(boolean batch) throws Exception {
    Random rnd = new Random(23);
    List<ClickEvent> in = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      long time = D0 + rnd.nextInt(12) * DAY + rnd.nextInt(3) * (DAY / 2) - (rnd.nextInt(5) == 0 ? 1 : 0);
      in.add(ev(time, EventType.values()[rnd.nextInt(4)], 1 + rnd.nextInt(3), "s" + rnd.nextInt(2),
          1 + rnd.nextInt(4), rnd.nextInt(2), i + 2));
    }
    if (batch) {
      Collections.shuffle(in, rnd);
    } else {
      // roughly in time order, every tenth event a day or two behind: late
      in.sort(java.util.Comparator.comparingLong(e -> e.eventTime));
      for (int i = 10; i < in.size(); i += 10) {
        ClickEvent e = in.get(i);
        in.set(i, ev(e.eventTime - (1 + rnd.nextInt(2)) * DAY, e.eventType, e.userId,
            e.userSession, e.productId, e.sourceOrder, e.sourceOffset));
      }
    }
    var userProductRows = new org.apache.flink.util.OutputTag<KeyMetrics>(
        "up-metrics", org.apache.flink.api.common.typeinfo.Types.POJO(KeyMetrics.class));
    List<FeaturedEvent> merged;
    List<KeyMetrics> mergedRows;
    List<KeyMetrics> mergedUserRows;
    List<DailySeed> mergedSeeds;
    try (var h = new org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness<>(
        new org.apache.flink.streaming.api.operators.KeyedProcessOperator<>(
            DailyFeatureFunction.userWithUserProduct(batch, TestEvents.METRICS, userProductRows)),
        new SetKey.Id(FeatureSet.USER), org.apache.flink.api.common.typeinfo.Types.LONG)) {
      h.open();
      feedInMode(h, in, batch);
      merged = h.extractOutputValues();
      mergedRows = TestEvents.values(h.getSideOutput(userProductRows));
      mergedUserRows = TestEvents.values(h.getSideOutput(TestEvents.METRICS));
      mergedSeeds = TestEvents.values(h.getSideOutput(DailyFeatureFunction.finalStateTag(FeatureSet.USER)))
          .stream().filter(seed -> seed.set == FeatureSet.USER_PRODUCT)
          .collect(java.util.stream.Collectors.toList());
    }
    List<FeaturedEvent> separate;
    List<KeyMetrics> separateRows;
    List<DailySeed> separateSeeds;
    try (var h = TestEvents.daily(FeatureSet.USER_PRODUCT, batch)) {
      feedInMode(h, in, batch);
      separate = h.extractOutputValues();
      separateRows = TestEvents.metrics(h);
      separateSeeds = TestEvents.values(h.getSideOutput(DailyFeatureFunction.finalStateTag(FeatureSet.USER_PRODUCT)));
    }
    List<FeaturedEvent> separateUsers;
    try (var h = TestEvents.daily(FeatureSet.USER, batch)) {
      feedInMode(h, in, batch);
      separateUsers = h.extractOutputValues();
    }
    Map<String, FeaturedEvent> users = byPosition(separateUsers);
    Map<String, FeaturedEvent> userProducts = byPosition(separate);
    assertThat(merged).hasSameSizeAs(in);
    for (FeaturedEvent f : merged) {
      String p = pos(f.event);
      assertThat(countsOf(f, FeatureSet.USER_PRODUCT)).as("user_product " + p)
          .containsExactly(countsOf(userProducts.get(p), FeatureSet.USER_PRODUCT));
      assertThat(countsOf(f, FeatureSet.USER)).as("user " + p)
          .containsExactly(countsOf(users.get(p), FeatureSet.USER));
      assertThat(f.late).as("late " + p)
          .isEqualTo(userProducts.get(p).late || users.get(p).late);
    }
    assertThat(merged).anySatisfy(f -> assertThat(countsOf(f, FeatureSet.USER_PRODUCT)[0]).isPositive());
    // the latest row of each key (streaming upserts one per change, batch one per key)
    assertThat(latestByKey(mergedRows).values()).usingRecursiveFieldByFieldElementComparator()
        .containsExactlyInAnyOrderElementsOf(latestByKey(separateRows).values());
    if (batch) {
      assertThat(mergedRows).hasSize(12);
      assertThat(mergedUserRows).hasSize(3);
      assertThat(mergedSeeds).usingRecursiveFieldByFieldElementComparator()
          .containsExactlyInAnyOrderElementsOf(separateSeeds);
    } else {
      assertThat(merged).as("some late events").anySatisfy(f -> assertThat(f.late).isTrue());
    }
  }

  static Map<String, KeyMetrics> latestByKey(List<KeyMetrics> rows) {
    Map<String, KeyMetrics> m = new HashMap<>();
    rows.forEach(r -> m.put(r.userId + "/" + r.productId, r));
    return m;
  }
}
