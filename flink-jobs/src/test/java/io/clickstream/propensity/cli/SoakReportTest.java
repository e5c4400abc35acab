package io.clickstream.propensity.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoakReportTest {
  @TempDir Path dir;

  /** Cart state that grows, then falls as carts expire; no checkpoint in the first samples. */
  private static List<SoakReport.Sample> samples() {
    List<SoakReport.Sample> out = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      boolean checkpointed = i >= 3;
      long cart = checkpointed ? (i < 15 ? i : 30 - i) * 1_000_000L : -1;
      out.add(new SoakReport.Sample(10.0 * (i + 1), 1_000L * i, i % 7 * 100L,
          checkpointed ? i / 3 : 0, checkpointed ? i / 3 : -1, checkpointed ? cart + 5_000_000 : -1,
          checkpointed ? 1_000 + i : -1, cart, checkpointed ? 2_000_000 : -1,
          checkpointed ? 3_000_000 : -1, 500L << 20, 100L << 20,
          1_600_000_000_000L + i * 86_400_000L, i == 0 ? 0 : 1_000, i == 0 ? -1 : 200 + i,
          i == 0 ? -1 : 2_000 + i));
    }
    return out;
  }

  @Test
  void csvHasTheHeaderAndOneRowPerSampleInOrder() throws Exception {
    Path csv = dir.resolve("out/soak.csv");
    SoakReport.startCsv(csv);
    List<SoakReport.Sample> samples = samples();
    for (SoakReport.Sample s : samples) {
      SoakReport.appendCsv(csv, s);
    }
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(samples.size() + 1);
    assertThat(lines.get(0)).isEqualTo(SoakReport.CSV_HEADER);
    int columns = SoakReport.CSV_HEADER.split(",").length;
    assertThat(lines.subList(1, lines.size())).allSatisfy(
        l -> assertThat(l.split(",", -1)).hasSize(columns));
    // row 5 (i = 4): elapsed 50 s, 4,000 in the topic, lag 400, cart state 4 MB, p99 2,004 ms
    String[] row = lines.get(5).split(",");
    assertThat(row[0]).isEqualTo("50.0");
    assertThat(row[1]).isEqualTo("4000");
    assertThat(row[2]).isEqualTo("400");
    assertThat(row[7]).isEqualTo("4000000");
    assertThat(row[15]).isEqualTo("2004");
    assertThat(lines.get(1).split(",")[5]).isEqualTo("-1"); // no checkpoint yet
  }

  @Test
  void pngIsAReadableChartOfAllPanels() throws Exception {
    Path png = dir.resolve("soak.png");
    SoakReport.writePng(samples(), "test", png);
    BufferedImage image = ImageIO.read(png.toFile());
    assertThat(image).isNotNull();
    assertThat(image.getWidth()).isEqualTo(1000);
    assertThat(image.getHeight()).isGreaterThan(900); // six stacked panels
    assertThat(Files.size(png)).isLessThan(300_000);
  }

  @Test
  void percentileIsNearestRank() {
    long[] v = new long[100];
    for (int i = 0; i < 100; i++) {
      v[i] = i + 1;
    }
    assertThat(SoakReport.percentile(v, 100, 0.5)).isEqualTo(50);
    assertThat(SoakReport.percentile(v, 100, 0.99)).isEqualTo(99);
    assertThat(SoakReport.percentile(v, 1, 0.99)).isEqualTo(1);
    assertThat(SoakReport.percentile(v, 0, 0.5)).isEqualTo(-1);
  }
}
