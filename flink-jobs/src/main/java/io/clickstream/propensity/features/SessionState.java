package io.clickstream.propensity.features;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventType;

/**
 * Running state of one session key (cart or cart-product): the live counts since the last restart,
 * with the expiry rule (docs/features.md, Session sets) applied in the order events are fed. Kept
 * in Flink keyed state with {@link FeatureSerializers#SESSION_STATE}.
 */
public class SessionState {
  public int[] counts = new int[FeatureRules.COUNTS_PER_SET];
  /** Newest event time counted, epoch seconds; the reference point of expiry and lateness. */
  public long newestEventTime = Long.MIN_VALUE;
  public boolean purchasedSinceRestart;
  /** The key's ids, for its gold row (only those of the set's key are meaningful). */
  public long userId;
  public String userSession;
  public long productId;
  /**
   * Cart stage, streaming: the event ids seen (exact duplicates are dropped), kept until the state
   * is cleared at expiry; null elsewhere.
   */
  public SeenIds seenIds;

  public SessionState() {}

  public boolean isEmpty() {
    return newestEventTime == Long.MIN_VALUE;
  }

  /**
   * Counts {@code e}: restarts from zero when the gap to the newest event exceeds the TTL, then adds
   * the event. Returns true when {@code e} is late (older than the newest event already counted);
   * a late event is still counted.
   */
  public boolean apply(ClickEvent e, SessionPolicy policy) {
    boolean late = !isEmpty() && e.eventTime < newestEventTime;
    if (!isEmpty()
        && FeatureRules.sessionExpired(newestEventTime, e.eventTime, purchasedSinceRestart, policy)) {
      java.util.Arrays.fill(counts, 0);
      purchasedSinceRestart = false;
    }
    FeatureRules.count(counts, 0, e.eventType);
    if (e.eventType == EventType.PURCHASE) {
      purchasedSinceRestart = true;
    }
    newestEventTime = Math.max(newestEventTime, e.eventTime);
    userId = e.userId;
    userSession = e.userSession;
    productId = e.productId;
    return late;
  }

  /** Event time (epoch seconds) after which an in-order event would restart this key from zero. */
  public long expiresAfter(SessionPolicy policy) {
    return newestEventTime
        + (purchasedSinceRestart ? policy.ttlAfterPurchaseSeconds() : policy.ttlOpenSeconds());
  }
}
