package io.clickstream.propensity.events;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The one validation of the nine fields shared by CSV and JSON (docs/features.md, Input events and Layers). */
class EventFieldsTest {
  static final long T = Instant.parse("2020-09-24T11:57:06Z").getEpochSecond();

  /** A valid row in {@link EventFields#NAMES} order. */
  static String[] valid() {
    return new String[] {
      "2020-09-24 11:57:06 UTC", "view", "1996170", "2144415922528452715",
      "electronics.telephone", "samsung", "35.79", "1515915625519388267", "LJuJVLEjPT"
    };
  }

  static String[] with(int field, String value) {
    String[] r = valid();
    r[field] = value;
    return r;
  }

  static int idx(String name) {
    return EventFields.NAMES.indexOf(name);
  }

  @Test
  void validRowIsParsedIntoTypedFields() {
    ParseOutcome o = EventFields.validate(valid());
    assertThat(o.isValid()).as(o.toString()).isTrue();
    ClickEvent e = o.event();
    assertThat(e.eventTime).isEqualTo(T);
    assertThat(e.eventType).isEqualTo(EventType.VIEW);
    assertThat(e.productId).isEqualTo(1996170L);
    assertThat(e.categoryId).isEqualTo(2144415922528452715L);
    assertThat(e.categoryCode).isEqualTo("electronics.telephone");
    assertThat(e.brand).isEqualTo("samsung");
    assertThat(e.price).isEqualByComparingTo("35.79");
    assertThat(e.userId).isEqualTo(1515915625519388267L);
    assertThat(e.userSession).isEqualTo("LJuJVLEjPT");
    assertThat(e.eventId).hasSize(32).matches("[0-9a-f]{32}");
    assertThat(o.reason()).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"view", "cart", "remove_from_cart", "purchase"})
  void allFourEventTypesAreAccepted(String type) {
    ParseOutcome o = EventFields.validate(with(idx("event_type"), type));
    assertThat(o.isValid()).isTrue();
    assertThat(o.event().eventType.wireName()).isEqualTo(type);
  }

  @Test
  void optionalFieldsMayBeEmptyAndEmptyMeansNull() {
    String[] r = valid();
    r[idx("category_id")] = "";
    r[idx("category_code")] = "";
    r[idx("brand")] = "  ";
    ParseOutcome o = EventFields.validate(r);
    assertThat(o.isValid()).isTrue();
    assertThat(o.event().categoryId).isNull();
    assertThat(o.event().categoryCode).isNull();
    assertThat(o.event().brand).isNull();
    r[idx("category_id")] = null;
    r[idx("category_code")] = null;
    r[idx("brand")] = null;
    assertThat(EventFields.validate(r).isValid()).isTrue();
  }

  @Test
  void priceZeroIsValid() {
    ParseOutcome o = EventFields.validate(with(idx("price"), "0.00"));
    assertThat(o.isValid()).isTrue();
    assertThat(o.event().price.signum()).isZero();
  }

  // ---- timestamps

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "2020-09-24 11:57:06 UTC",
    "2020-09-24T11:57:06Z",
    "2020-09-24 11:57:06Z",
    "2020-09-24T13:57:06+02:00",
    "2020-09-24T06:57:06-05:00",
    "2020-09-24T13:57:06+0200",
    "2020-09-24T13:57:06+02",
    "2020-09-24T08:57:06-03",
    "2020-09-24T17:27:06+05:30",
    "2020-09-24T11:57:06+00:00",
    "2020-09-24T11:57:06.999Z",
    "2020-09-24T11:57:06.000000001Z",
    "2020-09-24 11:57:06.75 UTC",
    "2020-09-25T01:27:06.5+13:30",
  })
  void timestampsWithAZoneAreConvertedToUtcSecondsAndFractionsTruncated(String value) {
    assertThat(EventFields.parseEventTime(value)).isEqualTo(T);
    ParseOutcome o = EventFields.validate(with(0, value));
    assertThat(o.isValid()).as(o.toString()).isTrue();
    assertThat(o.event().eventTime).isEqualTo(T);
  }

  @Test
  void offsetCrossingMidnightChangesTheUtcDay() {
    assertThat(EventFields.parseEventTime("2020-09-25T01:00:00+02:00"))
        .isEqualTo(Instant.parse("2020-09-24T23:00:00Z").getEpochSecond());
    assertThat(EventFields.parseEventTime("1969-12-31 23:59:59 UTC")).isEqualTo(-1L);
    assertThat(EventFields.parseEventTime("2020-02-29 00:00:00 UTC"))
        .isEqualTo(Instant.parse("2020-02-29T00:00:00Z").getEpochSecond());
    assertThat(EventFields.parseEventTime("0000-01-01 00:00:00 UTC"))
        .isEqualTo(Instant.parse("0000-01-01T00:00:00Z").getEpochSecond());
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "2020-09-24 11:57:06",          // no zone
    "2020-09-24T11:57:06",          // ISO without zone
    "2020-09-24T11:57:06.123",      // fraction, no zone
    "2020-09-24",                   // date only
    "garbage",
    "yesterday at noon UTC",
    "2020-02-30 11:57:06 UTC",      // invalid date
    "2021-04-31T10:00:00Z",         // invalid date
    "2020-13-01 11:57:06 UTC",      // invalid month
    "2020-09-24 25:57:06 UTC",      // invalid hour
    "2020-09-24 11:60:06 UTC",      // invalid minute
    "2020-09-24 11:57:60 UTC",      // invalid second (no leap seconds)
    "2020-09-24 24:00:00 UTC",      // hour 24
    "2019-02-29 00:00:00 UTC",      // not a leap year
    "2020-09-24 11:5a:06 UTC",      // a letter among the digits
    "2020-09-24 11:57:0\u0666 UTC", // a non-ASCII digit
    "2020/09/24 11:57:06 UTC",      // other separators
    "2020-09-24T11:57:06+25:00",    // invalid offset
    "1600948626",                   // epoch number
    "2020-09-24 11:57:06 UTC trailing",
  })
  void timestampsWithoutZoneOrInvalidAreBadTimestamp(String value) {
    ParseOutcome o = EventFields.validate(with(0, value));
    assertThat(o.isValid()).as(value + " -> " + o).isFalse();
    assertThat(o.reason()).isEqualTo(RejectReason.BAD_TIMESTAMP);
    assertThat(o.detail()).isNotBlank();
    assertThatThrownBy(() -> EventFields.parseEventTime(value)).isInstanceOf(DateTimeException.class);
  }

  // ---- rejection reasons, one per rule

  @ParameterizedTest
  @ValueSource(strings = {"click", "views", "buy", "remove"})
  void unknownEventType(String type) {
    assertThat(EventFields.validate(with(1, type)).reason()).isEqualTo("unknown_event_type");
  }

  @ParameterizedTest
  @ValueSource(strings = {"event_time", "event_type", "product_id", "price", "user_id", "user_session"})
  void requiredFieldEmptyBlankOrAbsentIsMissingField(String field) {
    for (String v : new String[] {"", "   ", null}) {
      ParseOutcome o = EventFields.validate(with(idx(field), v));
      assertThat(o.isValid()).isFalse();
      assertThat(o.reason()).as("value <%s>", v).isEqualTo("missing_field:" + field);
    }
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "product_id|abc", "product_id|12.5", "product_id|1e5", "product_id|99999999999999999999",
    "category_id|x12", "category_id|1.0",
    "price|abc", "price|1,5", "price|NaN", "price|12.34.5",
    "user_id|u123", "user_id|1.5", "user_id|99999999999999999999",
  })
  void unparseableNumberIsBadNumber(String field, String value) {
    assertThat(EventFields.validate(with(idx(field), value)).reason()).isEqualTo("bad_number:" + field);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "product_id|0", "product_id|-5", "user_id|0", "user_id|-1",
  })
  void nonPositiveIdIsNotPositive(String field, String value) {
    assertThat(EventFields.validate(with(idx(field), value)).reason()).isEqualTo("not_positive:" + field);
  }

  @ParameterizedTest
  @ValueSource(strings = {"-0.01", "-35.79", "-1"})
  void negativePrice(String price) {
    assertThat(EventFields.validate(with(idx("price"), price)).reason()).isEqualTo("negative_price");
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.1234567", "0.0000001", "1234567890123.5"})
  void priceThatDoesNotFitDecimal18_6IsRejectedNotRounded(String price) {
    assertThat(EventFields.validate(with(idx("price"), price)).reason()).isEqualTo("bad_number:price");
  }

  @Test
  void priceWithSixDecimalsAndTrailingZerosIsAccepted() {
    ParseOutcome o = EventFields.validate(with(idx("price"), "1.123456"));
    assertThat(o.isValid()).isTrue();
    assertThat(o.event().price).isEqualTo(new BigDecimal("1.123456"));
    assertThat(EventFields.validate(with(idx("price"), "1.1234560000")).isValid()).isTrue();
  }

  @Test
  void valuesAreTrimmed() {
    String[] r = valid();
    for (int i = 0; i < r.length; i++) {
      r[i] = "  " + r[i] + " ";
    }
    ParseOutcome o = EventFields.validate(r);
    assertThat(o.isValid()).as(o.toString()).isTrue();
    assertThat(o.event().eventId).isEqualTo(EventFields.validate(valid()).event().eventId);
    assertThat(o.event().userSession).isEqualTo("LJuJVLEjPT");
  }

  // ---- event_id

  @Test
  void eventIdIsDeterministicAcrossParses() {
    assertThat(EventFields.validate(valid()).event().eventId)
        .isEqualTo(EventFields.validate(valid()).event().eventId);
  }

  @Test
  void eventIdChangesWhenAnyOfTheNineFieldsDiffers() {
    String base = EventFields.validate(valid()).event().eventId;
    String[] other = {
      "2020-09-24 11:57:07 UTC", "cart", "1996171", "2144415922528452716",
      "electronics.telephonf", "samsunf", "35.78", "1515915625519388268", "LJuJVLEjPU"
    };
    for (int f = 0; f < other.length; f++) {
      ParseOutcome o = EventFields.validate(with(f, other[f]));
      assertThat(o.isValid()).as(o.toString()).isTrue();
      assertThat(o.event().eventId).as("field %s", EventFields.NAMES.get(f)).isNotEqualTo(base);
    }
    // absent optional fields differ from present ones
    for (String opt : new String[] {"category_id", "category_code", "brand"}) {
      assertThat(EventFields.validate(with(idx(opt), "")).event().eventId).isNotEqualTo(base);
    }
    // moving text between adjacent fields must not collide
    String[] a = with(idx("category_code"), "ab");
    a[idx("brand")] = "c";
    String[] b = with(idx("category_code"), "a");
    b[idx("brand")] = "bc";
    assertThat(EventFields.validate(a).event().eventId)
        .isNotEqualTo(EventFields.validate(b).event().eventId);
    // absent category_code and brand vs swapping which is absent
    String[] c = with(idx("category_code"), "");
    c[idx("brand")] = "x";
    String[] d = with(idx("category_code"), "x");
    d[idx("brand")] = "";
    assertThat(EventFields.validate(c).event().eventId)
        .isNotEqualTo(EventFields.validate(d).event().eventId);
  }

  @Test
  void eventIdUsesCanonicalFormOfPriceAndTime() {
    String base = EventFields.validate(with(idx("price"), "35.8")).event().eventId;
    assertThat(EventFields.validate(with(idx("price"), "35.80")).event().eventId).isEqualTo(base);
    assertThat(EventFields.validate(with(idx("price"), "35.800000")).event().eventId).isEqualTo(base);
    String[] iso = with(idx("price"), "35.8");
    iso[0] = "2020-09-24T13:57:06+02:00";
    assertThat(EventFields.validate(iso).event().eventId).isEqualTo(base);
    assertThat(EventFields.validate(with(idx("price"), "0")).event().eventId)
        .isEqualTo(EventFields.validate(with(idx("price"), "0.00")).event().eventId);
    assertThat(EventFields.validate(with(idx("event_type"), "VIEW")).event().eventId)
        .isEqualTo(EventFields.validate(valid()).event().eventId);
  }
}
