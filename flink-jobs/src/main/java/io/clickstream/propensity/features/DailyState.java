package io.clickstream.propensity.features;

import io.clickstream.propensity.events.EventType;
import java.util.Arrays;

/**
 * Snapshot state of one daily key (user, product, user-product): {@link #base} holds the counts of
 * every event of the days before {@link #snapshotDay}, the latest day whose snapshot this key has
 * taken; the days after it are pending, each with its own counts, until their day closes.
 *
 * <p>The pending days live in the state itself, not in a map state beside it: a key rarely has
 * more than two, and one state entry per key keeps the streaming checkpoints small (and lets a
 * user-product key be one entry of its user's map).
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
  /** Days not folded into {@link #base} yet, and their counts ({@code COUNTS_PER_SET} per day). */
  public long[] pendingDays = new long[0];
  public int[] pendingCounts = new int[0];

  public DailyState() {}

  /** Counts an event of {@code type} into the pending day {@code day} (added when missing). */
  void count(long day, EventType type) {
    int offset = indexOf(day) * FeatureRules.COUNTS_PER_SET; // may grow the arrays: first
    FeatureRules.count(pendingCounts, offset, type);
  }

  private int indexOf(long day) {
    for (int i = 0; i < pendingDays.length; i++) {
      if (pendingDays[i] == day) {
        return i;
      }
    }
    int i = pendingDays.length;
    pendingDays = Arrays.copyOf(pendingDays, i + 1);
    pendingDays[i] = day;
    pendingCounts = Arrays.copyOf(pendingCounts, (i + 1) * FeatureRules.COUNTS_PER_SET);
    return i;
  }

  /** Moves the pending counts of every day before {@code day} into the snapshot. */
  void foldDaysBefore(long day) {
    int n = FeatureRules.COUNTS_PER_SET;
    int kept = 0;
    for (int i = 0; i < pendingDays.length; i++) {
      if (pendingDays[i] < day) {
        for (int j = 0; j < n; j++) {
          base[j] += pendingCounts[i * n + j];
        }
      } else {
        pendingDays[kept] = pendingDays[i];
        System.arraycopy(pendingCounts, i * n, pendingCounts, kept * n, n);
        kept++;
      }
    }
    if (kept != pendingDays.length) {
      pendingDays = Arrays.copyOf(pendingDays, kept);
      pendingCounts = Arrays.copyOf(pendingCounts, kept * n);
    }
    snapshotDay = day;
  }

  /** The counts of every event seen: the snapshot plus all pending days (the gold row). */
  int[] total() {
    int n = FeatureRules.COUNTS_PER_SET;
    int[] total = base.clone();
    for (int i = 0; i < pendingDays.length; i++) {
      for (int j = 0; j < n; j++) {
        total[j] += pendingCounts[i * n + j];
      }
    }
    return total;
  }
}
