package io.clickstream.propensity.events.synthetic;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.CsvRecordParser;
import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.events.ParseOutcome;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GeneratorTest {
  private static final int N = 50_000;
  private static final Instant START = ClickstreamGenerator.DEFAULT_START;

  private static byte[] bytes;
  private static GenerationSummary summary;
  private static List<String> lines;

  @BeforeAll
  static void generateOnce() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    summary = ClickstreamGenerator.builder().events(N).seed(42).build().writeTo(out);
    bytes = out.toByteArray();
    lines = List.of(new String(bytes, StandardCharsets.UTF_8).split("\n", -1));
  }

  private static byte[] generate(long n, long seed) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ClickstreamGenerator.builder().events(n).seed(seed).build().writeTo(out);
    return out.toByteArray();
  }

  /** Data rows (header and the empty string after the final LF excluded). */
  private static List<String> rows() {
    return lines.subList(1, lines.size() - 1);
  }

  private static List<ClickEvent> validEvents() {
    CsvRecordParser parser = new CsvRecordParser(ClickstreamGenerator.HEADER);
    List<ClickEvent> events = new ArrayList<>();
    for (String row : rows()) {
      ParseOutcome o = parser.parse(row);
      if (o.isValid()) {
        events.add(o.event());
      }
    }
    return events;
  }

  @Test
  void sameSeedSameBytesOtherSeedOtherBytes() throws IOException {
    assertThat(generate(N, 42)).isEqualTo(bytes);
    assertThat(generate(N, 43)).isNotEqualTo(bytes);
  }

  @Test
  void headerLineEndsAndExactRowCount() throws IOException {
    assertThat(lines.get(0))
        .isEqualTo("event_time,event_type,product_id,category_id,category_code,brand,price,"
            + "user_id,user_session");
    assertThat(lines.get(lines.size() - 1)).as("file ends with LF").isEmpty();
    assertThat(new String(bytes, StandardCharsets.UTF_8)).doesNotContain("\r");
    assertThat(rows()).hasSize(N).noneMatch(String::isEmpty);
    assertThat(summary.rows()).isEqualTo(N);
    for (long n : new long[] {0, 1, 7, 1_000}) {
      String text = new String(generate(n, 3), StandardCharsets.UTF_8);
      assertThat(text.split("\n")).hasSize((int) n + 1);
    }
  }

  @Test
  void validRowsAreInTimeOrderWithTiesOverFiveMonths() {
    List<ClickEvent> events = validEvents();
    long ties = 0;
    long viewCartSameSecond = 0;
    for (int i = 1; i < events.size(); i++) {
      ClickEvent a = events.get(i - 1);
      ClickEvent b = events.get(i);
      assertThat(b.eventTime).as("row time order at valid row %d", i).isGreaterThanOrEqualTo(a.eventTime);
      if (a.eventTime == b.eventTime) {
        ties++;
        if (a.eventType == EventType.VIEW && b.eventType == EventType.CART
            && a.productId == b.productId && a.userSession.equals(b.userSession)) {
          viewCartSameSecond++;
        }
      }
    }
    assertThat(ties).isGreaterThan(100);
    assertThat(viewCartSameSecond).isGreaterThan(10);
    Instant first = Instant.ofEpochSecond(events.get(0).eventTime);
    Instant last = Instant.ofEpochSecond(events.get(events.size() - 1).eventTime);
    assertThat(first).isBetween(START, START.plus(Duration.ofHours(1)));
    assertThat(last).isBetween(START.plus(Duration.ofDays(150)), START.plus(Duration.ofDays(157)));
    assertThat(summary.firstEventTime()).isEqualTo(first);
    assertThat(summary.lastEventTime()).isEqualTo(last);
  }

  @Test
  void malformedRowsAreRejectedByTheRealParserAndAllOthersAreValid() {
    assertThat(summary.malformed()).isBetween((long) (N * 0.003), (long) (N * 0.007));
    assertThat(countRejected(rows(), new TreeSet<>())).isEqualTo(summary.malformed());
  }

  @Test
  void everyKindOfMalformedRowIsRejected() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    GenerationSummary dirty = ClickstreamGenerator.builder()
        .events(20_000).seed(5).malformedShare(0.2).build().writeTo(out);
    List<String> all = List.of(out.toString(StandardCharsets.UTF_8).split("\n"));
    Set<String> reasons = new TreeSet<>();
    assertThat(countRejected(all.subList(1, all.size()), reasons)).isEqualTo(dirty.malformed());
    assertThat(dirty.malformed()).isBetween(3_000L, 5_000L);
    assertThat(reasons).contains("malformed_csv", "bad_timestamp", "unknown_event_type",
        "bad_number:product_id", "bad_number:user_id", "bad_number:price", "negative_price",
        "missing_field:user_session", "not_positive:product_id", "not_positive:user_id");
  }

  private static long countRejected(List<String> rows, Set<String> reasons) {
    CsvRecordParser parser = new CsvRecordParser(ClickstreamGenerator.HEADER);
    long rejected = 0;
    for (String row : rows) {
      ParseOutcome o = parser.parse(row);
      if (!o.isValid()) {
        rejected++;
        reasons.add(o.reason());
      }
    }
    return rejected;
  }

  @Test
  void exactDuplicatesArePresentAndCounted() {
    assertThat(summary.duplicates()).isPositive();
    assertThat(countDuplicates(rows())[0]).isEqualTo(summary.duplicates());
  }

  @Test
  void duplicatesComeRightAfterOrAFewLinesLaterInTimeOrder() throws IOException {
    // a dense day: many rows share a second, so delayed copies have room without breaking order
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    GenerationSummary dense = ClickstreamGenerator.builder()
        .events(20_000).seed(9).days(1).duplicateShare(0.02).build().writeTo(out);
    List<String> all = List.of(out.toString(StandardCharsets.UTF_8).split("\n"));
    long[] counts = countDuplicates(all.subList(1, all.size()));
    assertThat(counts[0]).isEqualTo(dense.duplicates()).isBetween(200L, 600L);
    assertThat(counts[1]).as("right after").isPositive();
    assertThat(counts[0] - counts[1]).as("a few lines later").isPositive();
    CsvRecordParser parser = new CsvRecordParser(ClickstreamGenerator.HEADER);
    long last = Long.MIN_VALUE;
    for (String row : all.subList(1, all.size())) {
      ParseOutcome o = parser.parse(row);
      if (o.isValid()) {
        assertThat(o.event().eventTime).isGreaterThanOrEqualTo(last);
        last = o.event().eventTime;
      }
    }
  }

  /** {extra copies, extra copies right after their original}. */
  private static long[] countDuplicates(List<String> rows) {
    Map<String, Integer> seen = new HashMap<>();
    long extraCopies = 0;
    long adjacent = 0;
    for (int i = 0; i < rows.size(); i++) {
      if (seen.merge(rows.get(i), 1, Integer::sum) > 1) {
        extraCopies++;
        if (rows.get(i - 1).equals(rows.get(i))) {
          adjacent++;
        }
      }
    }
    return new long[] {extraCopies, adjacent};
  }

  @Test
  void emptyBrandAndCategoryShares() {
    List<ClickEvent> events = validEvents();
    long noBrand = events.stream().filter(e -> e.brand == null).count();
    long noCode = events.stream().filter(e -> e.categoryCode == null).count();
    assertThat((double) noBrand / events.size()).isBetween(0.18, 0.30);
    assertThat((double) noCode / events.size()).isBetween(0.21, 0.33);
  }

  @Test
  void productsKeepTheirAttributes() {
    Map<Long, String> attributes = new HashMap<>();
    for (ClickEvent e : validEvents()) {
      String a = e.categoryId + "|" + e.categoryCode + "|" + e.brand;
      assertThat(attributes.putIfAbsent(e.productId, a)).isIn(null, a);
    }
  }

  @Test
  void funnelSessionsAndUsers() {
    List<ClickEvent> events = validEvents();
    Set<String> cartedProducts = new HashSet<>();
    Map<String, Set<Long>> usersBySession = new HashMap<>();
    Map<String, long[]> sessionSpan = new HashMap<>();
    Map<Long, Integer> eventsByUser = new HashMap<>();
    Set<String> purchaseRows = new HashSet<>();
    long purchases = 0;
    long withoutCart = 0;
    long removes = 0;
    long tokens = 0;
    for (ClickEvent e : events) {
      String cart = e.userId + "|" + e.userSession;
      String cartProduct = cart + "|" + e.productId;
      usersBySession.computeIfAbsent(e.userSession, k -> new HashSet<>()).add(e.userId);
      sessionSpan.computeIfAbsent(cart, k -> new long[] {e.eventTime, e.eventTime})[1] = e.eventTime;
      eventsByUser.merge(e.userId, 1, Integer::sum);
      if (e.eventType == EventType.CART) {
        cartedProducts.add(cartProduct);
      } else if (e.eventType == EventType.REMOVE_FROM_CART) {
        removes++;
      } else if (e.eventType == EventType.PURCHASE && purchaseRows.add(e.eventId)) {
        purchases++;
        if (!cartedProducts.contains(cartProduct)) {
          withoutCart++;
        }
      }
    }
    for (String s : usersBySession.keySet()) {
      if (s.length() == 10) {
        tokens++;
      } else {
        assertThat(s).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
      }
    }
    assertThat(purchases).isEqualTo(summary.purchases()).isBetween(N / 200L, N / 20L);
    assertThat(withoutCart).isEqualTo(summary.purchasesWithoutCart())
        .isPositive().isLessThan(purchases / 3);
    assertThat(removes).isPositive();
    assertThat(tokens).isBetween(usersBySession.size() / 5L, usersBySession.size() / 2L);
    assertThat(usersBySession.values()).anyMatch(users -> users.size() == 2);
    long overADay = sessionSpan.values().stream().filter(s -> s[1] - s[0] > 86_400).count();
    long overThirtyDays =
        sessionSpan.values().stream().filter(s -> s[1] - s[0] > 30 * 86_400).count();
    assertThat(overADay).isPositive().isLessThan(sessionSpan.size() / 20L);
    assertThat(overThirtyDays).isPositive().isLessThan(overADay);
    assertThat(sessionSpan).hasSize((int) summary.sessions());
    // Zipf-like users: a heavy user has far more events than the median one
    assertThat(eventsByUser.values().stream().mapToInt(Integer::intValue).max().orElse(0))
        .isGreaterThan(50);
    assertThat(eventsByUser.values().stream().filter(c -> c > 5).count()).isPositive();
  }

  @Test
  void gzipOutputIsReadableAndHasTheSameContent(@TempDir Path dir) throws IOException {
    Path gz = dir.resolve("sub/events.csv.gz");
    GenerationSummary s = ClickstreamGenerator.builder().events(N).seed(42).build().writeTo(gz);
    assertThat(s).isEqualTo(summary);
    try (BufferedReader r = new BufferedReader(new InputStreamReader(
        new GZIPInputStream(Files.newInputStream(gz)), StandardCharsets.UTF_8))) {
      assertThat(r.lines().toList()).isEqualTo(lines.subList(0, lines.size() - 1));
    }
  }
}
