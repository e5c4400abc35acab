package io.clickstream.propensity.kafka;

import static io.clickstream.propensity.testing.EmbeddedKafka.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.propensity.cli.ClickstreamCli;
import io.clickstream.propensity.events.CsvRecordParser;
import io.clickstream.propensity.events.JsonRecordParser;
import io.clickstream.propensity.events.ParseOutcome;
import io.clickstream.propensity.events.RejectReason;
import io.clickstream.propensity.testing.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** Replay of a CSV file to a real (embedded) broker: order, keys, payloads, pacing. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaReplayTest {
  @RegisterExtension static final EmbeddedKafka KAFKA = new EmbeddedKafka();
  @TempDir Path tmp;

  static final ObjectMapper MAPPER = new ObjectMapper();
  static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
  static final String HEADER =
      "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session";

  // file line number -> text; out of order, with ties and four kinds of invalid rows
  static final Map<Integer, String> LINES = Map.ofEntries(
      Map.entry(2, "2019-10-01 00:00:05 UTC,view,1,10,electronics.smartphone,apple,35.80,100,s1"),
      Map.entry(3, "2019-10-01 00:00:01 UTC,view,2,,,,1.5,100,s1"),
      Map.entry(4, "2019-10-01 00:00:05 UTC,cart,1,10,electronics.smartphone,apple,35.80,100,s1"),
      Map.entry(5, "2019-10-01 00:00:03 UTC,view,3,,,samsung,10,200,s2"),
      Map.entry(6, "2019-10-01 00:00:05 UTC,purchase,1,10,,apple,35.8,100,s1"),
      Map.entry(7, "2019-10-01 00:00:02 UTC,view,4,,,,5,200,s2"),
      Map.entry(8, "2019-10-01 00:00:04 UTC,bogus,5,,,,5,200,s2"), // unknown_event_type
      Map.entry(9, "2019-10-01 00:00:00,view,6,,,,5,300,s3"), // bad_timestamp: sorts as line 8
      Map.entry(10, "2019-10-01 00:00:06 UTC,view,7"), // malformed_csv, no user_id: null key
      Map.entry(12, "2019-10-01 00:00:00 UTC,view,8,,,,-1,100,s1")); // negative_price
  /** Canonical order: (event time, line); invalid rows by their own time or the previous row's. */
  static final List<Integer> CANONICAL = List.of(12, 3, 7, 5, 8, 9, 2, 4, 6, 10);
  static final Map<Integer, String> KEYS = new HashMap<>(Map.of(
      2, "100", 3, "100", 4, "100", 5, "200", 6, "100", 7, "200", 8, "200", 9, "300", 12, "100"));

  static {
    KEYS.put(10, null);
  }

  Path csv() throws Exception {
    StringBuilder sb = new StringBuilder(HEADER).append("\r\n"); // CRLF works too
    for (int line = 2; line <= 12; line++) {
      sb.append(LINES.getOrDefault(line, "")).append("\r\n"); // line 11 is empty: not a record
    }
    Path f = tmp.resolve("events.csv");
    Files.writeString(f, sb.toString());
    return f;
  }

  Replay.Options options(Path input, String topic) {
    Replay.Options o = new Replay.Options();
    o.input = input;
    o.bootstrapServers = KAFKA.bootstrapServers();
    o.topic = topic;
    return o;
  }

  /** The file line a consumed record came from: by event_id for JSON, by text for raw lines. */
  static int sourceLine(ConsumerRecord<byte[], byte[]> r) {
    ParseOutcome json = JsonRecordParser.parse(r.value());
    CsvRecordParser csv = new CsvRecordParser(HEADER);
    for (Map.Entry<Integer, String> e : LINES.entrySet()) {
      ParseOutcome row = csv.parse(e.getValue());
      if (json.isValid() ? row.isValid() && row.event().eventId.equals(json.event().eventId)
          : e.getValue().equals(string(r.value()))) {
        return e.getKey();
      }
    }
    throw new AssertionError("record not from the file: " + string(r.value()));
  }

  @Test
  void landsKeyedByUserInCanonicalOrderPerPartition() throws Exception {
    KAFKA.createTopic("replay-order", 3);
    Replay.Summary s = new Replay(options(csv(), "replay-order")).run(QUIET);

    assertThat(s.sent()).isEqualTo(10);
    assertThat(s.invalidSentRaw()).isEqualTo(4);
    List<ConsumerRecord<byte[], byte[]>> got =
        KAFKA.consume("replay-order", 10, Duration.ofSeconds(30));
    assertThat(got).hasSize(10);

    Map<Integer, List<Integer>> linesByPartition = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : got) { // sorted by (partition, offset)
      int line = sourceLine(r);
      assertThat(string(r.key())).as("key of line %d", line).isEqualTo(KEYS.get(line));
      linesByPartition.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(line);
    }
    assertThat(linesByPartition.values().stream().flatMap(List::stream))
        .containsExactlyInAnyOrderElementsOf(CANONICAL);
    linesByPartition.forEach((partition, lines) ->
        assertThat(lines).as("partition %d in canonical order", partition)
            .isEqualTo(CANONICAL.stream().filter(lines::contains).collect(Collectors.toList())));
  }

  @Test
  void validRowsAreJsonWithTheCsvEventIdInvalidRowsRawAndRejectedAsMalformedJson()
      throws Exception {
    KAFKA.createTopic("replay-payload", 1);
    new Replay(options(csv(), "replay-payload")).run(QUIET);
    List<ConsumerRecord<byte[], byte[]>> got =
        KAFKA.consume("replay-payload", 10, Duration.ofSeconds(30));
    assertThat(got).extracting(KafkaReplayTest::sourceLine).containsExactlyElementsOf(CANONICAL);

    CsvRecordParser csv = new CsvRecordParser(HEADER);
    for (ConsumerRecord<byte[], byte[]> r : got) {
      String line = LINES.get(sourceLine(r));
      ParseOutcome fromCsv = csv.parse(line);
      ParseOutcome fromKafka = JsonRecordParser.parse(r.value());
      if (fromCsv.isValid()) {
        assertThat(fromKafka.isValid()).as(string(r.value())).isTrue();
        assertThat(fromKafka.event().eventId).isEqualTo(fromCsv.event().eventId);
      } else {
        assertThat(string(r.value())).isEqualTo(line);
        assertThat(fromKafka.reason()).isEqualTo(RejectReason.MALFORMED_JSON);
      }
    }

    JsonNode first = MAPPER.readTree(got.get(1).value()); // line 3: empty optional fields
    assertThat(first.get("event_time").textValue()).isEqualTo("2019-10-01 00:00:01 UTC");
    assertThat(first.get("category_id").isNull()).isTrue();
    assertThat(first.get("brand").isNull()).isTrue();
    assertThat(first.get("price").isNumber()).isTrue();
    assertThat(first.get("product_id").isIntegralNumber()).isTrue();
    assertThat(first.get("user_id").asLong()).isEqualTo(100);
    assertThat(first.get("ingest_ts").asLong())
        .isBetween(System.currentTimeMillis() - 60_000, System.currentTimeMillis());
  }

  @Test
  void speedCompressesEventTime() throws Exception {
    KAFKA.createTopic("replay-speed", 1);
    Replay.Options o = options(csv(), "replay-speed");
    o.speed = 3.0; // events span 6 s of event time: at least 2 s of wall time
    Replay.Summary s = new Replay(o).run(QUIET);

    assertThat(s.elapsedMillis()).isGreaterThanOrEqualTo(1990);
    List<ConsumerRecord<byte[], byte[]>> got =
        KAFKA.consume("replay-speed", 10, Duration.ofSeconds(30));
    JsonNode atOne = MAPPER.readTree(got.get(1).value()); // event time 00:00:01
    JsonNode atFive = MAPPER.readTree(got.get(8).value()); // event time 00:00:05
    assertThat(atFive.get("ingest_ts").asLong() - atOne.get("ingest_ts").asLong())
        .isGreaterThanOrEqualTo(4000 / 3 - 10);
  }

  @Test
  void rateLimitsRecordsPerSecond() throws Exception {
    KAFKA.createTopic("replay-rate", 1);
    Replay.Options o = options(csv(), "replay-rate");
    o.rate = 9.0; // 10 records: the last one is due 1 s after the first
    Replay.Summary s = new Replay(o).run(QUIET);

    assertThat(s.sent()).isEqualTo(10);
    assertThat(s.elapsedMillis()).isGreaterThanOrEqualTo(990);
  }

  @Test
  void stampNowReplacesEventTimeBySendTime() throws Exception {
    KAFKA.createTopic("replay-stamp", 1);
    Replay.Options o = options(csv(), "replay-stamp");
    o.stampNow = true;
    long before = System.currentTimeMillis() / 1000;
    new Replay(o).run(QUIET);
    long after = System.currentTimeMillis() / 1000;

    List<ConsumerRecord<byte[], byte[]>> got =
        KAFKA.consume("replay-stamp", 10, Duration.ofSeconds(30));
    ParseOutcome p = JsonRecordParser.parse(got.get(1).value());
    assertThat(p.isValid()).isTrue();
    assertThat(p.event().eventTime).isBetween(before, after);
    assertThat(MAPPER.readTree(got.get(1).value()).get("event_time").textValue()).endsWith(" UTC");
  }

  @Test
  void gzipInputLimitAndTimeRange() throws Exception {
    Path gz = tmp.resolve("events.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      out.write(Files.readAllBytes(csv()));
    }
    Replay.Loaded file = Replay.load(gz);
    assertThat(file.size()).isEqualTo(10);
    assertThat(file.invalidCount()).isEqualTo(4);
    List<Integer> lineOf = List.of(2, 3, 4, 5, 6, 7, 8, 9, 10, 12); // record index -> file line
    assertThat(toLines(file.canonicalOrder(), lineOf)).containsExactlyElementsOf(CANONICAL);

    long t1 = io.clickstream.propensity.events.EventFields.parseEventTime("2019-10-01T00:00:01Z");
    assertThat(toLines(file.selection(t1, t1 + 4, -1), lineOf)).containsExactly(3, 7, 5, 8, 9);
    assertThat(toLines(file.selection(null, null, 3), lineOf)).containsExactly(12, 3, 7);
  }

  static List<Integer> toLines(int[] order, List<Integer> lineOf) {
    List<Integer> out = new ArrayList<>();
    for (int i : order) {
      out.add(lineOf.get(i));
    }
    return out;
  }

  @Test
  void commandLinePrintsOnlyTheSummaryOnStdout() throws Exception {
    KAFKA.createTopic("replay-cli", 2);
    PrintStream original = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = ClickstreamCli.run("replay", "--input", csv().toString(), "--bootstrap-servers",
          KAFKA.bootstrapServers(), "--topic", "replay-cli", "--limit", "4",
          "--kafka-property", "compression.type=zstd", "--kafka-property", "linger.ms=1");
    } finally {
      System.setOut(original);
    }
    assertThat(code).isEqualTo(0);
    assertThat(buf.toString(StandardCharsets.UTF_8).lines())
        .hasSize(3)
        .element(1).isEqualTo("Sent: 4 records (3 events, 1 invalid sent raw)");
    assertThat(KAFKA.consume("replay-cli", 4, Duration.ofSeconds(30))).hasSize(4);
  }

  @Test
  void badOptionsAreRefusedWithAMessage() {
    Replay.Options o = options(tmp.resolve("missing.csv"), "x");
    o.speed = 0.0;
    assertThatThrownBy(() -> new Replay(o)).hasMessage("replay speed must be > 0, got 0.0");
    o.speed = null;
    assertThatThrownBy(() -> new Replay(o).run(QUIET)).hasMessageContaining("is not a file");
  }
}
