package io.clickstream.propensity.events;

import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.util.List;

/**
 * The nine input fields (docs/features.md, Input events) and the one validation of them, shared by the CSV
 * (batch) and JSON (streaming) parsers so both modes accept and reject exactly the same values.
 */
public final class EventFields {
  public static final String EVENT_TIME = "event_time";
  public static final String EVENT_TYPE = "event_type";
  public static final String PRODUCT_ID = "product_id";
  public static final String CATEGORY_ID = "category_id";
  public static final String CATEGORY_CODE = "category_code";
  public static final String BRAND = "brand";
  public static final String PRICE = "price";
  public static final String USER_ID = "user_id";
  public static final String USER_SESSION = "user_session";

  /** Field names in the public dataset's column order. */
  public static final List<String> NAMES =
      List.of(EVENT_TIME, EVENT_TYPE, PRODUCT_ID, CATEGORY_ID, CATEGORY_CODE, BRAND, PRICE,
          USER_ID, USER_SESSION);

  /** Silver stores price as DECIMAL(PRICE_PRECISION, PRICE_SCALE). */
  public static final int PRICE_PRECISION = 18;
  public static final int PRICE_SCALE = 6;

  // "2020-09-24 11:57:06" with an optional fraction (truncated to the second: the contract is
  // second precision). 'T' is normalised to ' ' before parsing. STRICT: an impossible date such as
  // 2020-02-30 is rejected, not silently moved to the last valid day of the month.
  private static final DateTimeFormatter LOCAL =
      new DateTimeFormatterBuilder()
          .appendPattern("uuuu-MM-dd HH:mm:ss")
          .optionalStart()
          .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
          .optionalEnd()
          .toFormatter()
          .withResolverStyle(ResolverStyle.STRICT);
  // Offsets: +hh:mm, +hhmm or the hour-only +hh that ISO-8601 also allows (minutes optional).
  private static final DateTimeFormatter WITH_OFFSET =
      new DateTimeFormatterBuilder().append(LOCAL).appendOffset("+HH:mm", "Z").toFormatter()
          .withResolverStyle(ResolverStyle.STRICT);
  private static final DateTimeFormatter WITH_COMPACT_OFFSET =
      new DateTimeFormatterBuilder().append(LOCAL).appendOffset("+HHmm", "Z").toFormatter()
          .withResolverStyle(ResolverStyle.STRICT);

  private EventFields() {}

  /**
   * Validates the nine raw values (null = absent) given in {@link #NAMES} order. Fields are checked
   * in that order; the first failure is the reason.
   */
  public static ParseOutcome validate(String[] raw) {
    return validate(raw, InputLimits.DEFAULT, InputLimits.NO_CLOCK);
  }

