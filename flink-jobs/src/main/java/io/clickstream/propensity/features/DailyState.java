package io.clickstream.propensity.features;

/**
 * Snapshot state of one daily key (user, product, user-product): {@link #base} holds the counts of
 * every event of the days before {@link #snapshotDay}, the latest day whose snapshot this key has
 * taken. Events of later days wait in the function's pending map until their day closes.
 */
public class DailyState {
  public int[] base = new int[FeatureRules.COUNTS_PER_SET];
  /** Epoch day of the latest snapshot taken; Long.MIN_VALUE before the first. */
  public long snapshotDay = Long.MIN_VALUE;
  /** Newest event time seen, epoch seconds. */
  public long newestEventTime = Long.MIN_VALUE;
  /** The key's ids, for its gold row (only those of the set's key are meaningful). */
  public long userId;
  public long productId;

  public DailyState() {}
}
