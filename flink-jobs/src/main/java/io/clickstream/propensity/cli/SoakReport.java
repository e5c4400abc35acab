package io.clickstream.propensity.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** The samples of a soak run as CSV (one row per sample) and as a PNG of stacked panels. */
final class SoakReport {
  static final String CSV_HEADER = "elapsed_s,events_in_topic,consumer_lag,checkpoints_completed,"
      + "checkpoint_id,checkpoint_state_bytes,checkpoint_duration_ms,state_cart_bytes,"
      + "state_user_bytes,state_product_bytes,heap_used_bytes,heap_after_gc_bytes,"
      + "watermark_epoch_ms,scored,latency_p50_ms,latency_p99_ms";
  private static final int WIDTH = 1000;
  private static final int PANEL_HEIGHT = 150;
  private static final double MIB = 1024.0 * 1024.0;

  static {
    // charts are files: never try to open a display (CI, servers)
    System.setProperty("java.awt.headless", "true");
  }

  /**
   * One sample. Checkpoint figures are of the latest completed checkpoint (-1 before the first);
   * state per stage is that checkpoint's state of the feature stage's vertex; scored and latency
   * cover the scores received since the previous sample (latency -1 when none).
   */
  record Sample(double elapsedSeconds, long eventsInTopic, long consumerLag,
      long checkpointsCompleted, long checkpointId, long checkpointStateBytes,
      long checkpointDurationMillis, long cartStateBytes, long userStateBytes,
      long productStateBytes, long heapUsedBytes, long heapAfterGcBytes, long watermarkMillis,
      long scored, long latencyP50Millis, long latencyP99Millis) {

    String csv() {
      return String.join(",", String.format(Locale.ROOT, "%.1f", elapsedSeconds),
          Long.toString(eventsInTopic), Long.toString(consumerLag),
          Long.toString(checkpointsCompleted), Long.toString(checkpointId),
          Long.toString(checkpointStateBytes), Long.toString(checkpointDurationMillis),
          Long.toString(cartStateBytes), Long.toString(userStateBytes),
          Long.toString(productStateBytes), Long.toString(heapUsedBytes),
          Long.toString(heapAfterGcBytes), Long.toString(watermarkMillis), Long.toString(scored),
          Long.toString(latencyP50Millis), Long.toString(latencyP99Millis));
    }
  }

  private SoakReport() {}

  /** Starts the CSV (header only), replacing an older file. */
  static void startCsv(Path csv) throws IOException {
    Files.createDirectories(csv.toAbsolutePath().getParent());
    Files.writeString(csv, CSV_HEADER + "\n", StandardCharsets.UTF_8);
  }

  /** Appends one row, so a run that dies still leaves its samples. */
  static void appendCsv(Path csv, Sample s) throws IOException {
    try (BufferedWriter w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8,
        StandardOpenOption.APPEND)) {
      w.write(s.csv());
      w.write('\n');
    }
  }

  /** Stacked panels over one time axis (minutes since the start). */
  static void writePng(List<Sample> samples, String title, Path png) throws IOException {
    NumberAxis time = new NumberAxis("minutes since start");
    CombinedDomainXYPlot plot = new CombinedDomainXYPlot(time);
    plot.setGap(6);
    plot.add(panel(samples, "state MiB",
        new Series("checkpoint total", s -> s.checkpointStateBytes < 0 ? Double.NaN
            : s.checkpointStateBytes / MIB),
        new Series("cart stage", s -> s.cartStateBytes < 0 ? Double.NaN : s.cartStateBytes / MIB),
        new Series("user stage", s -> s.userStateBytes < 0 ? Double.NaN : s.userStateBytes / MIB),
        new Series("product stage",
            s -> s.productStateBytes < 0 ? Double.NaN : s.productStateBytes / MIB)), 2);
    plot.add(panel(samples, "checkpoint s",
        new Series("checkpoint duration", s -> s.checkpointDurationMillis < 0 ? Double.NaN
            : s.checkpointDurationMillis / 1000.0)), 1);
    plot.add(panel(samples, "heap MiB",
        new Series("heap used", s -> s.heapUsedBytes / MIB),
        new Series("heap after last GC", s -> s.heapAfterGcBytes / MIB)), 1);
    plot.add(panel(samples, "lag records",
        new Series("consumer lag (committed offsets)",
            s -> s.consumerLag < 0 ? Double.NaN : s.consumerLag)), 1);
    plot.add(panel(samples, "latency s",
        new Series("ingest-to-score p50", s -> s.latencyP50Millis < 0 ? Double.NaN
            : s.latencyP50Millis / 1000.0),
        new Series("p99", s -> s.latencyP99Millis < 0 ? Double.NaN
            : s.latencyP99Millis / 1000.0)), 1);
    long firstWatermark = samples.stream().mapToLong(Sample::watermarkMillis)
        .filter(w -> w > 0).min().orElse(0);
    plot.add(panel(samples, "event-time days",
        new Series("watermark, days after the first sampled", s -> s.watermarkMillis <= 0
            ? Double.NaN : (s.watermarkMillis - firstWatermark) / 86_400_000.0)), 1);
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT.deriveFont(13f), plot,
        true);
    chart.setBackgroundPaint(Color.WHITE);
    Files.createDirectories(png.toAbsolutePath().getParent());
    ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, PANEL_HEIGHT * 7 + 60);
  }

  private record Series(String name, ToDoubleFunction<Sample> value) {}

  private static XYPlot panel(List<Sample> samples, String axis, Series... series) {
    XYSeriesCollection data = new XYSeriesCollection();
    for (Series s : series) {
      XYSeries xy = new XYSeries(s.name, true, true);
      for (Sample sample : samples) {
        double v = s.value.applyAsDouble(sample);
        // a gap, not a zero, where there is no figure yet (before the first checkpoint)
        xy.add(sample.elapsedSeconds / 60.0, Double.isNaN(v) ? null : v);
      }
      data.addSeries(xy);
    }
    XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, false);
    for (int i = 0; i < series.length; i++) {
      lines.setSeriesStroke(i, new BasicStroke(1.5f));
    }
    NumberAxis range = new NumberAxis(axis);
    range.setAutoRangeIncludesZero(true);
    XYPlot plot = new XYPlot(data, null, range, lines);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    return plot;
  }

  /** The value at quantile q (0..1) of sorted values, nearest rank; -1 when empty. */
  static long percentile(long[] sorted, int n, double q) {
    if (n == 0) {
      return -1;
    }
    int rank = (int) Math.ceil(q * n);
    return sorted[Math.max(0, Math.min(n - 1, rank - 1))];
  }
}
