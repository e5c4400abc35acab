package io.clickstream.propensity.features;

import java.io.Serializable;
import java.time.Duration;

/**
 * Session time-to-live (docs/features.md, Session sets): 1 day after a purchase, 30 days otherwise by default.
 * Both modes must use the same values. Immutable.
 */
public final class SessionPolicy implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final SessionPolicy DEFAULT = new SessionPolicy(Duration.ofDays(1), Duration.ofDays(30));

  private final long ttlAfterPurchaseSeconds;
  private final long ttlOpenSeconds;

  public SessionPolicy(Duration ttlAfterPurchase, Duration ttlOpen) {
    if (ttlAfterPurchase == null || ttlAfterPurchase.isNegative() || ttlAfterPurchase.isZero()) {
      throw new IllegalArgumentException(
          "session TTL after a purchase must be a positive duration, got " + ttlAfterPurchase);
    }
    if (ttlOpen == null || ttlOpen.isNegative() || ttlOpen.isZero()) {
      throw new IllegalArgumentException(
          "session TTL of an open cart must be a positive duration, got " + ttlOpen);
    }
    this.ttlAfterPurchaseSeconds = ttlAfterPurchase.getSeconds();
    this.ttlOpenSeconds = ttlOpen.getSeconds();
  }

  public long ttlAfterPurchaseSeconds() {
    return ttlAfterPurchaseSeconds;
  }

  public long ttlOpenSeconds() {
    return ttlOpenSeconds;
  }

  /** The longest TTL: after it, a key's state can no longer matter. */
  public long maxTtlSeconds() {
    return Math.max(ttlAfterPurchaseSeconds, ttlOpenSeconds);
  }

  @Override
  public String toString() {
    return "SessionPolicy{afterPurchase=" + ttlAfterPurchaseSeconds + "s, open=" + ttlOpenSeconds + "s}";
  }
}
