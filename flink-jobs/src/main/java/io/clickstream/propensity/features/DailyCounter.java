package io.clickstream.propensity.features;

import java.io.Serializable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * The counting rule of one daily set (user, product or user-product; docs/features.md, Daily
 * sets) as a keyed stage applies it to one key: an event of day D gets the key's snapshot as of D
 * 00:00 UTC, then counts towards the snapshots of later days. An event of a day older than the
 * key's latest snapshot arrived after that snapshot was taken: it is flagged late, gets the
 * current snapshot, and counts from the next snapshot on.
 */
final class DailyCounter implements Serializable {
  private static final long serialVersionUID = 1L;

  private final FeatureSet set;
  private transient Counter lateEvents;

  DailyCounter(FeatureSet set) {
    if (set.isSession()) {
      throw new IllegalArgumentException(set + " is a session set: count it with SessionCounter");
    }
    this.set = set;
  }

  /** Registers the set's late-event metric ({@code <set>LateEvents}). */
  void open(MetricGroup metrics) {
    lateEvents = metrics.counter(set.prefix() + "LateEvents");
  }

  FeatureSet set() {
    return set;
  }

  /** Counts {@code e}, an event of epoch day {@code day}, into the key's state. */
  void count(DailyState state, long day, FeaturedEvent e) {
    if (day < state.snapshotDay) {
      lateEvents.inc();
      e.late = true;
    } else {
      state.foldDaysBefore(day);
    }
    e.setCounts(set, state.base);
    state.count(day, e.event.eventType);
    state.newestEventTime = Math.max(state.newestEventTime, e.event.eventTime);
    state.userId = e.event.userId;
    state.productId = e.event.productId;
  }

  /** The key's gold row: the counts of every event seen. */
  KeyMetrics row(DailyState s) {
    return KeyMetrics.of(set, s.userId, null, s.productId, s.total(), s.newestEventTime);
  }

  /** The key's final state, to warm-start the streaming job. */
  DailySeed seed(DailyState s) {
    return DailySeed.of(set, s);
  }
}
