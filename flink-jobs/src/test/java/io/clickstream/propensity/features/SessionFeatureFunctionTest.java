package io.clickstream.propensity.features;

import static io.clickstream.propensity.events.EventType.CART;
import static io.clickstream.propensity.events.EventType.PURCHASE;
import static io.clickstream.propensity.events.EventType.REMOVE_FROM_CART;
import static io.clickstream.propensity.events.EventType.VIEW;
import static io.clickstream.propensity.features.ExecutionMode.BATCH;
import static io.clickstream.propensity.features.ExecutionMode.STREAMING;
import static io.clickstream.propensity.features.TestEvents.DAY;
import static io.clickstream.propensity.features.TestEvents.HOUR;
import static io.clickstream.propensity.features.TestEvents.copyAt;
import static io.clickstream.propensity.features.TestEvents.countsOf;
import static io.clickstream.propensity.features.TestEvents.ev;
import static io.clickstream.propensity.features.TestEvents.feed;
import static io.clickstream.propensity.features.TestEvents.pos;
import static io.clickstream.propensity.features.TestEvents.t;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The live session sets, cart and cart_product (docs/features.md, Session sets and Label), through
 * the production cart stage.
 */
class SessionFeatureFunctionTest {
  static final long T0 = t("2020-09-24T10:00:00Z");
  static final SessionPolicy P = SessionPolicy.DEFAULT;

  /**
   * Runs the cart stage over events given in feeding order; BATCH: the watermark jumps to the end
   * once all events are in, as the batch runtime does per key.
   */
  static List<FeaturedEvent> run(SessionPolicy policy, ExecutionMode mode, List<ClickEvent> events)
      throws Exception {
    try (var h = TestEvents.cartStage(policy, mode)) {
      feed(h, events);
      if (mode == BATCH) {
        assertThat(h.extractOutputValues()).as("batch mode waits for the end of the key").isEmpty();
        h.processWatermark(new Watermark(Long.MAX_VALUE));
      }
      return h.extractOutputValues();
    }
  }

  static Map<String, int[]> countsByPosition(List<FeaturedEvent> out, FeatureSet set) {
    Map<String, int[]> m = new HashMap<>();
    for (FeaturedEvent f : out) {
      assertThat(m.put(pos(f.event), countsOf(f, set))).as("emitted once: " + f).isNull();
    }
    return m;
  }

  static List<int[]> counts(List<FeaturedEvent> out, FeatureSet set) {
    return out.stream().map(f -> countsOf(f, set)).collect(Collectors.toList());
  }

  // ---- counting up to and including the event

  @ParameterizedTest(name = "{0}")
  @EnumSource(ExecutionMode.class)
  void cartCountsEveryTypeUpToAndIncludingTheEvent(ExecutionMode mode) throws Exception {
    List<ClickEvent> in = List.of(
        ev(T0, VIEW, 1, "s", 10, 2),
        ev(T0 + 5, VIEW, 1, "s", 11, 3),
        ev(T0 + 9, CART, 1, "s", 10, 4),
        ev(T0 + 20, REMOVE_FROM_CART, 1, "s", 10, 5),
        ev(T0 + 30, PURCHASE, 1, "s", 11, 6),
        ev(T0 + 31, VIEW, 2, "s", 10, 7)); // another user's cart with the same session id
    List<FeaturedEvent> out = run(P, mode, in);
    Map<String, int[]> c = countsByPosition(out, FeatureSet.CART);
    assertThat(c.get("0:2")).containsExactly(1, 1, 0, 0);
    assertThat(c.get("0:3")).containsExactly(2, 2, 0, 0);
    assertThat(c.get("0:4")).containsExactly(3, 2, 1, 0);
    assertThat(c.get("0:5")).containsExactly(4, 2, 1, 0);
    assertThat(c.get("0:6")).containsExactly(5, 2, 1, 1);
    assertThat(c.get("0:7")).containsExactly(1, 1, 0, 0);
    assertThat(out).allSatisfy(f -> assertThat(f.late).isFalse());
    // the cart stage writes the session slices only
    assertThat(out).allSatisfy(f -> {
      for (FeatureSet daily : List.of(FeatureSet.USER, FeatureSet.PRODUCT, FeatureSet.USER_PRODUCT)) {
        assertThat(countsOf(f, daily)).containsOnly(0);
      }
    });
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ExecutionMode.class)
  void cartProductCountsOnlyTheSameProductOfTheSameCart(ExecutionMode mode) throws Exception {
    List<ClickEvent> in = List.of(
        ev(T0, VIEW, 1, "s", 10, 2),
        ev(T0 + 1, VIEW, 1, "s", 11, 3),
        ev(T0 + 2, CART, 1, "s", 10, 4),
        ev(T0 + 3, VIEW, 1, "other", 10, 5));
    Map<String, int[]> c = countsByPosition(run(P, mode, in),
        FeatureSet.CART_PRODUCT);
    assertThat(c.get("0:2")).containsExactly(1, 1, 0, 0);
    assertThat(c.get("0:3")).containsExactly(1, 1, 0, 0);
    assertThat(c.get("0:4")).containsExactly(2, 1, 1, 0);
    assertThat(c.get("0:5")).containsExactly(1, 1, 0, 0);
  }

