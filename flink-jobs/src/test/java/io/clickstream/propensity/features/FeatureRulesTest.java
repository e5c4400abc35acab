package io.clickstream.propensity.features;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.events.EventType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FeatureRulesTest {
  static long epoch(String iso) {
    return Instant.parse(iso).getEpochSecond();
  }

  @Test
  void modelFeatureNamesAreFiftyInSetThenFeatureOrder() {
    List<String> expected = new ArrayList<>();
    for (String set : new String[] {"cart", "cart_product", "user", "product", "user_product"}) {
      for (String f : new String[] {"events", "views", "carts", "purchases", "views_to_events",
          "carts_to_events", "purchases_to_events", "carts_to_views", "purchases_to_views",
          "purchases_to_carts"}) {
        expected.add(set + "__" + f);
      }
    }
    assertThat(FeatureRules.MODEL_FEATURES).containsExactlyElementsOf(expected);
    assertThat(FeatureRules.MODEL_FEATURE_COUNT).isEqualTo(50);
  }

  @Test
  void countingByType() {
    int[] c = new int[8];
    FeatureRules.count(c, 4, EventType.VIEW);
    FeatureRules.count(c, 4, EventType.VIEW);
    FeatureRules.count(c, 4, EventType.CART);
    FeatureRules.count(c, 4, EventType.REMOVE_FROM_CART);
    FeatureRules.count(c, 4, EventType.PURCHASE);
    // events counts every type, remove_from_cart only there; nothing outside the offset touched
    assertThat(c).containsExactly(0, 0, 0, 0, 5, 2, 1, 1);
  }

  @Test
  void ratiosFromCountsAndNaNForZeroDenominators() {
    double[] out = new double[10];
    FeatureRules.features(new int[] {8, 4, 2, 1}, 0, out, 0);
    assertThat(out).containsExactly(8, 4, 2, 1, 0.5, 0.25, 0.125, 0.5, 0.25, 0.5);

    FeatureRules.features(new int[] {0, 0, 0, 0}, 0, out, 0);
    assertThat(out[0]).isZero();
    for (int i = 4; i < 10; i++) {
      assertThat(out[i]).as("ratio %d", i).isNaN();
    }
    // only remove_from_cart events: events > 0, views = carts = 0
    FeatureRules.features(new int[] {3, 0, 0, 0}, 0, out, 0);
    assertThat(out[4]).isZero();
    assertThat(out[5]).isZero();
    assertThat(out[6]).isZero();
    assertThat(out[7]).isNaN(); // carts / views
    assertThat(out[8]).isNaN(); // purchases / views
    assertThat(out[9]).isNaN(); // purchases / carts
    // views but no carts: carts_to_views 0, purchases_to_carts missing
    FeatureRules.features(new int[] {2, 2, 0, 0}, 0, out, 0);
    assertThat(out[7]).isZero();
    assertThat(out[9]).isNaN();
    assertThat(FeatureRules.ratio(0, 0)).isNaN();
    assertThat(FeatureRules.ratio(1, 3)).isEqualTo(1.0 / 3.0);
  }

  @Test
  void modelVectorPlacesEachSetAtItsOffsetAndKeepsNaN() {
    int[] counts = new int[20];
    counts[0] = 4; // cart events
    counts[1] = 2; // cart views
    counts[2 * 4 + 3] = 1; // user purchases (no events: inconsistent, but the layout is what counts)
    double[] v = FeatureRules.modelVector(counts);
    assertThat(v).hasSize(50);
    assertThat(v[0]).isEqualTo(4);
    assertThat(v[1]).isEqualTo(2);
    assertThat(v[4]).isEqualTo(0.5);
    assertThat(v[10]).isZero(); // cart_product events
    assertThat(v[14]).isNaN();
    assertThat(v[23]).isEqualTo(1); // user__purchases
    assertThat(v[26]).isNaN(); // user__purchases_to_events, events = 0
    float[] f = new float[52];
    FeatureRules.modelVector(counts, f, 2);
    assertThat(f[2]).isEqualTo(4f);
    assertThat(f[2 + 14]).isNaN();
  }

  @Test
  void dayStartAtUtcBoundaries() {
    long midnight = epoch("2020-09-25T00:00:00Z");
    assertThat(FeatureRules.dayStart(midnight)).isEqualTo(midnight);
    assertThat(FeatureRules.dayStart(midnight - 1)).isEqualTo(epoch("2020-09-24T00:00:00Z"));
    assertThat(FeatureRules.dayStart(midnight + 86_399)).isEqualTo(midnight);
    assertThat(FeatureRules.epochDay(midnight)).isEqualTo(18_530);
    assertThat(FeatureRules.epochDay(midnight - 1)).isEqualTo(18_529);
    // before 1970: floor, not truncation toward zero
    assertThat(FeatureRules.dayStart(-1)).isEqualTo(-86_400);
    assertThat(FeatureRules.epochDay(-1)).isEqualTo(-1);
    assertThat(FeatureRules.dayStart(-86_400)).isEqualTo(-86_400);
    assertThat(FeatureRules.dayStart(-86_401)).isEqualTo(-172_800);
    assertThat(FeatureRules.dayStart(0)).isZero();
    assertThat(FeatureRules.dayStart(epoch("1969-07-20T20:17:40Z"))).isEqualTo(epoch("1969-07-20T00:00:00Z"));
  }

  @Test
  void sessionExpiryIsStrictlyLongerThanTheTtl() {
    SessionPolicy p = SessionPolicy.DEFAULT;
    long day = 86_400;
    assertThat(FeatureRules.sessionExpired(0, 30 * day, false, p)).isFalse();
    assertThat(FeatureRules.sessionExpired(0, 30 * day + 1, false, p)).isTrue();
    assertThat(FeatureRules.sessionExpired(0, day, true, p)).isFalse();
    assertThat(FeatureRules.sessionExpired(0, day + 1, true, p)).isTrue();
    assertThat(FeatureRules.sessionExpired(0, 2 * day, false, p)).isFalse();
  }

  @Test
  void splitIsDeterministicAndAbout80_10_10() {
    Random rnd = new Random(11);
    Map<String, Integer> n = new HashMap<>();
    int carts = 40_000;
    for (int i = 0; i < carts; i++) {
      long user = 1 + (rnd.nextLong() & Long.MAX_VALUE) % 1_000_000_000L;
      String session = Long.toHexString(rnd.nextLong());
      String s = FeatureRules.split(user, session);
      assertThat(FeatureRules.split(user, session)).isEqualTo(s);
      n.merge(s, 1, Integer::sum);
    }
    assertThat(n.keySet()).containsExactlyInAnyOrder("train", "test", "validation");
    assertThat(n.get("train") / (double) carts).isBetween(0.79, 0.81);
    assertThat(n.get("test") / (double) carts).isBetween(0.09, 0.11);
    assertThat(n.get("validation") / (double) carts).isBetween(0.09, 0.11);
  }

  @Test
  void splitDependsOnTheWholeCartKey() {
    // same session id under different users (session ids are not unique across users) and
    // different sessions of one user land in different splits for some keys
    boolean userMatters = false;
    boolean sessionMatters = false;
    for (int i = 1; i < 200; i++) {
      userMatters |= !FeatureRules.split(i, "s").equals(FeatureRules.split(i + 1000, "s"));
      sessionMatters |= !FeatureRules.split(7, "s" + i).equals(FeatureRules.split(7, "t" + i));
    }
    assertThat(userMatters).isTrue();
    assertThat(sessionMatters).isTrue();
    // no ambiguity between (1, "2x") and (12, "x")
    int differ = 0;
    for (int i = 0; i < 100; i++) {
      if (!FeatureRules.split(1, "2x" + i).equals(FeatureRules.split(12, "x" + i))) {
        differ++;
      }
    }
    assertThat(differ).isPositive();
  }
}
