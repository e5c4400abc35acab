package io.clickstream.propensity.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.propensity.events.IngestedRecord;
import io.clickstream.propensity.events.serde.PipelineSerializers;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.lakehouse.TableReplacement;
import io.clickstream.propensity.lakehouse.TableRows;
import io.clickstream.propensity.lakehouse.Writer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.Table;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backfill replaces each table in one commit, leaves the old content when it fails, and does not
 * silently delete what a stream wrote.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class BackfillReplacementTest {
  private static final String HEADER =
      "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session\n";
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

  @TempDir Path tmp;

  private static Configuration conf() {
    Configuration conf = new Configuration();
    conf.set(CoreOptions.DEFAULT_PARALLELISM, 1);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    return conf;
  }

  private Path csv(String name, String... lines) throws Exception {
    return Files.writeString(tmp.resolve(name), HEADER + String.join("\n", lines) + "\n");
  }

  private static BackfillJob.Builder backfill(Lakehouse lakehouse, Path... inputs) {
    return BackfillJob.builder().lakehouse(lakehouse).ingestedAt(1_700_000_000_000L)
        .inputs(java.util.Arrays.stream(inputs).map(Path::toString).toList());
  }

  private static Map<LakehouseTable, Long> counts(Lakehouse lakehouse) {
    Map<LakehouseTable, Long> out = new HashMap<>();
    for (LakehouseTable t : BackfillJob.TABLES) {
      out.put(t, BackfillReport.rowCount(lakehouse.load(t)));
    }
    return out;
  }

  private static List<String> stagingBranches(Lakehouse lakehouse) {
    return BackfillJob.TABLES.stream()
        .flatMap(t -> lakehouse.load(t).refs().keySet().stream())
        .filter(b -> b.startsWith(TableReplacement.BRANCH_PREFIX))
        .toList();
  }

  @Test
  void replacesEachTableInOneCommitAndAFailedRunKeepsTheOldContent() throws Exception {
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh").toString());
    Path first = csv("first.csv",
        "2020-10-01 10:00:00 UTC,view,1,10,,acme,10.00,100,s1",
        "2020-10-01 10:01:00 UTC,cart,1,10,,acme,10.00,100,s1",
        "2020-10-01 10:02:00 UTC,view,2,10,,acme,5.00,101,s2",
        "not,a,row");
    backfill(lakehouse, first).build().run(BackfillJob.batchEnvironment(conf()), "first", QUIET);
    Map<LakehouseTable, Long> old = counts(lakehouse);
    assertThat(old.get(LakehouseTable.BRONZE_RAW)).isEqualTo(4);
    assertThat(old.get(LakehouseTable.SILVER_EVENTS)).isEqualTo(3);
    assertThat(old.get(LakehouseTable.SILVER_REJECTED)).isEqualTo(1);

    // a run whose second input disappears after it was planned: the job fails midway
    Path second = csv("second.csv", "2020-10-02 09:00:00 UTC,view,3,10,,acme,1.00,102,s3");
    Path vanishing = csv("vanishing.csv", "2020-10-02 09:00:00 UTC,view,4,10,,acme,1.00,103,s4");
    BackfillJob failing = backfill(lakehouse, second, vanishing).build();
    StreamExecutionEnvironment env = BackfillJob.batchEnvironment(conf());
    failing.prepareTables();
    failing.addTo(env);
    // prepared and staged: readers still see the old content, not an empty table
    assertThat(counts(lakehouse)).isEqualTo(old);
    Files.delete(vanishing);
    assertThatThrownBy(() -> env.execute("failing")).isInstanceOf(Exception.class);
    failing.abandon();
    assertThat(counts(lakehouse)).isEqualTo(old);
    assertThat(stagingBranches(lakehouse)).isEmpty();

    // a run that succeeds moves each table's current snapshot exactly once
    Map<LakehouseTable, Integer> history = new HashMap<>();
    BackfillJob.TABLES.forEach(t -> history.put(t, lakehouse.load(t).history().size()));
    backfill(lakehouse, second).build().run(BackfillJob.batchEnvironment(conf()), "second", QUIET);
    for (LakehouseTable t : BackfillJob.TABLES) {
      assertThat(lakehouse.load(t).history()).as(t.qualifiedName()).hasSize(history.get(t) + 1);
    }
    assertThat(counts(lakehouse).get(LakehouseTable.BRONZE_RAW)).isEqualTo(1);
    assertThat(counts(lakehouse).get(LakehouseTable.SILVER_REJECTED)).isZero();
    assertThat(stagingBranches(lakehouse)).isEmpty();
  }

  @Test
  void refusesToReplaceWhatAStreamWroteUnlessTold() throws Exception {
    Path wh = tmp.resolve("wh");
    Path input = csv("in.csv",
        "2020-10-01 10:00:00 UTC,view,1,10,,acme,10.00,100,s1",
        "2020-10-01 10:01:00 UTC,cart,1,10,,acme,10.00,100,s1");
    backfill(Lakehouse.at(wh.toString()), input).build()
        .run(BackfillJob.batchEnvironment(conf()), "first", QUIET);

    // rows written through the sinks the streaming job uses, marked as its writes
    Lakehouse streaming = Lakehouse.at(wh.toString()).markWrites(Writer.STREAM);
    IngestedRecord r = new IngestedRecord();
    r.source = "clickstream-events";
    r.raw = "{}";
    r.ingestedAt = 1_700_000_001_000L;
    StreamExecutionEnvironment senv = BackfillJob.batchEnvironment(conf());
    streaming.append(senv.fromData(PipelineSerializers.INGESTED_RECORD, r),
        new TableRows.Bronze(), LakehouseTable.BRONZE_RAW);
    senv.execute("stream-like-writes");
    Lakehouse lakehouse = Lakehouse.at(wh.toString());
    assertThat(BackfillReport.rowCount(lakehouse.load(LakehouseTable.BRONZE_RAW))).isEqualTo(3);
    assertThat(TableReplacement.streamedSinceLastBackfill(lakehouse.load(LakehouseTable.BRONZE_RAW)))
        .isTrue();
    assertThat(TableReplacement.streamedSinceLastBackfill(lakehouse.load(LakehouseTable.SILVER_EVENTS)))
        .isFalse();

    assertThatThrownBy(() -> backfill(lakehouse, input).build()
            .run(BackfillJob.batchEnvironment(conf()), "refused", QUIET))
        .isInstanceOf(TableReplacement.StreamedDataException.class)
        .hasMessageContaining("bronze.clickstream_raw")
        .hasMessageNotContaining("silver.clickstream_events");
    assertThat(BackfillReport.rowCount(lakehouse.load(LakehouseTable.BRONZE_RAW))).isEqualTo(3);

    backfill(lakehouse, input).replaceStreamedData(true).build()
        .run(BackfillJob.batchEnvironment(conf()), "told", QUIET);
    Table bronze = lakehouse.load(LakehouseTable.BRONZE_RAW);
    assertThat(BackfillReport.rowCount(bronze)).isEqualTo(2);
    assertThat(bronze.currentSnapshot().summary()).containsEntry(Writer.PROPERTY, "backfill");
    assertThat(TableReplacement.streamedSinceLastBackfill(bronze)).isFalse();
  }
}
