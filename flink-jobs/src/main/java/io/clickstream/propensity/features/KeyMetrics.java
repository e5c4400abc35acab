package io.clickstream.propensity.features;

/**
 * The current state of one key of one set (a gold metric row): its four counts after all events
 * seen so far and its last event time. Only the key fields of {@link #set} are meaningful.
 */
public class KeyMetrics {
  public FeatureSet set;
  public long userId;
  public String userSession;
  public long productId;
  public int[] counts = new int[FeatureRules.COUNTS_PER_SET];
  /** Newest event time of the key, epoch seconds. */
  public long lastEventTime;

  public KeyMetrics() {}

  static KeyMetrics of(FeatureSet set, long userId, String userSession, long productId,
      int[] counts, long lastEventTime) {
    KeyMetrics m = new KeyMetrics();
    m.set = set;
    m.userId = userId;
    m.userSession = userSession;
    m.productId = productId;
    m.counts = counts.clone();
    m.lastEventTime = lastEventTime;
    return m;
  }

  /** The ten feature values of this key (NaN = missing ratio). */
  public double[] features() {
    double[] out = new double[FeatureRules.FEATURES_PER_SET];
    FeatureRules.features(counts, 0, out, 0);
    return out;
  }
}
