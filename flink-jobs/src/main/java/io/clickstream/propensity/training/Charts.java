package io.clickstream.propensity.training;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYBarRenderer;
import org.jfree.chart.renderer.xy.XYStepRenderer;
import org.jfree.data.statistics.HistogramDataset;
import org.jfree.data.statistics.HistogramType;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/** PNG charts of the validation results (JFreeChart, headless). */
final class Charts {
  private static final int WIDTH = 900;
  private static final int HEIGHT = 600;

  static {
    // charts are files: never try to open a display (CI, servers)
    System.setProperty("java.awt.headless", "true");
  }

  private Charts() {}

  /** Precision-recall curves of several scorers on the same rows. */
  static void prCurves(Map<String, List<Metrics.PrPoint>> curves, double prevalence, Path png)
      throws IOException {
    XYSeriesCollection data = new XYSeriesCollection();
    for (Map.Entry<String, List<Metrics.PrPoint>> e : curves.entrySet()) {
      XYSeries s = new XYSeries(e.getKey(), false, true);
      s.add(0.0, e.getValue().isEmpty() ? 1.0 : e.getValue().get(0).precision());
      // thin long curves: a point per 0.1% of recall is plenty for a picture
      double lastRecall = -1;
      for (Metrics.PrPoint p : e.getValue()) {
        if (p.recall() - lastRecall >= 0.001) {
          s.add(p.recall(), p.precision());
          lastRecall = p.recall();
        }
      }
      data.addSeries(s);
    }
    JFreeChart chart = ChartFactory.createXYLineChart(
        String.format(java.util.Locale.ROOT, "Precision-recall, validation (prevalence %.4f)",
            prevalence),
        "recall", "precision", data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    // steps, not lines: average precision is the area under this step function
    XYStepRenderer steps = new XYStepRenderer();
    steps.setStepPoint(0.0); // precision p_k holds over (r_k-1, r_k]: rise first, then run
    plot.setRenderer(steps);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    plot.getDomainAxis().setRange(0, 1);
    plot.getRangeAxis().setRange(0, 1.02);
    ValueMarker base = new ValueMarker(prevalence, Color.GRAY, new BasicStroke(1f));
    plot.addRangeMarker(base);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
  }

  /** Score histograms per label (each normalized), with the action thresholds marked. */
  static void scoreHistogram(float[] scores, float[] labels, double low, double high, Path png)
      throws IOException {
    int positives = 0;
    for (float l : labels) {
      positives += l > 0.5f ? 1 : 0;
    }
    double[] pos = new double[positives];
    double[] neg = new double[labels.length - positives];
    int p = 0;
    int n = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] > 0.5f) {
        pos[p++] = scores[i];
      } else {
        neg[n++] = scores[i];
      }
    }
    HistogramDataset data = new HistogramDataset();
    data.setType(HistogramType.RELATIVE_FREQUENCY);
    if (neg.length > 0) {
      data.addSeries("label 0 (" + neg.length + " rows)", neg, 50, 0.0, 1.0);
    }
    if (pos.length > 0) {
      data.addSeries("label 1 (" + pos.length + " rows)", pos, 50, 0.0, 1.0);
    }
    JFreeChart chart = ChartFactory.createHistogram(
        "GBDT propensity on validation, per label (thresholds dashed)", "propensity",
        "share of the label's rows", data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    plot.setForegroundAlpha(0.6f);
    plot.setBackgroundPaint(Color.WHITE);
    ((XYBarRenderer) plot.getRenderer()).setShadowVisible(false);
    BasicStroke dashed = new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
        new float[] {6f, 4f}, 0f);
    plot.addDomainMarker(new ValueMarker(low, Color.DARK_GRAY, dashed));
    plot.addDomainMarker(new ValueMarker(high, Color.BLACK, dashed));
    plot.getDomainAxis().setRange(0, 1);
    ChartUtils.saveChartAsPNG(png.toFile(), chart, WIDTH, HEIGHT);
  }
}
