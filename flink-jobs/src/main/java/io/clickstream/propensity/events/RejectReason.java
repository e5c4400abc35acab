package io.clickstream.propensity.events;

/** The machine-readable rejection reasons (docs/features.md, Layers), in one place. */
public final class RejectReason {
  /** A CSV record whose field count differs from the header's. */
  public static final String MALFORMED_CSV = "malformed_csv";
  /** A Kafka record whose value is not a JSON object. */
  public static final String MALFORMED_JSON = "malformed_json";
  /** event_time unparseable, or without an explicit zone. */
  public static final String BAD_TIMESTAMP = "bad_timestamp";
  /** event_type not one of view, cart, remove_from_cart, purchase. */
  public static final String UNKNOWN_EVENT_TYPE = "unknown_event_type";
  /** price below zero. */
  public static final String NEGATIVE_PRICE = "negative_price";
  /** event_time outside the accepted range ({@link InputLimits}). */
  public static final String EVENT_TIME_OUT_OF_RANGE = "event_time_out_of_range";
  /** event_time further ahead of the processing clock than the maximum skew (streaming). */
  public static final String EVENT_TIME_IN_FUTURE = "event_time_in_future";
  /** A record larger than the maximum record size: only its head is kept. */
  public static final String RECORD_TOO_LARGE = "record_too_large";
  /** A record whose bytes are not valid UTF-8. */
  public static final String INVALID_UTF8 = "invalid_utf8";
  /** A Kafka record with an empty (or blank) value. */
  public static final String EMPTY_RECORD = "empty_record";
  /** A Kafka record without a value (a tombstone). */
  public static final String NULL_RECORD = "null_record";
  /** A CSV record equal to the file's header line (files concatenated with their headers). */
  public static final String REPEATED_HEADER = "repeated_header";

  private static final String MISSING_FIELD = "missing_field:";
  private static final String BAD_NUMBER = "bad_number:";
  private static final String NOT_POSITIVE = "not_positive:";
  private static final String DUPLICATE_FIELD = "duplicate_field:";
  private static final String CONTROL_CHARACTER = "control_character:";

  private RejectReason() {}

  /** A required field that is absent, empty or null. */
  public static String missingField(String field) {
    return MISSING_FIELD + field;
  }

  /** A numeric field that does not parse as the number it must be. */
  public static String badNumber(String field) {
    return BAD_NUMBER + field;
  }

  /** An id (product_id, user_id) that parses but is zero or negative. */
  public static String notPositive(String field) {
    return NOT_POSITIVE + field;
  }

  /** A JSON object that names one of the nine fields twice: which value is meant is ambiguous. */
  public static String duplicateField(String field) {
    return DUPLICATE_FIELD + field;
  }

  /** A value with a control character (U+0000-U+001F, U+007F), e.g. a NUL byte, inside it. */
  public static String controlCharacter(String field) {
    return CONTROL_CHARACTER + field;
  }

  /** The reason without its {@code :<field>} suffix: the label of the per-reason metric. */
  public static String label(String reason) {
    int colon = reason.indexOf(':');
    return colon < 0 ? reason : reason.substring(0, colon);
  }
}
