package io.clickstream.propensity.cli;

import io.clickstream.propensity.events.InputLimits;
import java.time.Duration;
import java.time.Instant;
import picocli.CommandLine.Option;

/** Limits on input records (maximum size, event-time range), shared by backfill and stream. */
public final class InputLimitOptions {
  @Option(names = "--max-record-bytes", defaultValue = "1048576", paramLabel = "BYTES",
      description = "A larger record is rejected (record_too_large); bronze keeps its first "
          + "1024 bytes and its size (default: ${DEFAULT-VALUE})")
  int maxRecordBytes;

  @Option(names = "--min-event-time", defaultValue = "2000-01-01T00:00:00Z", paramLabel = "INSTANT",
      description = "Earliest accepted event_time, inclusive; earlier events are rejected "
          + "(event_time_out_of_range), e.g. 1970 zero timestamps (default: ${DEFAULT-VALUE})")
  Instant minEventTime;

  @Option(names = "--max-event-time", defaultValue = "2100-01-01T00:00:00Z", paramLabel = "INSTANT",
      description = "First event_time no longer accepted (event_time_out_of_range) "
          + "(default: ${DEFAULT-VALUE})")
  Instant maxEventTime;

  InputLimits limits() {
    return limits(InputLimits.DEFAULT_MAX_FUTURE_SKEW);
  }

  InputLimits limits(Duration maxFutureSkew) {
    try {
      return InputLimits.builder().maxRecordBytes(maxRecordBytes).minEventTime(minEventTime)
          .maxEventTime(maxEventTime).maxFutureSkew(maxFutureSkew).build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage()
          + " (check --max-record-bytes, --min-event-time, --max-event-time, --max-future-skew)");
    }
  }
}
