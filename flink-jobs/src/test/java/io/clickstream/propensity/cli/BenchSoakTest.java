package io.clickstream.propensity.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.clickstream.propensity.kafka.LocalKafkaBroker;
import io.clickstream.propensity.testing.ModuleLib;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * `bench soak` end to end, short: a broker process, the streaming job with table maintenance,
 * the replay and the sampler; the CSV and PNG it promises come out with the job scoring.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class BenchSoakTest {
  @TempDir Path tmp;

  @Test
  void aShortSoakSamplesTheScoringJobAndPlotsIt() throws Exception {
    Path lib = LocalKafkaBroker.configuredLib().orElse(null);
    assumeTrue(lib != null, "no Kafka broker classpath configured (run through Maven)");
    ModuleLib.ensure(lib);
    Path out = tmp.resolve("out");
    StartupChecksTest.Result run = StartupChecksTest.run(List.of("bench", "soak",
        "--minutes", "0.75", "--rate", "200", "--sample-interval", "5s", "--days", "2",
        "--checkpoint-interval", "3s", "--model", CliTest.repoFile("model-artifacts").toString(),
        "--out", out.toString(), "--work-dir", tmp.resolve("work").toString()));
    assertThat(run.code()).as(run.stderr()).isZero();

    List<String> lines = Files.readAllLines(out.resolve("soak.csv"), StandardCharsets.UTF_8);
    assertThat(lines.get(0)).isEqualTo(SoakReport.CSV_HEADER);
    List<String> header = Arrays.asList(SoakReport.CSV_HEADER.split(","));
    List<String[]> rows = lines.subList(1, lines.size()).stream().map(l -> l.split(",", -1)).toList();
    // 45 s sampled every 5 s; a sample can be skipped when the machine is slow
    assertThat(rows).hasSizeGreaterThanOrEqualTo(4);
    String[] last = rows.get(rows.size() - 1);
    assertThat(Long.parseLong(last[header.indexOf("events_in_topic")])).as("events sent").isPositive();
    assertThat(Long.parseLong(last[header.indexOf("checkpoints_completed")]))
        .as("checkpoints completed").isPositive();
    long scored = rows.stream().mapToLong(r -> Long.parseLong(r[header.indexOf("scored")])).sum();
    assertThat(scored).as("scores read back over the run").isPositive();
    assertThat(ImageIO.read(out.resolve("soak.png").toFile())).as("soak.png").isNotNull();
    assertThat(run.stdout()).contains("bench soak:");
  }
}
