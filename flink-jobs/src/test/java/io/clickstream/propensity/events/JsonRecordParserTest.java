package io.clickstream.propensity.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Streaming records: JSON objects with the nine field names (docs/features.md, Input events and Layers). */
class JsonRecordParserTest {
  static final String JSON = "{\"event_time\":\"2020-09-24T11:57:06Z\",\"event_type\":\"view\","
      + "\"product_id\":1996170,\"category_id\":2144415922528452715,"
      + "\"category_code\":\"electronics.telephone\",\"brand\":\"samsung\",\"price\":35.79,"
      + "\"user_id\":1515915625519388267,\"user_session\":\"LJuJVLEjPT\"}";

  static ParseOutcome parse(String json) {
    return JsonRecordParser.parse(json == null ? null : json.getBytes(StandardCharsets.UTF_8));
  }

  static String without(String field) {
    return JSON.replaceAll("\"" + field + "\":(\"[^\"]*\"|[^,}]*),?", "").replace(",}", "}");
  }

  @Test
  void validObject() {
    ParseOutcome o = parse(JSON);
    assertThat(o.isValid()).as(o.toString()).isTrue();
    ClickEvent e = o.event();
    assertThat(e.eventTime).isEqualTo(Instant.parse("2020-09-24T11:57:06Z").getEpochSecond());
    assertThat(e.eventType).isEqualTo(EventType.VIEW);
    assertThat(e.productId).isEqualTo(1996170L);
    assertThat(e.categoryId).isEqualTo(2144415922528452715L);
    assertThat(e.categoryCode).isEqualTo("electronics.telephone");
    assertThat(e.brand).isEqualTo("samsung");
    assertThat(e.price).isEqualByComparingTo("35.79");
    assertThat(e.userId).isEqualTo(1515915625519388267L);
    assertThat(e.userSession).isEqualTo("LJuJVLEjPT");
  }

  @Test
  void numbersAsStringsAndExtraFieldsAreAccepted() {
    ParseOutcome o = parse("{\"ingest_ts\":123,\"event_time\":\"2020-09-24 11:57:06 UTC\","
        + "\"event_type\":\"view\",\"product_id\":\"1996170\",\"category_id\":\"2144415922528452715\","
        + "\"category_code\":\"electronics.telephone\",\"brand\":\"samsung\",\"price\":\"35.79\","
        + "\"user_id\":\"1515915625519388267\",\"user_session\":\"LJuJVLEjPT\",\"x\":{\"y\":[1]}}");
    assertThat(o.isValid()).as(o.toString()).isTrue();
    assertThat(o.event()).usingRecursiveComparison().isEqualTo(parse(JSON).event());
  }

  @Test
  void numbersInExponentNotationAreTheirPlainValue() {
    ParseOutcome o = parse(JSON.replace("\"price\":35.79", "\"price\":3.579E1")
        .replace("\"product_id\":1996170", "\"product_id\":1.99617e6"));
    assertThat(o.isValid()).as(o.toString()).isTrue();
    assertThat(o.event()).usingRecursiveComparison().isEqualTo(parse(JSON).event());
    assertThat(parse(JSON.replace("\"price\":35.79", "\"price\":-1e0")).reason())
        .isEqualTo("negative_price");
  }

  @Test
  void isoOffsetIsConvertedToUtcAndFractionTruncated() {
    ParseOutcome o = parse(JSON.replace("2020-09-24T11:57:06Z", "2020-09-24T14:57:06.987+03:00"));
    assertThat(o.event().eventTime).isEqualTo(parse(JSON).event().eventTime);
  }

  @Test
  void optionalFieldsNullEmptyOrAbsentAreNull() {
    for (String json : new String[] {
      JSON.replace("\"electronics.telephone\"", "null").replace("\"samsung\"", "null")
          .replace("2144415922528452715", "null"),
      JSON.replace("\"electronics.telephone\"", "\"\"").replace("\"samsung\"", "\"\"")
          .replace("2144415922528452715", "\"\""),
      without("category_code").replace(",\"brand\":\"samsung\"", "")
          .replace("\"category_id\":2144415922528452715,", ""),
    }) {
      ParseOutcome o = parse(json);
      assertThat(o.isValid()).as(json + " -> " + o).isTrue();
      assertThat(o.event().categoryId).isNull();
      assertThat(o.event().categoryCode).isNull();
      assertThat(o.event().brand).isNull();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"not json", "{\"event_time\":", "[1,2,3]", "[" + "{}" + "]",
      "\"a json string\"", "42", "true", "null", "{} {}", "{}}"})
  void notAJsonObjectIsMalformedJson(String value) {
    ParseOutcome o = parse(value);
    assertThat(o.isValid()).isFalse();
    assertThat(o.reason()).isEqualTo("malformed_json");
  }

  @Test
  void aTombstoneAndAnEmptyValueHaveReasonsOfTheirOwn() {
    assertThat(JsonRecordParser.parse(null).reason()).isEqualTo("null_record");
    assertThat(parse("").reason()).isEqualTo("empty_record");
    assertThat(parse(" \r\n").reason()).isEqualTo("empty_record");
  }

