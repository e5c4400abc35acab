package io.clickstream.propensity.features;

import static io.clickstream.propensity.events.EventType.CART;
import static io.clickstream.propensity.events.EventType.PURCHASE;
import static io.clickstream.propensity.events.EventType.REMOVE_FROM_CART;
import static io.clickstream.propensity.events.EventType.VIEW;
import static io.clickstream.propensity.features.ExecutionMode.BATCH;
import static io.clickstream.propensity.features.ExecutionMode.STREAMING;
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
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.api.Test;

/**
 * The daily snapshot sets, user / product / user_product (docs/features.md, Daily sets), through
 * the production user and product stages.
 */
class DailyFeatureFunctionTest {
  static final long D0 = t("2020-09-24T00:00:00Z");

  static List<FeaturedEvent> runBatch(FeatureSet set, List<ClickEvent> events) throws Exception {
    try (var h = TestEvents.dailyStage(set, BATCH)) {
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
    // the user stage writes the user and user_product slices only
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
    try (var h = TestEvents.dailyStage(FeatureSet.USER_PRODUCT, BATCH)) {
      feed(h, List.of(
          ev(D0 + 3 * DAY, VIEW, 1, "a", 10, 2),
          ev(D0, CART, 1, "a", 10, 3),
          ev(D0 + 3 * DAY, PURCHASE, 1, "b", 10, 4),
          ev(D0 + 7, VIEW, 2, "a", 10, 5)));
      assertThat(TestEvents.rows(h, FeatureSet.USER_PRODUCT)).isEmpty();
      h.processWatermark(new Watermark(Long.MAX_VALUE));
      List<KeyMetrics> rows = TestEvents.rows(h, FeatureSet.USER_PRODUCT);
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
    try (var h = TestEvents.dailyStage(FeatureSet.USER, STREAMING)) {
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
      List<KeyMetrics> rows = TestEvents.rows(h, FeatureSet.USER);
      assertThat(rows.get(rows.size() - 1).counts).containsExactly(3, 2, 1, 0);
    }
  }

  @Test
  void streamingEventOfADayOlderThanTheLatestSnapshotIsLateAndCountsFromTheNextSnapshot()
      throws Exception {
    try (var h = TestEvents.dailyStage(FeatureSet.USER, STREAMING)) {
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
      // one user, one product: the user-product key follows the same rule in the same stage
      assertThat(out).allSatisfy(f -> assertThat(countsOf(f, FeatureSet.USER_PRODUCT))
          .containsExactly(countsOf(f, FeatureSet.USER)));
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
    try (var h = TestEvents.dailyStage(FeatureSet.USER_PRODUCT, STREAMING)) {
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
  void aSessionSetIsNotCountedAsADailySet() {
    assertThatThrownBy(() -> new DailyCounter(FeatureSet.CART))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("session set");
  }

  /** In BATCH, each key's gold row and final state hold the counts of all its events. */
  @Test
  void batchGoldRowsAndFinalStatesOfEveryKeyOfTheUserStage() throws Exception {
    Random rnd = new Random(23);
    List<ClickEvent> in = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      long time = D0 + rnd.nextInt(12) * DAY + rnd.nextInt(3) * (DAY / 2) - (rnd.nextInt(5) == 0 ? 1 : 0);
      in.add(ev(time, EventType.values()[rnd.nextInt(4)], 1 + rnd.nextInt(3), "s" + rnd.nextInt(2),
          1 + rnd.nextInt(4), rnd.nextInt(2), i + 2));
    }
    Collections.shuffle(in, rnd);
    try (var h = TestEvents.dailyStage(FeatureSet.USER, BATCH)) {
      feed(h, in);
      h.processWatermark(new Watermark(Long.MAX_VALUE));
      List<DailySeed> seeds =
          TestEvents.values(h.getSideOutput(DailyFeatureFunction.finalStateTag(FeatureSet.USER)));
      for (FeatureSet set : List.of(FeatureSet.USER, FeatureSet.USER_PRODUCT)) {
        Map<String, int[]> expected = new HashMap<>();
        Map<String, Long> newest = new HashMap<>();
        for (ClickEvent e : in) {
          int[] c = expected.computeIfAbsent(SetKey.of(set, e), k -> new int[4]);
          FeatureRules.count(c, 0, e.eventType);
          newest.merge(SetKey.of(set, e), e.eventTime, Math::max);
        }
        List<KeyMetrics> rows = TestEvents.rows(h, set);
        assertThat(rows).as(set + " one row per key").hasSize(expected.size());
        for (KeyMetrics r : rows) {
          String key = SetKey.of(set, ev(0, VIEW, r.userId, "s", r.productId, 0));
          assertThat(r.counts).as(set + " " + key).containsExactly(expected.get(key));
          assertThat(r.lastEventTime).isEqualTo(newest.get(key));
        }
        List<DailySeed> ofSet =
            seeds.stream().filter(seed -> seed.set == set).collect(Collectors.toList());
        assertThat(ofSet).as(set + " one final state per key").hasSize(expected.size());
        for (DailySeed seed : ofSet) {
          String key = SetKey.of(set, ev(0, VIEW, seed.state.userId, "s", seed.state.productId, 0));
          assertThat(seed.state.total()).as(set + " " + key).containsExactly(expected.get(key));
        }
      }
    }
  }
}
