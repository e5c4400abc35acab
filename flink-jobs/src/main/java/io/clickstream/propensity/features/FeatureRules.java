package io.clickstream.propensity.features;

import io.clickstream.propensity.events.EventType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The feature definitions (docs/features.md, Metric sets and Training rows and labels), in one place, used by the batch backfill, the
 * streaming job, the trainer and the scorer alike.
 *
 * <p>Every set keeps four counts ({@link #EVENTS}, {@link #VIEWS}, {@link #CARTS},
 * {@link #PURCHASES}); the six ratios are derived from them here and nowhere else.
 */
public final class FeatureRules {
  /** Index of each count inside a set's four counts. */
  public static final int EVENTS = 0;

  public static final int VIEWS = 1;
  public static final int CARTS = 2;
  public static final int PURCHASES = 3;
  public static final int COUNTS_PER_SET = 4;
  public static final int SETS = FeatureSet.values().length;

  /** The ten features of every set, in model order. */
  public static final List<String> FEATURES =
      List.of(
          "events", "views", "carts", "purchases",
          "views_to_events", "carts_to_events", "purchases_to_events",
          "carts_to_views", "purchases_to_views", "purchases_to_carts");

  public static final int FEATURES_PER_SET = FEATURES.size();

  /** The 50 model features {@code <set>__<feature>}, in model order. */
  public static final List<String> MODEL_FEATURES = modelFeatureNames();

  public static final int MODEL_FEATURE_COUNT = MODEL_FEATURES.size();

  private static final long SECONDS_PER_DAY = 86_400L;

  private FeatureRules() {}

  private static List<String> modelFeatureNames() {
    List<String> names = new ArrayList<>();
    for (FeatureSet set : FeatureSet.values()) {
      for (String f : FEATURES) {
        names.add(set.prefix() + "__" + f);
      }
    }
    return Collections.unmodifiableList(names);
  }

  /** Adds one event of the given type to a set's four counts starting at {@code offset}. */
  public static void count(int[] counts, int offset, EventType type) {
    counts[offset + EVENTS]++;
    switch (type) {
      case VIEW:
        counts[offset + VIEWS]++;
        break;
      case CART:
        counts[offset + CARTS]++;
        break;
      case PURCHASE:
        counts[offset + PURCHASES]++;
        break;
      default:
        // remove_from_cart counts only as an event
    }
  }

  /**
   * True when the feature at {@code index} (within a set, or within the 50-feature model vector)
   * is a count; the others are ratios.
   */
  public static boolean isCount(int index) {
    return index % FEATURES_PER_SET < COUNTS_PER_SET;
  }

  /** A ratio, or NaN (missing) when the denominator is 0. */
  public static double ratio(long numerator, long denominator) {
    return denominator == 0 ? Double.NaN : (double) numerator / (double) denominator;
  }

  /**
   * The ten feature values of one set from its four counts (at {@code offset}), written to
   * {@code out} from {@code outOffset}. Missing ratios are NaN.
   */
  public static void features(int[] counts, int offset, double[] out, int outOffset) {
    long events = counts[offset + EVENTS];
    long views = counts[offset + VIEWS];
    long carts = counts[offset + CARTS];
    long purchases = counts[offset + PURCHASES];
    out[outOffset] = events;
    out[outOffset + 1] = views;
    out[outOffset + 2] = carts;
    out[outOffset + 3] = purchases;
    out[outOffset + 4] = ratio(views, events);
    out[outOffset + 5] = ratio(carts, events);
    out[outOffset + 6] = ratio(purchases, events);
    out[outOffset + 7] = ratio(carts, views);
    out[outOffset + 8] = ratio(purchases, views);
    out[outOffset + 9] = ratio(purchases, carts);
  }

  /** The 50-feature model vector from the 20 counts of the five sets (NaN = missing). */
  public static double[] modelVector(int[] counts) {
    double[] v = new double[MODEL_FEATURE_COUNT];
    for (int s = 0; s < SETS; s++) {
      features(counts, s * COUNTS_PER_SET, v, s * FEATURES_PER_SET);
    }
    return v;
  }

  /** The model vector as ONNX float input (NaN stays NaN). */
  public static void modelVector(int[] counts, float[] out, int outOffset) {
    double[] v = modelVector(counts);
    for (int i = 0; i < v.length; i++) {
      out[outOffset + i] = (float) v[i];
    }
  }

  /** Start of the UTC day holding {@code epochSecond}, in epoch seconds. */
  public static long dayStart(long epochSecond) {
    return Math.floorDiv(epochSecond, SECONDS_PER_DAY) * SECONDS_PER_DAY;
  }

  /** Epoch day (days since 1970-01-01 UTC) of {@code epochSecond}. */
  public static long epochDay(long epochSecond) {
    return Math.floorDiv(epochSecond, SECONDS_PER_DAY);
  }

  /**
   * Session expiry: counting restarts at an event whose gap to the key's previous event exceeds
   * the key's time-to-live, which is {@code ttlAfterPurchase} once the key counted a purchase since
   * its last restart, else {@code ttlOpen}.
   */
  public static boolean sessionExpired(
      long previousEventTime, long eventTime, boolean purchasedSinceRestart, SessionPolicy policy) {
    long ttl = purchasedSinceRestart ? policy.ttlAfterPurchaseSeconds() : policy.ttlOpenSeconds();
    return eventTime - previousEventTime > ttl;
  }

  /** The training split of a cart (docs/features.md, Training rows and labels): about 80/10/10 by a hash of the cart key. */
  public static String split(long userId, String userSession) {
    byte[] h = sha256(userId + "\u001f" + userSession);
    int bucket = Math.floorMod(((h[0] & 0xff) << 8) | (h[1] & 0xff), 100);
    if (bucket < 80) {
      return "train";
    }
    return bucket < 90 ? "test" : "validation";
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
    }
  }
}
