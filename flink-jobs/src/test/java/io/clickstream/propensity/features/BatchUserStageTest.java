package io.clickstream.propensity.features;

import static io.clickstream.propensity.features.ExecutionMode.BATCH;
import static io.clickstream.propensity.features.ExecutionMode.STREAMING;
import static io.clickstream.propensity.features.TestEvents.DAY;
import static io.clickstream.propensity.features.TestEvents.copyAt;
import static io.clickstream.propensity.features.TestEvents.countsOf;
import static io.clickstream.propensity.features.TestEvents.ev;
import static io.clickstream.propensity.features.TestEvents.feed;
import static io.clickstream.propensity.features.TestEvents.pos;
import static io.clickstream.propensity.features.TestEvents.t;
import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.api.Test;

/**
 * The BATCH stage keyed by user computes what the streaming job's cart stage and user stage
 * compute one after the other: the same counts per event, the same duplicates removed, the same
 * gold rows and final states.
 */
class BatchUserStageTest {
  static final long D0 = t("2020-09-24T00:00:00Z");

  @Test
  void equalsTheCartStageInCanonicalOrderFollowedByTheUserStage() throws Exception {
    Random rnd = new Random(11);
    List<ClickEvent> in = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      long time = D0 + rnd.nextInt(40) * DAY + rnd.nextInt(3) * 3_600 + rnd.nextInt(3);
      ClickEvent e = ev(time, EventType.values()[rnd.nextInt(4)], 1 + rnd.nextInt(4),
          "s" + rnd.nextInt(3), 1 + rnd.nextInt(5), rnd.nextInt(2), i + 2);
      in.add(e);
      if (rnd.nextInt(10) == 0) {
        in.add(copyAt(e, rnd.nextInt(2), 10_000 + i)); // an exact duplicate elsewhere in the input
      }
    }
    Collections.shuffle(in, rnd);

    List<FeaturedEvent> merged;
    List<ClickEvent> mergedDuplicates;
    Map<FeatureSet, List<KeyMetrics>> mergedRows = new HashMap<>();
    List<SessionSeed> sessionSeeds;
    List<DailySeed> dailySeeds;
    try (var h = TestEvents.cartStage(SessionPolicy.DEFAULT, BATCH)) {
      feed(h, in);
      assertThat(h.extractOutputValues()).as("waits for the end of the key").isEmpty();
      h.processWatermark(new Watermark(Long.MAX_VALUE));
      merged = h.extractOutputValues();
      mergedDuplicates = TestEvents.values(h.getSideOutput(SessionFeatureFunction.DUPLICATES));
      for (FeatureSet set : List.of(FeatureSet.CART, FeatureSet.CART_PRODUCT, FeatureSet.USER,
          FeatureSet.USER_PRODUCT)) {
        mergedRows.put(set, TestEvents.rows(h, set));
      }
      sessionSeeds = TestEvents.values(h.getSideOutput(SessionFeatureFunction.finalStateTag()));
      dailySeeds = TestEvents.values(
          h.getSideOutput(DailyFeatureFunction.finalStateTag(FeatureSet.USER)));
    }

    // the streaming cart stage over the input in canonical order, then the user stage
    List<ClickEvent> canonical = new ArrayList<>(in);
    canonical.sort(ClickEvent::compareCanonical);
    List<FeaturedEvent> carted;
    List<ClickEvent> duplicates;
    try (var h = TestEvents.cartStage(SessionPolicy.DEFAULT, STREAMING)) {
      feed(h, canonical);
      carted = h.extractOutputValues();
      duplicates = TestEvents.values(h.getSideOutput(SessionFeatureFunction.DUPLICATES));
    }
    List<FeaturedEvent> users;
    Map<FeatureSet, List<KeyMetrics>> userRows = new HashMap<>();
    List<DailySeed> userSeeds;
    try (var h = TestEvents.dailyStage(FeatureSet.USER, BATCH)) {
      for (FeaturedEvent f : carted) {
        h.processElement(f, f.event.eventTime * 1000L);
      }
      h.processWatermark(new Watermark(Long.MAX_VALUE));
      users = h.extractOutputValues();
      userRows.put(FeatureSet.USER, TestEvents.rows(h, FeatureSet.USER));
      userRows.put(FeatureSet.USER_PRODUCT, TestEvents.rows(h, FeatureSet.USER_PRODUCT));
      userSeeds = TestEvents.values(
          h.getSideOutput(DailyFeatureFunction.finalStateTag(FeatureSet.USER)));
    }

    assertThat(positions(mergedDuplicates)).isNotEmpty()
        .containsExactlyInAnyOrderElementsOf(positions(duplicates));
    Map<String, FeaturedEvent> expected = new HashMap<>();
    users.forEach(f -> expected.put(pos(f.event), f));
    assertThat(merged).hasSize(expected.size());
    for (FeaturedEvent f : merged) {
      FeaturedEvent e = expected.get(pos(f.event));
      assertThat(e).as(pos(f.event)).isNotNull();
      for (FeatureSet set : List.of(FeatureSet.CART, FeatureSet.CART_PRODUCT, FeatureSet.USER,
          FeatureSet.USER_PRODUCT)) {
        assertThat(countsOf(f, set)).as(set + " " + pos(f.event)).containsExactly(countsOf(e, set));
      }
      assertThat(f.late).isFalse();
    }
    // the cart sets' rows and states against a per-key replay of the streaming stage's output
    for (FeatureSet set : List.of(FeatureSet.CART, FeatureSet.CART_PRODUCT)) {
      Map<String, int[]> last = new HashMap<>();
      for (FeaturedEvent f : carted) {
        last.put(SetKey.of(set, f.event), countsOf(f, set));
      }
      assertThat(mergedRows.get(set)).as(set + " one row per key").hasSize(last.size());
      for (KeyMetrics r : mergedRows.get(set)) {
        String key = SetKey.of(set, ev(0, EventType.VIEW, r.userId, r.userSession, r.productId, 0));
        assertThat(r.counts).as(set + " " + key).containsExactly(last.get(key));
      }
      assertThat(sessionSeeds.stream().filter(s -> s.set == set)).hasSize(last.size());
    }
    for (FeatureSet set : List.of(FeatureSet.USER, FeatureSet.USER_PRODUCT)) {
      assertThat(rowStrings(set, mergedRows.get(set))).as(set.toString())
          .containsExactlyInAnyOrderElementsOf(rowStrings(set, userRows.get(set)));
    }
    assertThat(seedStrings(dailySeeds)).containsExactlyInAnyOrderElementsOf(seedStrings(userSeeds));
  }

  private static List<String> positions(List<ClickEvent> events) {
    return events.stream().map(TestEvents::pos).collect(Collectors.toList());
  }

  /** Rows by key and value (a user row's product is that of whichever event came last: no key). */
  private static List<String> rowStrings(FeatureSet set, List<KeyMetrics> rows) {
    return rows.stream()
        .map(r -> r.userId + "/" + (set == FeatureSet.USER ? "" : r.productId) + "/"
            + r.lastEventTime + "/" + Arrays.toString(r.counts))
        .sorted(Comparator.naturalOrder()).collect(Collectors.toList());
  }

  private static List<String> seedStrings(List<DailySeed> seeds) {
    return seeds.stream()
        .map(s -> s.set + "/" + s.state.userId + "/"
            + (s.set == FeatureSet.USER ? "" : s.state.productId) + "/"
            + Arrays.toString(s.state.total()))
        .collect(Collectors.toList());
  }
}