  /**
   * Validates the nine raw values (null = absent) given in {@link #NAMES} order against the field
   * rules and the event-time {@code limits}. A control character in any value is rejected first;
   * then fields are checked in that order and the first failure is the reason.
   *
   * @param clockMillis the processing time the future skew is measured from, or
   *     {@link InputLimits#NO_CLOCK}
   */
  public static ParseOutcome validate(String[] raw, InputLimits limits, long clockMillis) {
    for (int f = 0; f < raw.length; f++) {
      int at = controlCharacterAt(raw[f]);
      if (at >= 0) {
        return ParseOutcome.rejected(RejectReason.controlCharacter(NAMES.get(f)), NAMES.get(f)
            + " has the control character U+" + String.format("%04X", (int) raw[f].charAt(at))
            + " at index " + at);
      }
    }
    ClickEvent e = new ClickEvent();

    String time = trimToNull(raw[0]);
    if (time == null) {
      return ParseOutcome.rejected(RejectReason.missingField(EVENT_TIME), "event_time is empty");
    }
    try {
      e.eventTime = parseEventTime(time);
    } catch (DateTimeException ex) {
      return ParseOutcome.rejected(RejectReason.BAD_TIMESTAMP, ex.getMessage());
    }
    ParseOutcome outOfBounds = limits.checkEventTime(e.eventTime, clockMillis);
    if (outOfBounds != null) {
      return outOfBounds;
    }

    String type = trimToNull(raw[1]);
    if (type == null) {
      return ParseOutcome.rejected(RejectReason.missingField(EVENT_TYPE), "event_type is empty");
    }
    e.eventType = EventType.fromWireName(type);
    if (e.eventType == null) {
      return ParseOutcome.rejected(
          RejectReason.UNKNOWN_EVENT_TYPE, "event_type '" + type + "' is not one of "
              + "view, cart, remove_from_cart, purchase");
    }

    String productId = trimToNull(raw[2]);
    if (productId == null) {
      return ParseOutcome.rejected(RejectReason.missingField(PRODUCT_ID), "product_id is empty");
    }
    Long pid = parseLong(productId);
    if (pid == null) {
      return badNumber(PRODUCT_ID, productId);
    }
    if (pid <= 0) {
      return notPositive(PRODUCT_ID, productId);
    }
    e.productId = pid;

    String categoryId = trimToNull(raw[3]);
    if (categoryId != null) {
      e.categoryId = parseLong(categoryId);
      if (e.categoryId == null) {
        return badNumber(CATEGORY_ID, categoryId);
      }
    }
    e.categoryCode = trimToNull(raw[4]);
    e.brand = trimToNull(raw[5]);

    String price = trimToNull(raw[6]);
    if (price == null) {
      return ParseOutcome.rejected(RejectReason.missingField(PRICE), "price is empty");
    }
    BigDecimal p = parsePrice(price);
    if (p == null) {
      return badNumber(PRICE, price);
    }
    if (p.signum() < 0) {
      return ParseOutcome.rejected(RejectReason.NEGATIVE_PRICE, "price " + price + " is below 0");
    }
    e.price = p;

    String userId = trimToNull(raw[7]);
    if (userId == null) {
      return ParseOutcome.rejected(RejectReason.missingField(USER_ID), "user_id is empty");
    }
    Long uid = parseLong(userId);
    if (uid == null) {
      return badNumber(USER_ID, userId);
    }
    if (uid <= 0) {
      return notPositive(USER_ID, userId);
    }
    e.userId = uid;

    e.userSession = trimToNull(raw[8]);
    if (e.userSession == null) {
      return ParseOutcome.rejected(
          RejectReason.missingField(USER_SESSION), "user_session is empty");
    }
    e.eventId = EventIds.of(e);
    return ParseOutcome.valid(e);
  }

  /**
   * Parses an event time that states its zone: {@code 2020-09-24 11:57:06 UTC}, ISO-8601 with
   * {@code Z} or an offset (converted to UTC). A time without a zone is refused: the data is UTC
   * only when it says so. Fractions of a second are truncated (second precision).
   *
   * @return seconds since the epoch
   * @throws DateTimeException with a message saying what is wrong
   */
  public static long parseEventTime(String value) {
    String s = value.trim();
    if (s.length() > 10 && s.charAt(10) == 'T') {
      s = s.substring(0, 10) + ' ' + s.substring(11);
    }
    if (s.endsWith(" UTC")) {
      return parseLocal(s.substring(0, s.length() - 4).trim(), value);
    }
    if (s.length() == 20 && s.charAt(19) == 'Z') {
      return parseLocal(s.substring(0, 19), value);
    }
    int zoneAt = zoneStart(s);
    if (zoneAt < 0) {
      throw new DateTimeException(
          "event_time '" + value + "' has no time zone (expected e.g. '2020-09-24 11:57:06 UTC' "
              + "or '2020-09-24T11:57:06Z')");
    }
    try {
      DateTimeFormatter f = s.indexOf(':', zoneAt) >= 0 || s.endsWith("Z")
          ? WITH_OFFSET : WITH_COMPACT_OFFSET;
      return OffsetDateTime.parse(s, f).toEpochSecond();
    } catch (DateTimeException ex) {
      throw new DateTimeException("event_time '" + value + "' is not a valid timestamp");
    }
  }

