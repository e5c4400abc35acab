package io.clickstream.propensity.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.features.FeatureSet;
import io.clickstream.propensity.jobs.FeaturePipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.runtime.SavepointLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** `bootstrap`: the warm-start savepoint from the tables, its path as the last stdout line. */
@Timeout(value = 420, unit = TimeUnit.SECONDS)
class BootstrapCommandTest {
  static final String CSV = String.join("\n",
      "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session",
      "2019-10-01 00:00:01 UTC,view,100,7,,acme,10.00,1,s1",
      "2019-10-01 00:00:05 UTC,cart,100,7,,acme,10.00,1,s1",
      "2019-10-01 00:01:00 UTC,view,200,7,,acme,20.00,2,s2",
      "2019-10-02 00:00:09 UTC,view,100,7,,acme,10.00,2,s3",
      "2019-10-02 00:00:10 UTC,purchase,100,7,,acme,10.00,1,s1",
      "");

  @TempDir Path tmp;

  @Test
  void writesTheWarmStartSavepointOfTheBackfilledTables() throws Exception {
    String warehouse = tmp.resolve("warehouse").toString();
    String savepoints = tmp.resolve("savepoints").toString();

    Object[] empty = CliTest.run("bootstrap", "--warehouse", warehouse, "--savepoint-dir", savepoints);
    assertThat(empty[0]).as("nothing to bootstrap from").isEqualTo(2);

    Path csv = Files.writeString(tmp.resolve("events.csv"), CSV);
    assertThat(CliTest.run("backfill", "--input", csv.toString(), "--warehouse", warehouse,
        "-p", "1")[0]).isEqualTo(0);
    Object[] r = CliTest.run("bootstrap", "--warehouse", warehouse, "--savepoint-dir", savepoints);
    assertThat(r[0]).isEqualTo(0);
    String path = lastLine((String) r[1]);
    assertThat(path).startsWith("file:").contains(tmp.resolve("savepoints").toString() + "/silver-");
    assertThat(Path.of(java.net.URI.create(path)).resolve("_metadata")).isRegularFile();

    // the state of each streaming feature stage, under the uid the streaming job restores it from
    CheckpointMetadata metadata = SavepointLoader.loadSavepointMetadata(path);
    for (FeatureSet stage : List.of(FeatureSet.CART, FeatureSet.USER, FeatureSet.PRODUCT)) {
      OperatorState state = metadata.getOperatorStates().stream()
          .filter(s -> s.getOperatorID().equals(
              OperatorIdentifier.forUid(FeaturePipeline.stageUid(stage)).getOperatorId()))
          .findFirst().orElseThrow(() -> new AssertionError("no state for " + stage));
      assertThat(state.getStateSize()).as(stage.name()).isPositive();
      assertThat(state.getMaxParallelism()).isEqualTo(128);
    }

    // same snapshot and TTLs: the same savepoint, reused
    Object[] again = CliTest.run("bootstrap", "--warehouse", warehouse, "--savepoint-dir", savepoints);
    assertThat(again[0]).isEqualTo(0);
    assertThat(lastLine((String) again[1])).isEqualTo(path);
  }

  static String lastLine(String out) {
    List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines).isNotEmpty();
    return lines.get(lines.size() - 1);
  }
}
