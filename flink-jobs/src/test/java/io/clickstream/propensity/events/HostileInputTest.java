package io.clickstream.propensity.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.testing.HostileCorpus;
import io.clickstream.propensity.testing.HostileCorpus.Case;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-input corpus (issue 12) through the two input formats: every CSV record and file
 * through the CSV file format, every Kafka value through the Kafka deserializer, each with the
 * outcome its manifest entry expects; every record comes out (none lost, none thrown).
 */
class HostileInputTest {
  @TempDir Path tmp;

  @Test
  void theCorpusIsBigEnough() {
    assertThat(HostileCorpus.csvRecords().size() + HostileCorpus.csvFiles().size()).isGreaterThanOrEqualTo(40);
    assertThat(HostileCorpus.jsonRecords()).hasSizeGreaterThanOrEqualTo(40);
  }

  @Test
  void everyCsvRecordOfTheCorpusGetsItsExpectedOutcome() throws Exception {
    List<Case> cases = HostileCorpus.csvRecords();
    Path file = tmp.resolve("corpus.csv");
    Files.write(file, HostileCorpus.csvFile(cases));
    List<IngestedRecord> records = read(file);
    assertThat(records).hasSize(cases.size());
    Set<String> ids = new HashSet<>();
    for (int i = 0; i < cases.size(); i++) {
      IngestedRecord r = records.get(i);
      assertThat(r.sourceOffset).isEqualTo(i + 2);
      assertOutcome(cases.get(i), cases.get(i).expected(), r, ids);
    }
  }

  @Test
  void everyCsvFileOfTheCorpusGetsItsExpectedOutcomes() throws Exception {
    for (Case c : HostileCorpus.csvFiles()) {
      Path file = tmp.resolve(c.id + ".csv");
      Files.write(file, c.bytes);
      List<IngestedRecord> records = read(file);
      assertThat(records).as(c.id).hasSize(c.expect.size());
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < records.size(); i++) {
        assertOutcome(c, c.expect.get(i), records.get(i), ids);
      }
    }
  }

  @Test
  void everyKafkaValueOfTheCorpusGetsItsExpectedOutcome() {
    KafkaClickstreamDeserializer d = new KafkaClickstreamDeserializer();
    Set<String> ids = new HashSet<>();
    long offset = 0;
    for (Case c : HostileCorpus.jsonRecords()) {
      List<IngestedRecord> out = new ArrayList<>();
      d.deserialize(new ConsumerRecord<>("t", 0, offset++, null, c.bytes), collector(out));
      assertThat(out).as(c.id).hasSize(1);
      assertOutcome(c, c.expected(), out.get(0), ids);
    }
  }

  @Test
  void anOversizedRecordKeepsItsHeadAndSizeAndALimitOfItsOwnApplies() {
    InputLimits limits = InputLimits.builder().maxRecordBytes(2048).build();
    KafkaClickstreamDeserializer d = new KafkaClickstreamDeserializer(limits);
    byte[] value = ("{\"pad\":\"" + "é".repeat(2000) + "\"}").getBytes(StandardCharsets.UTF_8);
    List<IngestedRecord> out = new ArrayList<>();
    d.deserialize(new ConsumerRecord<>("t", 0, 0L, null, value), collector(out));
    IngestedRecord r = out.get(0);
    assertThat(r.reason).isEqualTo("record_too_large");
    assertThat(r.raw).startsWith("{\"pad\":\"éé")
        .endsWith(IngestedRecord.truncationMark(value.length));
    assertThat(r.raw.getBytes(StandardCharsets.UTF_8).length)
        .isLessThanOrEqualTo(InputLimits.HEAD_BYTES + 3 + IngestedRecord.truncationMark(value.length).length());
    assertThat(r.detail).contains(Integer.toString(value.length)).contains("2048");
  }

  @Test
  void theEventTimeRangeAndTheFutureSkewAreLimitsOfTheirOwn() {
    InputLimits limits = InputLimits.builder()
        .minEventTime(java.time.Instant.parse("2019-10-01T00:00:00Z"))
        .maxEventTime(java.time.Instant.parse("2019-10-02T00:00:00Z"))
        .maxFutureSkew(java.time.Duration.ofMinutes(10)).build();
    long clock = java.time.Instant.parse("2019-10-01T12:00:00Z").toEpochMilli();
    assertThat(reason(limits, clock, "2019-09-30 23:59:59 UTC")).isEqualTo("event_time_out_of_range");
    assertThat(reason(limits, clock, "2019-10-01 00:00:00 UTC")).isNull();
    assertThat(reason(limits, clock, "2019-10-01 12:10:00 UTC")).isNull();
    assertThat(reason(limits, clock, "2019-10-01 12:10:01 UTC")).isEqualTo("event_time_in_future");
    assertThat(reason(limits, InputLimits.NO_CLOCK, "2019-10-01 23:59:59 UTC")).isNull();
    assertThat(reason(limits, InputLimits.NO_CLOCK, "2019-10-02 00:00:00 UTC")).isEqualTo("event_time_out_of_range");
  }

  private static String reason(InputLimits limits, long clock, String time) {
    String json = "{\"event_time\":\"" + time + "\",\"event_type\":\"view\",\"product_id\":1,"
        + "\"price\":1,\"user_id\":1,\"user_session\":\"s\"}";
    return JsonRecordParser.parse(json.getBytes(StandardCharsets.UTF_8), limits, clock).reason();
  }

  private static void assertOutcome(Case c, String expected, IngestedRecord r, Set<String> ids) {
    String what = c.id + " (" + c.why + "): " + r;
    if (expected.equals(HostileCorpus.VALID) || expected.equals(HostileCorpus.DUPLICATE)) {
      assertThat(r.isValid()).as(what).isTrue();
      assertThat(ids.add(r.event.eventId)).as("%s: a new event id", what)
          .isEqualTo(expected.equals(HostileCorpus.VALID));
    } else {
      assertThat(r.reason).as(what).isEqualTo(expected);
      assertThat(r.detail).as(what).isNotBlank();
    }
    if (c.mode.equals("csv-file")) {
      return;
    }
    if (c.bytes != null && c.bytes.length <= InputLimits.DEFAULT_MAX_RECORD_BYTES) {
      // bronze keeps the record as received (bytes that are not UTF-8 as U+FFFD)
      assertThat(r.raw).as(what).isEqualTo(new String(c.bytes, StandardCharsets.UTF_8));
    } else if (c.bytes != null) {
      assertThat(r.raw).as(what).endsWith(IngestedRecord.truncationMark(c.bytes.length))
          .startsWith(new String(c.bytes, 0, 100, StandardCharsets.UTF_8));
    } else {
      assertThat(r.raw).as(what).isNull();
    }
  }

  private static List<IngestedRecord> read(Path file) throws Exception {
    CsvClickstreamFormat format = new CsvClickstreamFormat(0, file.toString(), 42L);
    List<IngestedRecord> out = new ArrayList<>();
    try (StreamFormat.Reader<IngestedRecord> reader = format.createReader(new Configuration(),
        FileSystem.getLocalFileSystem().open(new org.apache.flink.core.fs.Path(file.toUri())))) {
      for (IngestedRecord r = reader.read(); r != null; r = reader.read()) {
        out.add(r);
      }
    }
    return out;
  }

  private static Collector<IngestedRecord> collector(List<IngestedRecord> out) {
    return new Collector<>() {
      @Override
      public void collect(IngestedRecord r) {
        out.add(r);
      }

      @Override
      public void close() {}
    };
  }
}