  private static long parseLocal(String s, String original) {
    try {
      if (isPlainSecondForm(s)) {
        // the shape of (nearly) every record, without the formatter's general machinery (a
        // tenth of the streaming job's parse time); LocalDateTime.of is just as strict
        return LocalDateTime.of(digits(s, 0, 4), digits(s, 5, 2), digits(s, 8, 2),
            digits(s, 11, 2), digits(s, 14, 2), digits(s, 17, 2)).toEpochSecond(ZoneOffset.UTC);
      }
      return LocalDateTime.parse(s, LOCAL).toEpochSecond(ZoneOffset.UTC);
    } catch (DateTimeException ex) {
      throw new DateTimeException("event_time '" + original + "' is not a valid timestamp");
    }
  }

  /** Exactly {@code dddd-dd-dd dd:dd:dd} (ASCII digits). */
  private static boolean isPlainSecondForm(String s) {
    if (s.length() != 19 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != ' '
        || s.charAt(13) != ':' || s.charAt(16) != ':') {
      return false;
    }
    for (int i = 0; i < 19; i++) {
      char c = s.charAt(i);
      if ((i == 4 || i == 7 || i == 10 || i == 13 || i == 16) != (c < '0' || c > '9')) {
        return false;
      }
    }
    return true;
  }

  private static int digits(String s, int from, int count) {
    int v = 0;
    for (int i = from; i < from + count; i++) {
      v = v * 10 + (s.charAt(i) - '0');
    }
    return v;
  }

  /** Index where a trailing zone designator (Z, +hh:mm, -hhmm, ...) starts, or -1. */
  private static int zoneStart(String s) {
    if (s.endsWith("Z")) {
      return s.length() - 1;
    }
    // an offset sign can only appear after the time part "yyyy-MM-dd HH:mm:ss"
    for (int i = s.length() - 1; i >= 19; i--) {
      char c = s.charAt(i);
      if (c == '+' || c == '-') {
        return i;
      }
    }
    return -1;
  }

  private static BigDecimal parsePrice(String s) {
    try {
      BigDecimal p = new BigDecimal(s);
      // must fit DECIMAL(18,6) exactly: no silent rounding of money
      BigDecimal scaled = p.setScale(PRICE_SCALE);
      return scaled.precision() <= PRICE_PRECISION ? p : null;
    } catch (NumberFormatException | ArithmeticException ex) {
      return null;
    }
  }

  private static Long parseLong(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException ex) {
      return null;
    }
  }

  private static ParseOutcome badNumber(String field, String value) {
    return ParseOutcome.rejected(
        RejectReason.badNumber(field), field + " '" + value + "' is not a valid number");
  }

  private static ParseOutcome notPositive(String field, String value) {
    return ParseOutcome.rejected(
        RejectReason.notPositive(field), field + " " + value + " must be greater than 0");
  }

  /**
   * Without surrounding white space, null when nothing is left. {@code strip}, not {@code trim}:
   * trim also drops NUL and other control characters, which must be rejected, not hidden.
   */
  static String trimToNull(String s) {
    if (s == null) {
      return null;
    }
    String t = s.strip();
    return t.isEmpty() ? null : t;
  }

  /**
   * Index of the first control character inside the value (U+0000-U+001F or U+007F, except the
   * white space that {@link #trimToNull} strips at either end), or -1.
   */
  private static int controlCharacterAt(String s) {
    if (s == null) {
      return -1;
    }
    int from = 0;
    int to = s.length();
    while (from < to && Character.isWhitespace(s.charAt(from))) {
      from++;
    }
    while (to > from && Character.isWhitespace(s.charAt(to - 1))) {
      to--;
    }
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7F) {
        return i;
      }
    }
    return -1;
  }
}
