package io.clickstream.propensity.lakehouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.propensity.scoring.Score;
import io.clickstream.propensity.scoring.ScoreSerializer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.DataOperations;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.relocated.com.google.common.collect.Iterables;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stream that commits one small file per checkpoint, with the maintenance plan on: the table
 * must end up with fewer data files and fewer snapshots than the stream made commits, and its
 * history must show a compaction (a replace snapshot).
 */
class TableMaintenancePlanTest {
  private static final LakehouseTable TABLE = LakehouseTable.GOLD_SESSION_SCORES;

  @TempDir Path tmp;

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void maintenanceCompactsFilesAndExpiresSnapshotsOfAStreamedTable() throws Exception {
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("warehouse").toString());
    lakehouse.ensureTables(List.of(TABLE));

    Configuration conf = new Configuration();
    conf.set(CoreOptions.DEFAULT_PARALLELISM, 1);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.enableCheckpointing(300, CheckpointingMode.EXACTLY_ONCE);
    DataGeneratorSource<Score> source = new DataGeneratorSource<>(
        (GeneratorFunction<Long, Score>) TableMaintenancePlanTest::score, Long.MAX_VALUE,
        RateLimiterStrategy.perSecond(100), ScoreSerializer.TYPE);
    lakehouse.append(env.fromSource(source, WatermarkStrategy.noWatermarks(), "scores"),
        new TableRows.Scores(), TABLE);
    TableMaintenancePlan.builder()
        .rewriteEvery(3, Duration.ofHours(1))
        .minInputFiles(2)
        .expireEvery(3, Duration.ofHours(1))
        .retainSnapshots(Duration.ofMillis(1), 2)
        .rateLimit(Duration.ofMillis(500))
        .lockCheckDelay(Duration.ofMillis(500))
        .build()
        .addTo(env, lakehouse, List.of(TABLE));

    JobClient job = env.executeAsync("maintained-stream");
    Table table = lakehouse.load(TABLE);
    boolean sawCompaction = false;
    long commits = 0;
    int snapshots = 0;
    int dataFiles = 0;
    try {
      long deadline = System.currentTimeMillis() + 90_000;
      while (System.currentTimeMillis() < deadline) {
        table.refresh();
        Snapshot current = table.currentSnapshot();
        if (current != null) {
          // every commit (append or rewrite) takes the next sequence number of a v2 table
          commits = current.sequenceNumber();
          snapshots = Iterables.size(table.snapshots());
          dataFiles = liveDataFiles(table);
          for (Snapshot s : table.snapshots()) {
            sawCompaction |= DataOperations.REPLACE.equals(s.operation());
          }
          if (sawCompaction && commits >= 12 && snapshots < commits && dataFiles < commits / 2) {
            break;
          }
        }
        Thread.sleep(200);
      }
    } finally {
      job.cancel().get(30, TimeUnit.SECONDS);
    }

    assertThat(sawCompaction).as("a compaction (replace snapshot) in the table's history").isTrue();
    assertThat(commits).as("commits made").isGreaterThanOrEqualTo(12);
    assertThat(snapshots).as("snapshots kept after %d commits", commits).isLessThan((int) commits);
    assertThat(dataFiles).as("live data files after %d commits of one file each", commits)
        .isLessThan((int) (commits / 2));
    assertThat(rows(table)).as("compaction keeps every row").isGreaterThan(0);
  }

  @Test
  void disabledPlanAddsNothingAndBadSettingsFailWithTheirName() {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    TableMaintenancePlan.disabled().addTo(env, Lakehouse.at(tmp.toString()), List.of(TABLE));
    assertThat(env.getTransformations()).isEmpty();
    assertThat(TableMaintenancePlan.disabled().describe()).isEqualTo("table maintenance off");

    assertThatThrownBy(() -> TableMaintenancePlan.builder().rewriteEvery(0, Duration.ofHours(1)))
        .hasMessageContaining("rewrite commit count must be > 0");
    assertThatThrownBy(() -> TableMaintenancePlan.builder().jdbcLock("postgres://x", java.util.Map.of()))
        .hasMessageContaining("JDBC URL");
  }

  private static int liveDataFiles(Table table) throws Exception {
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      return Iterables.size(tasks);
    }
  }

  private static long rows(Table table) throws Exception {
    long n = 0;
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask t : tasks) {
        n += t.file().recordCount();
      }
    }
    return n;
  }

  /** One score per index, all on one day (one partition): one small file per checkpoint. */
  private static Score score(long i) {
    Score s = new Score();
    s.eventId = String.format("%032x", i);
    s.userId = 1 + i % 50;
    s.userSession = "session-" + (i % 50);
    s.productId = 100 + i % 7;
    s.eventTime = 1_601_510_400L + i;
    s.eventType = "view";
    s.counts = new int[20];
    s.propensity = 0.5;
    s.action = "none";
    s.modelName = "test";
    s.modelVersion = "1";
    s.ingestedAt = 0;
    s.scoredAt = 0;
    return s;
  }
}