  @Test
  void tiesAtTheSameSecondFollowSourcePositionNotFeedingOrder() throws Exception {
    // fed in the order offset 10, 5, 7, then file 1 line 2, then file 0 line 100
    List<ClickEvent> in = List.of(
        ev(T0, VIEW, 1, "s", 10, 0, 10),
        ev(T0, CART, 1, "s", 10, 0, 5),
        ev(T0, VIEW, 1, "s", 11, 0, 7),
        ev(T0 + 1, VIEW, 1, "s", 12, 1, 2),
        ev(T0 + 1, VIEW, 1, "s", 13, 0, 100));
    Map<String, int[]> c = countsByPosition(run(P, BATCH, in), FeatureSet.CART);
    assertThat(c.get("0:5")).containsExactly(1, 0, 1, 0);
    assertThat(c.get("0:7")).containsExactly(2, 1, 1, 0);
    assertThat(c.get("0:10")).containsExactly(3, 2, 1, 0);
    assertThat(c.get("0:100")).containsExactly(4, 3, 1, 0); // file 0 before file 1
    assertThat(c.get("1:2")).containsExactly(5, 4, 1, 0);
  }

  @Test
  void canonicalModeGivesTheSameCountsWhateverTheFeedingOrder() throws Exception {
    Random rnd = new Random(42);
    List<ClickEvent> in = new ArrayList<>();
    EventType[] types = EventType.values();
    long offset = 2;
    for (int i = 0; i < 120; i++) {
      long user = 1 + rnd.nextInt(3);
      String session = "s" + rnd.nextInt(2);
      long time = T0 + rnd.nextInt(6); // many ties
      ClickEvent e = ev(time, types[rnd.nextInt(types.length)], user, session, 1 + rnd.nextInt(3),
          rnd.nextInt(2), offset++);
      if (in.stream().noneMatch(o -> o.eventId.equals(e.eventId))) { // duplicates: tested apart
        in.add(e);
      }
    }
    assertThat(in).hasSizeGreaterThan(60);
    for (FeatureSet set : new FeatureSet[] {FeatureSet.CART, FeatureSet.CART_PRODUCT}) {
      // naive expectation: same key, (time, position) <= the event's
      Map<String, int[]> expected = new HashMap<>();
      for (ClickEvent e : in) {
        int[] c = new int[4];
        for (ClickEvent o : in) {
          if (SetKey.of(set, o).equals(SetKey.of(set, e)) && ClickEvent.compareCanonical(o, e) <= 0) {
            c[0]++;
            c[1] += o.eventType == VIEW ? 1 : 0;
            c[2] += o.eventType == CART ? 1 : 0;
            c[3] += o.eventType == PURCHASE ? 1 : 0;
          }
        }
        expected.put(pos(e), c);
      }
      for (int round = 0; round < 5; round++) {
        List<ClickEvent> shuffled = new ArrayList<>(in);
        Collections.shuffle(shuffled, rnd);
        Map<String, int[]> actual = countsByPosition(run(P, BATCH, shuffled), set);
        assertThat(actual).hasSameSizeAs(expected);
        expected.forEach((p, c) -> assertThat(actual.get(p)).as(set + " " + p).containsExactly(c));
      }
    }
  }

