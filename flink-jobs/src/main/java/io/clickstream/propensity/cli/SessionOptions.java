package io.clickstream.propensity.cli;

import io.clickstream.propensity.features.SessionPolicy;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Session expiry options (docs/features.md, Session sets), shared by the backfill and the stream: both must agree. */
public final class SessionOptions {
  @Option(names = "--session-ttl-after-purchase", defaultValue = "1d", converter = DurationConverter.class,
      description = "Session expiry once it counted a purchase; backfill and stream must agree (default: ${DEFAULT-VALUE})")
  Duration ttlAfterPurchase;

  @Option(names = "--session-ttl", defaultValue = "30d", converter = DurationConverter.class,
      description = "Session expiry of an open cart; backfill and stream must agree (default: ${DEFAULT-VALUE})")
  Duration ttlOpen;

  SessionPolicy policy() {
    return new SessionPolicy(ttlAfterPurchase, ttlOpen);
  }
}
