package io.clickstream.propensity.features;

/** The final state of one daily key after a backfill (see {@link SessionSeed}). */
public class DailySeed {
  /** The key's set: the stage's own, or (user stage) user-product. */
  public FeatureSet set;
  public DailyState state;

  public DailySeed() {}

  static DailySeed of(FeatureSet set, DailyState state) {
    DailySeed seed = new DailySeed();
    seed.set = set;
    seed.state = state;
    return seed;
  }
}