  @Test
  void streamingInCanonicalOrderEqualsBatch() throws Exception {
    Random rnd = new Random(5);
    List<ClickEvent> in = new ArrayList<>();
    long time = T0;
    for (int i = 0; i < 200; i++) {
      time += rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(3) == 0 ? 2 * DAY + rnd.nextInt(40) * DAY : rnd.nextInt(600);
      in.add(ev(time, EventType.values()[rnd.nextInt(4)], 1 + rnd.nextInt(2), "s", 1 + rnd.nextInt(2), i + 2));
    }
    for (FeatureSet set : new FeatureSet[] {FeatureSet.CART, FeatureSet.CART_PRODUCT}) {
      Map<String, int[]> batch = countsByPosition(run(P, BATCH, in), set);
      Map<String, int[]> stream = countsByPosition(run(P, STREAMING, in), set);
      assertThat(stream).hasSameSizeAs(batch);
      batch.forEach((p, c) -> assertThat(stream.get(p)).as(set + " " + p).containsExactly(c));
    }
  }

  // ---- expiry

  @ParameterizedTest(name = "{0}")
  @EnumSource(ExecutionMode.class)
  void openCartRestartsAfterMoreThan30DaysNotAtExactly30(ExecutionMode mode) throws Exception {
    List<ClickEvent> in = List.of(
        ev(T0, VIEW, 1, "s", 10, 2),
        ev(T0 + 30 * DAY, VIEW, 1, "s", 10, 3), // exactly the TTL: continues
        ev(T0 + 60 * DAY + 1, CART, 1, "s", 10, 4), // one second more: restarts
        ev(T0 + 60 * DAY + 2, VIEW, 1, "s", 10, 5));
    for (FeatureSet set : new FeatureSet[] {FeatureSet.CART, FeatureSet.CART_PRODUCT}) {
      assertThat(counts(run(P, mode, in), set)).containsExactly(
          new int[] {1, 1, 0, 0}, new int[] {2, 2, 0, 0}, new int[] {1, 0, 1, 0}, new int[] {2, 1, 1, 0});
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ExecutionMode.class)
  void afterAPurchaseTheTtlIsOneDayUntilTheNextRestart(ExecutionMode mode) throws Exception {
    List<ClickEvent> in = List.of(
        ev(T0, VIEW, 1, "s", 10, 2),
        ev(T0 + HOUR, PURCHASE, 1, "s", 10, 3),
        ev(T0 + HOUR + DAY, VIEW, 1, "s", 10, 4), // exactly one day: continues
        ev(T0 + HOUR + 2 * DAY + 1, VIEW, 1, "s", 10, 5), // > 1 day after a purchase: restarts
        ev(T0 + HOUR + 12 * DAY, CART, 1, "s", 10, 6)); // no purchase since restart: 30 days
    for (FeatureSet set : new FeatureSet[] {FeatureSet.CART, FeatureSet.CART_PRODUCT}) {
      assertThat(counts(run(P, mode, in), set)).containsExactly(
          new int[] {1, 1, 0, 0}, new int[] {2, 1, 0, 1}, new int[] {3, 2, 0, 1},
          new int[] {1, 1, 0, 0}, new int[] {2, 1, 1, 0});
    }
  }

  @Test
  void aPurchaseOfAnotherProductShortensTheCartTtlButNotTheCartProductTtl() throws Exception {
    List<ClickEvent> in = List.of(
        ev(T0, VIEW, 1, "s", 10, 2),
        ev(T0 + 1, PURCHASE, 1, "s", 11, 3),
        ev(T0 + 3 * DAY, VIEW, 1, "s", 10, 4));
    List<FeaturedEvent> cart = run(P, BATCH, in);
    assertThat(countsOf(cart.get(2), FeatureSet.CART)).containsExactly(1, 1, 0, 0);
    List<FeaturedEvent> cp = run(P, BATCH, in);
    assertThat(countsByPosition(cp, FeatureSet.CART_PRODUCT).get("0:4")).containsExactly(2, 2, 0, 0);
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(ExecutionMode.class)
  void ttlsAreConfigurable(ExecutionMode mode) throws Exception {
    SessionPolicy p = new SessionPolicy(Duration.ofMinutes(10), Duration.ofHours(2));
    List<ClickEvent> in = List.of(
        ev(T0, VIEW, 1, "s", 10, 2),
        ev(T0 + 2 * HOUR, VIEW, 1, "s", 10, 3), // exactly 2 h: continues
        ev(T0 + 4 * HOUR + 1, VIEW, 1, "s", 10, 4), // restarts
        ev(T0 + 4 * HOUR + 2, PURCHASE, 1, "s", 10, 5),
        ev(T0 + 4 * HOUR + 602, VIEW, 1, "s", 10, 6), // exactly 10 min after the purchase
        ev(T0 + 4 * HOUR + 1203, VIEW, 1, "s", 10, 7)); // 10 min + 1 s: restarts
    assertThat(counts(run(p, mode, in), FeatureSet.CART)).containsExactly(
        new int[] {1, 1, 0, 0}, new int[] {2, 2, 0, 0}, new int[] {1, 1, 0, 0},
        new int[] {2, 1, 0, 1}, new int[] {3, 2, 0, 1}, new int[] {1, 1, 0, 0});
    // with the default policy nothing here expires
    assertThat(counts(run(P, mode, in), FeatureSet.CART).get(5))
        .containsExactly(6, 5, 0, 1);
  }

  // ---- dedup and label

  @Test
  void cartStageRemovesExactDuplicatesKeepingTheFirstPosition() throws Exception {
    ClickEvent a = ev(T0, VIEW, 1, "s", 10, 0, 20);
    ClickEvent b = ev(T0 + 1, CART, 1, "s", 10, 0, 21);
    ClickEvent aLater = copyAt(a, 0, 30);
    ClickEvent aOtherFile = copyAt(a, 1, 3);
    assertThat(aLater.eventId).isEqualTo(a.eventId);
    try (var h = TestEvents.cartStage(P, BATCH)) {
      feed(h, List.of(aOtherFile, b, aLater, a)); // first occurrence fed last
      h.processWatermark(new Watermark(Long.MAX_VALUE));
      List<FeaturedEvent> out = h.extractOutputValues();
      assertThat(out).extracting(f -> pos(f.event)).containsExactly("0:20", "0:21");
      assertThat(countsOf(out.get(1), FeatureSet.CART)).containsExactly(2, 1, 1, 0);
      assertThat(h.getSideOutput(SessionFeatureFunction.DUPLICATES))
          .extracting(r -> pos(r.getValue())).containsExactlyInAnyOrder("0:30", "1:3");
    }
  }

  @Test
  void streamingCartStageRemovesDuplicatesOfAnEarlierArrival() throws Exception {
    ClickEvent a = ev(T0, VIEW, 1, "s", 10, 0, 20);
    try (var h = TestEvents.cartStage(P, STREAMING)) {
      feed(h, List.of(a, ev(T0 + 1, VIEW, 1, "s", 11, 0, 21), copyAt(a, 0, 22)));
      assertThat(h.extractOutputValues()).extracting(f -> pos(f.event)).containsExactly("0:20", "0:21");
      assertThat(h.getSideOutput(SessionFeatureFunction.DUPLICATES))
          .extracting(r -> pos(r.getValue())).containsExactly("0:22");
    }
  }

  @Test
  void labelIsOneOnlyWhenAPurchaseOfTheSameCartProductFollowsInCanonicalOrder() throws Exception {
    List<ClickEvent> in = new ArrayList<>(List.of(
        ev(T0, VIEW, 1, "s", 10, 2), // purchase of 10 later -> 1
        ev(T0 + 10, CART, 1, "s", 10, 3), // -> 1
        ev(T0 + 20, PURCHASE, 1, "s", 10, 4),
        ev(T0 + 30, VIEW, 1, "s", 10, 5), // purchase was earlier -> 0
        ev(T0 + 40, VIEW, 1, "s", 11, 6), // other product, purchase at the same second later position -> 1
        ev(T0 + 40, PURCHASE, 1, "s", 11, 7),
        ev(T0 + 50, VIEW, 1, "s", 12, 9), // same second, purchase at an earlier position -> 0
        ev(T0 + 50, PURCHASE, 1, "s", 12, 8),
        ev(T0 + 60, VIEW, 1, "s", 13, 10), // purchased in another session only -> 0
        ev(T0 + 61, PURCHASE, 1, "t", 13, 11),
        ev(T0 + 62, VIEW, 2, "s", 13, 12), // another user, same session id -> 0
        ev(T0 + 70, VIEW, 1, "s", 14, 13), // purchase 40 days later, after an expiry restart -> 1
        ev(T0 + 40 * DAY, PURCHASE, 1, "s", 14, 14)));
    Collections.shuffle(in, new Random(3));
    Map<String, Integer> label = new HashMap<>();
    for (FeaturedEvent f : run(P, BATCH, in)) {
      if (f.event.eventType != PURCHASE) {
        label.put(pos(f.event), f.label);
      }
    }
    assertThat(label).containsExactlyInAnyOrderEntriesOf(Map.of(
        "0:2", 1, "0:3", 1, "0:5", 0, "0:6", 1, "0:9", 0, "0:10", 0, "0:12", 0, "0:13", 1));
  }

  /**
   * Streaming, one expiry timer per cart: a cart-product that outlives its cart (the cart's TTL
   * shortened by a purchase of another product) keeps its state until its own expiry.
   */
  @Test
  void streamingCartProductStateOutlivesAnExpiredCartUntilItsOwnExpiry() throws Exception {
    try (var h = TestEvents.cartStage(P, STREAMING)) {
      feed(h, List.of(ev(T0, VIEW, 1, "s", 10, 2), ev(T0 + HOUR, PURCHASE, 1, "s", 11, 3)));
      // the cart expires 1 day after the purchase, product 10 30 days after its view
      h.processWatermark(new Watermark((T0 + HOUR + DAY + 60) * 1000L));
      assertThat(h.numKeyedStateEntries()).as("cart cleared, product 10 kept").isEqualTo(1);
      feed(h, List.of(ev(T0 + 2 * DAY, VIEW, 1, "s", 10, 4)));
      FeaturedEvent last = h.extractOutputValues().get(2);
      assertThat(countsOf(last, FeatureSet.CART)).as("cart restarted").containsExactly(1, 1, 0, 0);
      assertThat(countsOf(last, FeatureSet.CART_PRODUCT)).as("cart-product continues")
          .containsExactly(2, 2, 0, 0);
      h.processWatermark(new Watermark((T0 + 2 * DAY + 30 * DAY + 1) * 1000L));
      assertThat(h.numKeyedStateEntries()).as("all expired, all cleared").isZero();
    }
  }

  @Test
  void streamingLeavesTheLabelUnknown() throws Exception {
    List<FeaturedEvent> out = run(P, STREAMING,
        List.of(ev(T0, VIEW, 1, "s", 10, 2), ev(T0 + 1, PURCHASE, 1, "s", 10, 3)));
    assertThat(out).allSatisfy(f -> assertThat(f.label).isEqualTo(-1));
  }

  // ---- streaming: late events and expiry timer

  @Test
  void streamingFlagsAnEventOlderThanTheNewestOfItsCartAsLateAndStillCountsIt() throws Exception {
    List<FeaturedEvent> out = run(P, STREAMING, List.of(
        ev(T0 + 100, VIEW, 1, "s", 10, 2),
        ev(T0 + 50, CART, 1, "s", 10, 3), // older than the newest: late, counted in arrival order
        ev(T0 + 100, VIEW, 1, "s", 11, 4), // same second as the newest: not late
        ev(T0 + 60, VIEW, 2, "s", 11, 5))); // another cart: its own newest
    assertThat(out).extracting(f -> f.late).containsExactly(false, true, false, false);
    assertThat(counts(out, FeatureSet.CART)).containsExactly(
        new int[] {1, 1, 0, 0}, new int[] {2, 1, 1, 0}, new int[] {3, 2, 1, 0}, new int[] {1, 1, 0, 0});
  }

  @Test
  void streamingExpiryTimerClearsTheStateOnceTheWatermarkPassesTheTtl() throws Exception {
    try (var h = TestEvents.cartStage(P, STREAMING)) {
      feed(h, List.of(ev(T0, VIEW, 1, "s", 10, 2), ev(T0 + 10 * DAY, VIEW, 1, "s", 10, 3)));
      assertThat(h.numKeyedStateEntries()).isPositive();
      // the second event moved the expiry to T0 + 40 days
      h.processWatermark(new Watermark((T0 + 30 * DAY + 1) * 1000L));
      assertThat(h.numKeyedStateEntries()).isPositive();
      h.processWatermark(new Watermark((T0 + 40 * DAY) * 1000L));
      assertThat(h.numKeyedStateEntries()).as("exactly at the TTL the key can still continue").isPositive();
      h.processWatermark(new Watermark((T0 + 40 * DAY) * 1000L + 1000L));
      assertThat(h.numKeyedStateEntries()).isZero();
      // a (late) event now starts from zero, and a copy of an earlier event is no longer a duplicate
      feed(h, List.of(ev(T0 + 10 * DAY, VIEW, 1, "s", 10, 4)));
      List<FeaturedEvent> out = h.extractOutputValues();
      assertThat(countsOf(out.get(out.size() - 1), FeatureSet.CART)).containsExactly(1, 1, 0, 0);
    }
  }

  @Test
  void streamingExpiryAfterAPurchaseUsesTheShortTtl() throws Exception {
    try (var h = TestEvents.cartStage(P, STREAMING)) {
      feed(h, List.of(ev(T0, PURCHASE, 1, "s", 10, 2)));
      h.processWatermark(new Watermark((T0 + DAY) * 1000L));
      assertThat(h.numKeyedStateEntries()).isPositive();
      h.processWatermark(new Watermark((T0 + DAY + 1) * 1000L));
      assertThat(h.numKeyedStateEntries()).isZero();
    }
  }

  @Test
  void streamingExpiryFollowsTheSessionPolicyOfTheRunThatRestoresTheState() throws Exception {
    org.apache.flink.runtime.checkpoint.OperatorSubtaskState snapshot;
    try (var h = TestEvents.cartStage(P, STREAMING)) {
      feed(h, List.of(ev(T0, VIEW, 1, "s", 10, 2)));
      snapshot = h.snapshot(1, 1);
    }
    // restored with a longer open TTL (60 days): the old 30-day timer must not clear the key
    SessionPolicy longer = new SessionPolicy(Duration.ofDays(1), Duration.ofDays(60));
    try (var h = TestEvents.cartStageHarness(longer, STREAMING)) {
      h.initializeState(snapshot);
      h.open();
      h.processWatermark(new Watermark((T0 + 30 * DAY) * 1000L + 1000L));
      assertThat(h.numKeyedStateEntries()).as("kept past the old TTL").isPositive();
      h.processWatermark(new Watermark((T0 + 60 * DAY) * 1000L + 1000L));
      assertThat(h.numKeyedStateEntries()).as("cleared after the new TTL").isZero();
    }
  }

  // ---- gold metric rows

  @Test
  void batchEmitsOneMetricRowPerKeyAtTheEnd() throws Exception {
    try (var h = TestEvents.cartStage(P, BATCH)) {
      feed(h, List.of(
          ev(T0 + 5, PURCHASE, 1, "s", 10, 3),
          ev(T0, VIEW, 1, "s", 10, 2),
          ev(T0 + 7, VIEW, 2, "s", 11, 4),
          ev(T0 - 50 * DAY, VIEW, 2, "s", 11, 5))); // expired before the next one
      assertThat(TestEvents.rows(h, FeatureSet.CART)).isEmpty();
      h.processWatermark(new Watermark(Long.MAX_VALUE));
      List<KeyMetrics> rows = TestEvents.rows(h, FeatureSet.CART);
      assertThat(rows).hasSize(2);
      KeyMetrics u1 = rows.stream().filter(r -> r.userId == 1).findFirst().orElseThrow();
      assertThat(u1.set).isEqualTo(FeatureSet.CART);
      assertThat(u1.userSession).isEqualTo("s");
      assertThat(u1.counts).containsExactly(2, 1, 0, 1);
      assertThat(u1.lastEventTime).isEqualTo(T0 + 5);
      KeyMetrics u2 = rows.stream().filter(r -> r.userId == 2).findFirst().orElseThrow();
      assertThat(u2.counts).containsExactly(1, 1, 0, 0); // current state: since the restart
      assertThat(u2.lastEventTime).isEqualTo(T0 + 7);
    }
  }

  @Test
  void streamingEmitsTheKeysCurrentStateWithEveryEvent() throws Exception {
    try (var h = TestEvents.cartStage(P, STREAMING)) {
      feed(h, List.of(ev(T0, VIEW, 1, "s", 10, 2), ev(T0 + 3, CART, 1, "s", 10, 3)));
      List<KeyMetrics> rows = TestEvents.rows(h, FeatureSet.CART_PRODUCT);
      assertThat(rows).extracting(r -> r.counts).containsExactly(new int[] {1, 1, 0, 0}, new int[] {2, 1, 1, 0});
      assertThat(rows).extracting(r -> r.lastEventTime).containsExactly(T0, T0 + 3);
      assertThat(rows).allSatisfy(r -> assertThat(r.productId).isEqualTo(10));
    }
  }

  @Test
  void aDailySetIsNotCountedAsASessionSet() {
    assertThatThrownBy(() -> new SessionCounter(FeatureSet.USER, P))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("daily set");
  }

  /**
   * The cart stage computes both sets of each event as a separate replay of the rule per key
   * would: BATCH per key in canonical order, duplicates removed first (first occurrence kept);
   * STREAMING per key in arrival order (late events included). Gold rows, final states and labels
   * of every key too.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(ExecutionMode.class)
  void cartStageEqualsAReplayOfTheRulePerKey(ExecutionMode mode) throws Exception {
    // many carts, products, ties, duplicates, purchases and a 40-day gap (expiry restart)
    Random rnd = new Random(11);
    List<ClickEvent> in = new ArrayList<>();
    long offset = 2;
    for (int i = 0; i < 300; i++) {
      long time = T0 + rnd.nextInt(8) * HOUR + rnd.nextInt(3) + (rnd.nextInt(10) == 0 ? 40 * DAY : 0);
      ClickEvent e = ev(time, EventType.values()[rnd.nextInt(4)], 1 + rnd.nextInt(2),
          "s" + rnd.nextInt(3), 1 + rnd.nextInt(4), rnd.nextInt(2), offset++);
      in.add(e);
      if (rnd.nextInt(15) == 0) {
        in.add(copyAt(e, 1, offset++));
      }
    }
    Collections.shuffle(in, rnd);

    List<FeaturedEvent> out;
    Map<FeatureSet, List<KeyMetrics>> rows = new HashMap<>();
    List<SessionSeed> seeds;
    try (var h = TestEvents.cartStage(P, mode)) {
      feed(h, in);
      h.processWatermark(new Watermark(mode == BATCH ? Long.MAX_VALUE : Long.MIN_VALUE));
      out = h.extractOutputValues();
      for (FeatureSet set : List.of(FeatureSet.CART, FeatureSet.CART_PRODUCT)) {
        rows.put(set, TestEvents.rows(h, set));
      }
      seeds = TestEvents.values(h.getSideOutput(SessionFeatureFunction.finalStateTag()));
    }

    // the expectation: the distinct events in the mode's order, each set's keys replayed apart
    List<ClickEvent> order = new ArrayList<>(in);
    if (mode == BATCH) {
      order.sort(ClickEvent::compareCanonical);
    }
    Set<String> ids = new HashSet<>();
    order.removeIf(e -> !ids.add(e.eventId));
    assertThat(out).extracting(f -> pos(f.event)).as("distinct events, each once")
        .containsExactlyInAnyOrderElementsOf(order.stream().map(TestEvents::pos).collect(Collectors.toList()));
    Map<String, FeaturedEvent> byPos = new HashMap<>();
    out.forEach(f -> byPos.put(pos(f.event), f));
    Set<String> late = new HashSet<>();
    for (FeatureSet set : List.of(FeatureSet.CART, FeatureSet.CART_PRODUCT)) {
      Map<String, SessionState> states = new HashMap<>();
      for (ClickEvent e : order) {
        SessionState st = states.computeIfAbsent(SetKey.of(set, e), k -> new SessionState());
        if (st.apply(e, P)) {
          late.add(pos(e));
        }
        assertThat(countsOf(byPos.get(pos(e)), set)).as(set + " " + pos(e))
            .containsExactly(st.counts);
      }
      // the latest gold row of each key (streaming: one per change; batch: one per key)
      Map<String, KeyMetrics> latest = new HashMap<>();
      rows.get(set).forEach(r -> latest.put(r.userId + "/" + r.userSession + "/"
          + (set == FeatureSet.CART ? "" : r.productId), r));
      assertThat(latest).hasSameSizeAs(states);
      for (SessionState st : states.values()) {
        KeyMetrics r = latest.get(st.userId + "/" + st.userSession + "/"
            + (set == FeatureSet.CART ? "" : st.productId));
        assertThat(r).as(set + " row").isNotNull();
        assertThat(r.counts).containsExactly(st.counts);
        assertThat(r.lastEventTime).isEqualTo(st.newestEventTime);
      }
      if (mode == BATCH) {
        assertThat(seeds.stream().filter(seed -> seed.set == set)).as(set + " final states")
            .hasSameSizeAs(states.values())
            .allSatisfy(seed -> assertThat(seed.state.counts).containsExactly(
                states.get(SetKey.of(set, anyEventOf(seed.state))).counts));
      }
    }
    assertThat(out).allSatisfy(f -> assertThat(f.late).as("late " + pos(f.event))
        .isEqualTo(late.contains(pos(f.event))));
    if (mode == BATCH) {
      assertThat(out).as("some positive labels").anySatisfy(f -> assertThat(f.label).isEqualTo(1));
      for (FeaturedEvent f : out) {
        boolean purchaseLater = order.stream().anyMatch(o -> o.eventType == PURCHASE
            && SetKey.of(FeatureSet.CART_PRODUCT, o).equals(SetKey.of(FeatureSet.CART_PRODUCT, f.event))
            && ClickEvent.compareCanonical(o, f.event) > 0);
        assertThat(f.label).as("label " + pos(f.event)).isEqualTo(purchaseLater ? 1 : 0);
      }
    } else {
      assertThat(out).as("some late events").anySatisfy(f -> assertThat(f.late).isTrue());
      assertThat(seeds).isEmpty();
    }
  }

  /** An event with the key fields of a final state (for its key). */
  private static ClickEvent anyEventOf(SessionState s) {
    return ev(0, VIEW, s.userId, s.userSession, s.productId, 0);
  }
}
