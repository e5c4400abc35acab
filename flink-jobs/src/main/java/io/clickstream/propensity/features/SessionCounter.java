package io.clickstream.propensity.features;

import java.io.Serializable;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

/**
 * The counting rule of one session set (cart or cart-product; docs/features.md, Session sets) as
 * a keyed stage applies it to one key: the key's {@link SessionState} counts the event, the event
 * gets the set's counts, and an event older than the key's newest is flagged late.
 */
final class SessionCounter implements Serializable {
  private static final long serialVersionUID = 1L;

  private final FeatureSet set;
  private final SessionPolicy policy;
  private transient Counter lateEvents;

  SessionCounter(FeatureSet set, SessionPolicy policy) {
    if (!set.isSession()) {
      throw new IllegalArgumentException(set + " is a daily set: count it with DailyCounter");
    }
    this.set = set;
    this.policy = policy;
  }

  /** Registers the set's late-event metric ({@code <set>LateEvents}). */
  void open(MetricGroup metrics) {
    lateEvents = metrics.counter(set.prefix() + "LateEvents");
  }

  FeatureSet set() {
    return set;
  }

  /** Counts {@code e} into the key's state and copies the set's counts into {@code e}. */
  void count(SessionState state, FeaturedEvent e) {
    if (state.apply(e.event, policy)) {
      lateEvents.inc();
      e.late = true;
    }
    e.setCounts(set, state.counts);
  }

  /** The key's gold row. */
  KeyMetrics row(SessionState s) {
    return KeyMetrics.of(set, s.userId, s.userSession, s.productId, s.counts, s.newestEventTime);
  }

  /** The key's final state, to warm-start the streaming job. */
  SessionSeed seed(SessionState s) {
    SessionSeed seed = new SessionSeed();
    seed.set = set;
    seed.state = s;
    return seed;
  }
}
