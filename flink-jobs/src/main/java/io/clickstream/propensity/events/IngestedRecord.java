package io.clickstream.propensity.events;

/**
 * One input record as received (a bronze row) with the outcome of parsing it: either a valid
 * {@link #event} or a rejection {@link #reason}. Exactly one of the two is set.
 */
public class IngestedRecord {
  /** Input file path (batch) or Kafka topic (streaming). */
  public String source;
  /** File index in the order given (batch) or Kafka partition (streaming). */
  public int sourceOrder;
  /** Line number (batch, 1 = header) or Kafka offset (streaming). */
  public long sourceOffset;
  /** The record exactly as received. */
  public String raw;
  /** Epoch milliseconds. */
  public long ingestedAt;

  /** The parsed event, or null when rejected. */
  public ClickEvent event;
  /** Machine-readable rejection reason (docs/features.md, Layers), or null when valid. */
  public String reason;
  /** Human-readable explanation of the rejection, or null when valid. */
  public String detail;

  public IngestedRecord() {}

  public boolean isValid() {
    return event != null;
  }

  static IngestedRecord of(
      String source, int sourceOrder, long sourceOffset, String raw, long ingestedAt) {
    IngestedRecord r = new IngestedRecord();
    r.source = source;
    r.sourceOrder = sourceOrder;
    r.sourceOffset = sourceOffset;
    r.raw = raw;
    r.ingestedAt = ingestedAt;
    return r;
  }

  /** Attaches the parse outcome, stamping the event with this record's position. */
  IngestedRecord withOutcome(ParseOutcome outcome) {
    if (outcome.isValid()) {
      ClickEvent e = outcome.event();
      e.sourceOrder = sourceOrder;
      e.sourceOffset = sourceOffset;
      e.ingestedAt = ingestedAt;
      this.event = e;
    } else {
      this.reason = outcome.reason();
      this.detail = outcome.detail();
    }
    return this;
  }

  /**
   * Rejects a record larger than the maximum size, keeping its head: {@code raw} is the first
   * {@link InputLimits#HEAD_BYTES} bytes followed by {@code ...[truncated, N bytes]}, so bronze
   * and the rejected table hold its start and its size.
   *
   * @param head at least the first {@code headLength} bytes of the record
   * @param size the record's full size in bytes
   */
  IngestedRecord tooLarge(byte[] head, int headLength, long size, InputLimits limits) {
    int keep = Math.min(headLength, InputLimits.HEAD_BYTES);
    this.raw = RawText.decode(head, keep).text + truncationMark(size);
    this.reason = RejectReason.RECORD_TOO_LARGE;
    this.detail = "the record has " + size + " bytes, more than the maximum of "
        + limits.maxRecordBytes() + "; raw holds its first " + keep + " bytes";
    return this;
  }

  /** What follows the head of an oversized record in {@code raw}. */
  public static String truncationMark(long size) {
    return "...[truncated, " + size + " bytes]";
  }

  @Override
  public String toString() {
    return "IngestedRecord{" + source + ':' + sourceOrder + ':' + sourceOffset + ' '
        + (event != null ? event : reason + " (" + detail + ')') + '}';
  }
}
