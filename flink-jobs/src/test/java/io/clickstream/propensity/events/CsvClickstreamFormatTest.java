package io.clickstream.propensity.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Reading whole CSV files through the Flink stream format (docs/features.md, Input events). */
class CsvClickstreamFormatTest {
  static final java.nio.file.Path SAMPLE =
      io.clickstream.propensity.testing.Samples.reesHead();

  /** A local MiniCluster environment as the tests want it: no restarts, no Kryo fallback. */
  static StreamExecutionEnvironment localBatchEnvironment(int parallelism) {
    Configuration c = new Configuration();
    c.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    c.set(PipelineOptions.GENERIC_TYPES, false);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, c);
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    return env;
  }

  @TempDir java.nio.file.Path tmp;

  static List<IngestedRecord> readDirectly(java.nio.file.Path file, int fileIndex) throws IOException {
    CsvClickstreamFormat format = new CsvClickstreamFormat(fileIndex, file.toString(), 42L);
    List<IngestedRecord> out = new ArrayList<>();
    try (StreamFormat.Reader<IngestedRecord> reader = format.createReader(
        new Configuration(), FileSystem.getLocalFileSystem().open(new Path(file.toUri())))) {
      IngestedRecord r;
      while ((r = reader.read()) != null) {
        out.add(r);
      }
    }
    return out;
  }

  /** A comparable summary of a record: position, raw text and outcome. */
  static String summary(IngestedRecord r) {
    return r.sourceOrder + ":" + r.sourceOffset + "|" + r.raw + "|"
        + (r.isValid() ? r.event.eventId + "@" + r.event.sourceOrder + ":" + r.event.sourceOffset
            : r.reason);
  }

  @Test
  void realSampleFileGivesEveryLineAsOneRecordWithItsLineNumber() throws IOException {
    List<IngestedRecord> records = readDirectly(SAMPLE, 3);
    assertThat(records).hasSize(17_435);
    for (int i = 0; i < records.size(); i++) {
      IngestedRecord r = records.get(i);
      assertThat(r.sourceOffset).isEqualTo(i + 2L); // line 1 is the header
      assertThat(r.sourceOrder).isEqualTo(3);
      assertThat(r.source).isEqualTo(SAMPLE.toString());
      assertThat(r.ingestedAt).isEqualTo(42L);
      assertThat(r.raw).doesNotContain("\r").doesNotContain("\n");
      if (r.isValid()) {
        assertThat(r.event.sourceOrder).isEqualTo(3);
        assertThat(r.event.sourceOffset).isEqualTo(r.sourceOffset);
        assertThat(r.event.ingestedAt).isEqualTo(42L);
      }
    }
    // facts measured on the file (shared/data/README.md)
    List<IngestedRecord> valid = records.stream().filter(IngestedRecord::isValid).collect(Collectors.toList());
    assertThat(valid).hasSize(17_434);
    IngestedRecord last = records.get(records.size() - 1);
    assertThat(last.isValid()).isFalse();
    assertThat(last.reason).isEqualTo("malformed_csv");
    assertThat(last.sourceOffset).isEqualTo(17_436L);
    Map<EventType, Long> byType = valid.stream()
        .collect(Collectors.groupingBy(r -> r.event.eventType, TreeMap::new, Collectors.counting()));
    assertThat(byType).containsExactlyInAnyOrderEntriesOf(
        Map.of(EventType.VIEW, 17_055L, EventType.PURCHASE, 214L, EventType.CART, 165L));
    assertThat(valid.stream().map(r -> r.event.userId).distinct().count()).isEqualTo(4_504);
    assertThat(valid.stream().map(r -> r.event.userSession).distinct().count()).isEqualTo(5_066);
    assertThat(valid.stream().map(r -> r.event.userId + "/" + r.event.userSession).distinct().count())
        .isEqualTo(5_067);
    assertThat(valid.stream().map(r -> r.event.productId).distinct().count()).isEqualTo(6_493);
    assertThat(valid.stream().map(r -> r.event.categoryId).distinct().count()).isEqualTo(434);
    assertThat(valid.stream().filter(r -> r.event.price.signum() == 0).count()).isEqualTo(19);
    assertThat(valid.size() - valid.stream().map(r -> r.event.eventId).distinct().count())
        .as("extra copies of exact duplicates").isEqualTo(5);
    double emptyCode = valid.stream().filter(r -> r.event.categoryCode == null).count() / (double) valid.size();
    double emptyBrand = valid.stream().filter(r -> r.event.brand == null).count() / (double) valid.size();
    assertThat(emptyCode).isBetween(0.3295, 0.3297);
    assertThat(emptyBrand).isBetween(0.1420, 0.1422);
    assertThat(valid.get(0).event.eventTime)
        .isEqualTo(java.time.Instant.parse("2019-10-01T00:00:00Z").getEpochSecond());
  }

  @Test
  void emptyLinesAreSkippedButCountInLineNumbersAndLfOrCrlfBothWork() throws IOException {
    String header = "user_session,event_type,event_time,product_id,category_id,category_code,brand,price,user_id";
    String r1 = "s1,view,2020-09-24 11:57:06 UTC,1,2,a.b,x,1.50,7";
    String r2 = "s1,cart,2020-09-24 11:57:07 UTC,1,2,,,1.50,7";
    String r3 = "s2,purchase,2020-09-24T11:57:08Z,1,,,\"y,z\",0,8";
    for (String eol : new String[] {"\n", "\r\n"}) {
      java.nio.file.Path f = tmp.resolve("eol" + eol.length() + ".csv");
      Files.writeString(f, "\uFEFF" + header + eol + r1 + eol + eol + eol + r2 + eol + "too,few" + eol
          + r3 + eol + eol, StandardCharsets.UTF_8);
      List<IngestedRecord> records = readDirectly(f, 0);
      assertThat(records).extracting(r -> r.sourceOffset).containsExactly(2L, 5L, 6L, 7L);
      assertThat(records).extracting(r -> r.raw).containsExactly(r1, r2, "too,few", r3);
      assertThat(records).extracting(r -> r.reason).containsExactly(null, null, "malformed_csv", null);
      assertThat(records.get(0).event.userSession).isEqualTo("s1");
      assertThat(records.get(0).event.userId).isEqualTo(7L);
      assertThat(records.get(1).event.categoryCode).isNull();
      assertThat(records.get(3).event.brand).isEqualTo("y,z");
      assertThat(records.get(3).event.userId).isEqualTo(8L);
    }
  }

  @Test
  void headerOnlyOrEmptyFileHasNoRecords() throws IOException {
    java.nio.file.Path headerOnly = tmp.resolve("h.csv");
    Files.writeString(headerOnly, CsvRecordParserTest.HEADER + "\r\n");
    java.nio.file.Path empty = tmp.resolve("e.csv");
    Files.writeString(empty, "");
    assertThat(readDirectly(headerOnly, 0)).isEmpty();
    assertThat(readDirectly(empty, 0)).isEmpty();
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void gzipFileThroughFileSourceGivesTheSameRecords() throws Exception {
    java.nio.file.Path gz = tmp.resolve("sample.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      Files.copy(SAMPLE, out);
    }
    StreamExecutionEnvironment env = localBatchEnvironment(2);
    FileSource<IngestedRecord> source = FileSource
        .forRecordStreamFormat(new CsvClickstreamFormat(1, "sample.csv.gz", 42L), new Path(gz.toUri()))
        .build();
    List<IngestedRecord> viaFlink = new ArrayList<>();
    try (var it = env.fromSource(source, WatermarkStrategy.noWatermarks(), "gz").executeAndCollect()) {
      it.forEachRemaining(viaFlink::add);
    }
    List<String> expected = readDirectly(SAMPLE, 1).stream().map(CsvClickstreamFormatTest::summary)
        .collect(Collectors.toList());
    List<String> actual = viaFlink.stream()
        .sorted(Comparator.comparingLong(r -> r.sourceOffset))
        .map(CsvClickstreamFormatTest::summary)
        .collect(Collectors.toList());
    assertThat(actual).hasSize(17_435);
    assertThat(actual).containsExactlyElementsOf(expected);
    Set<Long> offsets = new HashSet<>();
    viaFlink.forEach(r -> offsets.add(r.sourceOffset));
    assertThat(offsets).hasSize(17_435);
  }
}
