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

  private static final String MISSING_FIELD = "missing_field:";
  private static final String BAD_NUMBER = "bad_number:";
  private static final String NOT_POSITIVE = "not_positive:";

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
}