  @ParameterizedTest
  @ValueSource(strings = {"event_time", "event_type", "product_id", "price", "user_id", "user_session"})
  void requiredFieldAbsentNullOrEmptyIsMissingField(String field) {
    String absent = without(field);
    assertThat(absent).doesNotContain("\"" + field + "\"");
    assertThat(parse(absent).reason()).as(absent).isEqualTo("missing_field:" + field);
    String asNull = JSON.replaceAll("\"" + field + "\":(\"[^\"]*\"|[^,}]*)", "\"" + field + "\":null");
    assertThat(parse(asNull).reason()).as(asNull).isEqualTo("missing_field:" + field);
    String empty = JSON.replaceAll("\"" + field + "\":(\"[^\"]*\"|[^,}]*)", "\"" + field + "\":\"\"");
    assertThat(parse(empty).reason()).as(empty).isEqualTo("missing_field:" + field);
  }

  @Test
  void everyValidationReasonThroughJson() {
    assertThat(parse(JSON.replace("2020-09-24T11:57:06Z", "2020-09-24 11:57:06")).reason())
        .isEqualTo("bad_timestamp");
    assertThat(parse(JSON.replace("2020-09-24T11:57:06Z", "2020-09-24T11:57:06")).reason())
        .isEqualTo("bad_timestamp");
    assertThat(parse(JSON.replace("\"2020-09-24T11:57:06Z\"", "1600948626")).reason())
        .isEqualTo("bad_timestamp");
    assertThat(parse(JSON.replace("\"view\"", "\"click\"")).reason()).isEqualTo("unknown_event_type");
    assertThat(parse(JSON.replace("1996170", "\"abc\"")).reason()).isEqualTo("bad_number:product_id");
    assertThat(parse(JSON.replace("1996170", "1996170.5")).reason()).isEqualTo("bad_number:product_id");
    assertThat(parse(JSON.replace("1996170", "true")).reason()).isEqualTo("bad_number:product_id");
    assertThat(parse(JSON.replace("1996170", "[1]")).reason()).isEqualTo("bad_number:product_id");
    assertThat(parse(JSON.replace("2144415922528452715", "\"x\"")).reason())
        .isEqualTo("bad_number:category_id");
    assertThat(parse(JSON.replace("35.79", "\"x\"")).reason()).isEqualTo("bad_number:price");
    assertThat(parse(JSON.replace("35.79", "35.1234567")).reason()).isEqualTo("bad_number:price");
    assertThat(parse(JSON.replace("1515915625519388267", "\"u1\"")).reason()).isEqualTo("bad_number:user_id");
    assertThat(parse(JSON.replace("1515915625519388267", "99999999999999999999")).reason())
        .isEqualTo("bad_number:user_id");
    assertThat(parse(JSON.replace("1996170", "0")).reason()).isEqualTo("not_positive:product_id");
    assertThat(parse(JSON.replace("1515915625519388267", "-1")).reason()).isEqualTo("not_positive:user_id");
    assertThat(parse(JSON.replace("35.79", "-35.79")).reason()).isEqualTo("negative_price");
  }

  @Test
  void eventIdIsTheSameForCsvAndJsonFormsOfOneEvent() {
    CsvRecordParser csv = new CsvRecordParser(CsvRecordParserTest.HEADER);
    String csvId = csv.parse("2020-09-24 11:57:06 UTC,view,1996170,2144415922528452715,"
        + "electronics.telephone,samsung,35.8,1515915625519388267,LJuJVLEjPT").event().eventId;
    String jsonNumber = parse(JSON.replace("35.79", "35.80")).event().eventId;
    String jsonString = parse(JSON.replace("35.79", "\"35.800\"")
        .replace("2020-09-24T11:57:06Z", "2020-09-24T12:57:06+01:00")).event().eventId;
    assertThat(jsonNumber).isEqualTo(csvId);
    assertThat(jsonString).isEqualTo(csvId);
    // and a JSON event with an absent optional field equals the CSV one with an empty value
    String csvNoBrand = csv.parse("2020-09-24 11:57:06 UTC,view,1996170,2144415922528452715,"
        + "electronics.telephone,,35.79,1515915625519388267,LJuJVLEjPT").event().eventId;
    assertThat(parse(JSON.replace(",\"brand\":\"samsung\"", "")).event().eventId).isEqualTo(csvNoBrand);
    assertThat(csvNoBrand).isNotEqualTo(parse(JSON).event().eventId);
  }

  @Test
  void sameInputParsedTwiceGivesTheSameEventId() {
    assertThat(parse(JSON).event().eventId).isEqualTo(parse(JSON).event().eventId);
    assertThat(parse(JSON.replace("LJuJVLEjPT", "LJuJVLEjPt")).event().eventId)
        .isNotEqualTo(parse(JSON).event().eventId);
  }
}
