package io.clickstream.propensity.features;

/** The final state of one daily key after a backfill (see {@link SessionSeed}). */
public class DailySeed {
  public String key;
  public DailyState state;
  /** Days whose counts are not folded into the snapshot yet, and their four counts each. */
  public long[] pendingDays = new long[0];
  public int[] pendingCounts = new int[0];

  public DailySeed() {}
}
