package io.clickstream.propensity.events;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;

/**
 * What the job accepts as input, beyond the field rules of {@link EventFields}: the largest
 * record kept whole, the valid event-time range (both modes) and how far ahead of the processing
 * clock an event may be stamped (streaming). Immutable; build with {@link #builder()}.
 *
 * <p>Why a time range at all: one event stamped in the year 9999 would push the streaming
 * watermark there, so every later event would be late and every daily snapshot would fire at
 * once; a year-1970 stamp is most likely a zero timestamp. The defaults keep every plausible
 * clickstream (the public data is from 2019-2020) and refuse both.
 */
public final class InputLimits implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Default lower bound of event_time (inclusive): 2000-01-01T00:00:00Z. */
  public static final Instant DEFAULT_MIN_EVENT_TIME = Instant.parse("2000-01-01T00:00:00Z");
  /** Default upper bound of event_time (exclusive): 2100-01-01T00:00:00Z. */
  public static final Instant DEFAULT_MAX_EVENT_TIME = Instant.parse("2100-01-01T00:00:00Z");
  /** Default of how far an event may be ahead of the processing clock (streaming). */
  public static final Duration DEFAULT_MAX_FUTURE_SKEW = Duration.ofHours(1);
  /** Default largest record kept whole: 1 MiB. */
  public static final int DEFAULT_MAX_RECORD_BYTES = 1 << 20;
  /** Bytes of an oversized record kept in bronze and rejected (its head). */
  public static final int HEAD_BYTES = 1024;

  /** The defaults above. */
  public static final InputLimits DEFAULT = builder().build();

  /** Clock value that turns the future check off (bounded input has no "now" to compare with). */
  public static final long NO_CLOCK = Long.MIN_VALUE;

  private final long minEventTime;
  private final long maxEventTime;
  private final long maxFutureSkewSeconds;
  private final int maxRecordBytes;

  private InputLimits(Builder b) {
    this.minEventTime = b.minEventTime.getEpochSecond();
    this.maxEventTime = b.maxEventTime.getEpochSecond();
    this.maxFutureSkewSeconds = b.maxFutureSkew.getSeconds();
    this.maxRecordBytes = b.maxRecordBytes;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Lower bound of event_time, epoch seconds, inclusive. */
  public long minEventTime() {
    return minEventTime;
  }

  /** Upper bound of event_time, epoch seconds, exclusive. */
  public long maxEventTime() {
    return maxEventTime;
  }

  public Duration maxFutureSkew() {
    return Duration.ofSeconds(maxFutureSkewSeconds);
  }

  public int maxRecordBytes() {
    return maxRecordBytes;
  }

  /**
   * The rejection of an event time (epoch seconds), or null when it is acceptable: outside the
   * range, or more than the maximum skew after {@code clockMillis} (unless {@link #NO_CLOCK}).
   */
  ParseOutcome checkEventTime(long eventTime, long clockMillis) {
    if (eventTime < minEventTime || eventTime >= maxEventTime) {
      return ParseOutcome.rejected(RejectReason.EVENT_TIME_OUT_OF_RANGE,
          "event_time " + Instant.ofEpochSecond(eventTime) + " is outside the accepted range ["
              + Instant.ofEpochSecond(minEventTime) + ", " + Instant.ofEpochSecond(maxEventTime) + ")");
    }
    if (clockMillis != NO_CLOCK && eventTime > Math.floorDiv(clockMillis, 1000L) + maxFutureSkewSeconds) {
      return ParseOutcome.rejected(RejectReason.EVENT_TIME_IN_FUTURE,
          "event_time " + Instant.ofEpochSecond(eventTime) + " is more than " + maxFutureSkew()
              + " ahead of the processing time " + Instant.ofEpochMilli(clockMillis));
    }
    return null;
  }

  @Override
  public String toString() {
    return "InputLimits{eventTime in [" + Instant.ofEpochSecond(minEventTime) + ", "
        + Instant.ofEpochSecond(maxEventTime) + "), maxFutureSkew=" + maxFutureSkew()
        + ", maxRecordBytes=" + maxRecordBytes + '}';
  }

  /** Builder; every limit has the default documented on its constant. */
  public static final class Builder {
    private Instant minEventTime = DEFAULT_MIN_EVENT_TIME;
    private Instant maxEventTime = DEFAULT_MAX_EVENT_TIME;
    private Duration maxFutureSkew = DEFAULT_MAX_FUTURE_SKEW;
    private int maxRecordBytes = DEFAULT_MAX_RECORD_BYTES;

    private Builder() {}

    /** Earliest accepted event time (inclusive). */
    public Builder minEventTime(Instant t) {
      this.minEventTime = java.util.Objects.requireNonNull(t, "minimum event time");
      return this;
    }

    /** First event time no longer accepted (exclusive). */
    public Builder maxEventTime(Instant t) {
      this.maxEventTime = java.util.Objects.requireNonNull(t, "maximum event time");
      return this;
    }

    /** How far ahead of the processing clock an event may be (streaming); zero or more. */
    public Builder maxFutureSkew(Duration d) {
      this.maxFutureSkew = java.util.Objects.requireNonNull(d, "maximum future skew");
      return this;
    }

    /** Records larger than this (bytes, as received) are rejected, only their head is kept. */
    public Builder maxRecordBytes(int bytes) {
      this.maxRecordBytes = bytes;
      return this;
    }

    public InputLimits build() {
      if (!minEventTime.isBefore(maxEventTime)) {
        throw new IllegalArgumentException("the minimum event time " + minEventTime
            + " must be before the maximum event time " + maxEventTime);
      }
      if (maxFutureSkew.isNegative()) {
        throw new IllegalArgumentException(
            "the maximum future skew must be zero or positive, got " + maxFutureSkew);
      }
      if (maxRecordBytes < HEAD_BYTES) {
        throw new IllegalArgumentException("the maximum record size must be at least "
            + HEAD_BYTES + " bytes, got " + maxRecordBytes);
      }
      return new InputLimits(this);
    }
  }
}
