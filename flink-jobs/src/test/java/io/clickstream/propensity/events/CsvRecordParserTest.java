package io.clickstream.propensity.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** CSV records against their header (docs/features.md, Input events and Layers). */
class CsvRecordParserTest {
  static final String HEADER =
      "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session";
  static final String ROW =
      "2020-09-24 11:57:06 UTC,view,1996170,2144415922528452715,electronics.telephone,samsung,"
          + "35.79,1515915625519388267,LJuJVLEjPT";
  static final Path SAMPLE = io.clickstream.propensity.testing.Samples.reesHead();

  static ParseOutcome parse(String line) {
    return new CsvRecordParser(HEADER).parse(line);
  }

  @Test
  void validRow() {
    ParseOutcome o = parse(ROW);
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
  void isoTimestampsInCsvAreAcceptedToo() {
    ParseOutcome o = parse(ROW.replace("2020-09-24 11:57:06 UTC", "2020-09-24T13:57:06+02:00"));
    assertThat(o.event().eventTime).isEqualTo(parse(ROW).event().eventTime);
    assertThat(o.event().eventId).isEqualTo(parse(ROW).event().eventId);
  }

  @Test
  void columnOrderIsTakenFromTheHeader() {
    String[] names = HEADER.split(",");
    String[] values = ROW.split(",");
    List<Integer> perm = new ArrayList<>();
    for (int i = 0; i < names.length; i++) {
      perm.add(i);
    }
    Random rnd = new Random(7);
    for (int round = 0; round < 20; round++) {
      Collections.shuffle(perm, rnd);
      StringBuilder h = new StringBuilder();
      StringBuilder r = new StringBuilder();
      for (int i : perm) {
        h.append(h.length() == 0 ? "" : ",").append(names[i]);
        r.append(r.length() == 0 ? "" : ",").append(values[i]);
      }
      ParseOutcome o = new CsvRecordParser(h.toString()).parse(r.toString());
      assertThat(o.isValid()).as(h + " / " + r + " -> " + o).isTrue();
      assertThat(o.event()).usingRecursiveComparison().isEqualTo(parse(ROW).event());
    }
  }

  @Test
  void headerNamesAreCaseAndBlankInsensitiveAndExtraColumnsIgnored() {
    CsvRecordParser p = new CsvRecordParser(
        " Event_Time ,EVENT_TYPE,product_id,category_id,category_code,brand,price,user_id,user_session,ingest_ts");
    ParseOutcome o = p.parse(ROW + ",12345");
    assertThat(o.isValid()).as(o.toString()).isTrue();
    assertThat(o.event().eventId).isEqualTo(parse(ROW).event().eventId);
    // the header has ten columns: a nine-field record is malformed
    assertThat(p.parse(ROW).reason()).isEqualTo("malformed_csv");
  }

  @Test
  void byteOrderMarkInHeaderIsIgnored() {
    ParseOutcome o = new CsvRecordParser("\uFEFF" + HEADER).parse(ROW);
    assertThat(o.isValid()).as(o.toString()).isTrue();
    assertThat(o.event().eventTime).isEqualTo(parse(ROW).event().eventTime);
  }

  @Test
  void quotedFieldsWithCommasAndQuotes() {
    ParseOutcome o = parse("\"2020-09-24 11:57:06 UTC\",\"view\",\"1996170\",,\"a,b\","
        + "\"say \"\"hi\"\"\",\"35.79\",1515915625519388267,\"LJuJ,VLEjPT\"");
    assertThat(o.isValid()).as(o.toString()).isTrue();
    assertThat(o.event().categoryId).isNull();
    assertThat(o.event().categoryCode).isEqualTo("a,b");
    assertThat(o.event().brand).isEqualTo("say \"hi\"");
    assertThat(o.event().userSession).isEqualTo("LJuJ,VLEjPT");
  }

  @Test
  void emptyBrandAndCategoryCodeAreNull() {
    ParseOutcome o = parse(
        "2019-10-01 00:00:00 UTC,view,44600062,2103807459595387724,,,35.79,541312140,72d76fde");
    assertThat(o.isValid()).isTrue();
    assertThat(o.event().categoryCode).isNull();
    assertThat(o.event().brand).isNull();
    ParseOutcome quotedEmpty = parse(
        "2019-10-01 00:00:00 UTC,view,44600062,2103807459595387724,\"\",\"\",35.79,541312140,72d76fde");
    assertThat(quotedEmpty.event().categoryCode).isNull();
    assertThat(quotedEmpty.event().brand).isNull();
    assertThat(quotedEmpty.event().eventId).isEqualTo(o.event().eventId);
  }

  @Test
  void aTrailingCarriageReturnIsNotPartOfTheLastField() throws IOException {
    // the reader strips CRLF; the sample file is CRLF: its first record must not carry a CR
    List<String> lines = Files.readAllLines(SAMPLE, StandardCharsets.UTF_8);
    ParseOutcome o = new CsvRecordParser(lines.get(0)).parse(lines.get(1));
    assertThat(o.isValid()).isTrue();
    assertThat(o.event().userSession).isEqualTo("72d76fde-8bb3-4e00-8c23-a032dfed738c");
  }

  // ---- malformed_csv

  @ParameterizedTest
  @ValueSource(strings = {
    "2020-09-24 11:57:06 UTC,view,1996170,2144415922528452715,electronics.telephone,samsung,35.79,1515915625519388267",
    "2020-09-24 11:57:06 UTC,view,1996170,2144415922528452715,electronics.telephone,samsung,35.79,1515915625519388267,LJuJVLEjPT,extra",
    "2020-09-24 11:57:06 UTC,view,1996170,2144415922528452715,electronics.telephone,samsung,35.79,1515915625519388267,LJuJVLEjPT,",
    "just one field",
    ",",
    "   ",
  })
  void wrongFieldCountIsMalformedCsv(String line) {
    ParseOutcome o = parse(line);
    assertThat(o.isValid()).isFalse();
    assertThat(o.reason()).isEqualTo("malformed_csv");
    assertThat(o.detail()).isNotBlank();
  }

  @Test
  void unclosedQuoteIsMalformedCsv() {
    ParseOutcome o = parse(ROW.replace("samsung", "\"samsung"));
    assertThat(o.reason()).isEqualTo("malformed_csv");
  }

  @Test
  void truncatedLastLineOfTheRealSampleIsMalformedCsv() throws IOException {
    List<String> lines = Files.readAllLines(SAMPLE, StandardCharsets.UTF_8);
    String last = lines.get(lines.size() - 1);
    assertThat(last.split(",", -1)).hasSize(8); // the known truncated row
    ParseOutcome o = new CsvRecordParser(lines.get(0)).parse(last);
    assertThat(o.isValid()).isFalse();
    assertThat(o.reason()).isEqualTo("malformed_csv");
    // while the line before it is fine
    assertThat(new CsvRecordParser(lines.get(0)).parse(lines.get(lines.size() - 2)).isValid()).isTrue();
  }

  @Test
  void headerWithoutARequiredColumnMakesEveryRecordMissThatField() {
    CsvRecordParser p = new CsvRecordParser(
        "event_time,event_type,product_id,category_id,category_code,brand,price,user_id");
    String line = ROW.substring(0, ROW.lastIndexOf(','));
    assertThat(p.parse(line).reason()).isEqualTo("missing_field:user_session");
  }

  // ---- every other reason through the CSV path

  static String replaceField(int field, String value) {
    String[] v = ROW.split(",", -1);
    v[field] = value;
    return String.join(",", v);
  }

  @Test
  void everyValidationReasonThroughCsv() {
    assertThat(parse(replaceField(0, "2020-09-24 11:57:06")).reason()).isEqualTo("bad_timestamp");
    assertThat(parse(replaceField(0, "2020-09-24T11:57:06")).reason()).isEqualTo("bad_timestamp");
    assertThat(parse(replaceField(0, "not a time")).reason()).isEqualTo("bad_timestamp");
    assertThat(parse(replaceField(0, "2019-02-29 10:00:00 UTC")).reason()).isEqualTo("bad_timestamp");
    assertThat(parse(replaceField(1, "click")).reason()).isEqualTo("unknown_event_type");
    String[] names = HEADER.split(",");
    for (String required : new String[] {"event_time", "event_type", "product_id", "price", "user_id", "user_session"}) {
      int f = java.util.Arrays.asList(names).indexOf(required);
      assertThat(parse(replaceField(f, "")).reason()).isEqualTo("missing_field:" + required);
    }
    assertThat(parse(replaceField(2, "x")).reason()).isEqualTo("bad_number:product_id");
    assertThat(parse(replaceField(3, "x")).reason()).isEqualTo("bad_number:category_id");
    assertThat(parse(replaceField(6, "x")).reason()).isEqualTo("bad_number:price");
    assertThat(parse(replaceField(6, "1.0000001")).reason()).isEqualTo("bad_number:price");
    assertThat(parse(replaceField(7, "x")).reason()).isEqualTo("bad_number:user_id");
    assertThat(parse(replaceField(2, "0")).reason()).isEqualTo("not_positive:product_id");
    assertThat(parse(replaceField(7, "-3")).reason()).isEqualTo("not_positive:user_id");
    assertThat(parse(replaceField(6, "-0.5")).reason()).isEqualTo("negative_price");
  }
}
