package io.clickstream.propensity.training;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Binary classification metrics on (score, label) pairs, as scikit-learn defines them: average
 * precision as the step-wise sum over distinct thresholds (no interpolation), ROC AUC with ties
 * counted half, balanced accuracy and Matthews correlation at a decision threshold, Brier score.
 */
public final class Metrics {
  /** Decision threshold for the label metrics: the ONNX model's label output is p > 0.5. */
  public static final double DECISION_THRESHOLD = 0.5;

  private Metrics() {}

  /** Metrics of one scorer on one set of rows. */
  @JsonPropertyOrder({"rows", "positives", "average_precision", "roc_auc", "balanced_accuracy",
      "matthews_correlation", "brier_score", "decision_threshold"})
  public record Result(
      long rows,
      long positives,
      double average_precision,
      double roc_auc,
      double balanced_accuracy,
      double matthews_correlation,
      double brier_score,
      double decision_threshold) {}

  /** One point of the precision-recall curve: rows with score >= threshold are positive. */
  public record PrPoint(double threshold, double precision, double recall) {}

  public static Result evaluate(float[] scores, float[] labels) {
    requireSameLength(scores, labels);
    long positives = 0;
    double brier = 0;
    long tp = 0;
    long fp = 0;
    long tn = 0;
    long fn = 0;
    for (int i = 0; i < scores.length; i++) {
      boolean actual = labels[i] > 0.5f;
      boolean predicted = scores[i] > DECISION_THRESHOLD;
      positives += actual ? 1 : 0;
      double err = scores[i] - (actual ? 1.0 : 0.0);
      brier += err * err;
      if (actual) {
        if (predicted) {
          tp++;
        } else {
          fn++;
        }
      } else if (predicted) {
        fp++;
      } else {
        tn++;
      }
    }
    double tpr = tp + fn == 0 ? 0 : (double) tp / (tp + fn);
    double tnr = tn + fp == 0 ? 0 : (double) tn / (tn + fp);
    double mccDen = Math.sqrt((double) (tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
    double mcc = mccDen == 0 ? 0 : ((double) tp * tn - (double) fp * fn) / mccDen;
    return new Result(
        scores.length,
        positives,
        averagePrecision(scores, labels),
        rocAuc(scores, labels),
        (tpr + tnr) / 2,
        mcc,
        scores.length == 0 ? Double.NaN : brier / scores.length,
        DECISION_THRESHOLD);
  }

  /** Indices by descending score (ties keep index order, so results are deterministic). */
  private static int[] byScoreDescending(float[] scores) {
    // Sort keys that order descending by score, then ascending by index: one primitive sort.
    long[] keys = new long[scores.length];
    for (int i = 0; i < scores.length; i++) {
      int bits = Float.floatToIntBits(scores[i] + 0.0f);
      int ordered = bits >= 0 ? bits : bits ^ 0x7fffffff; // monotone int order of the float
      keys[i] = ((long) ~ordered << 32) | (i & 0xffffffffL);
    }
    Arrays.sort(keys);
    int[] order = new int[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = (int) keys[i];
    }
    return order;
  }

  /** The precision-recall curve at every distinct score, from the highest threshold down. */
  public static List<PrPoint> prCurve(float[] scores, float[] labels) {
    requireSameLength(scores, labels);
    int[] order = byScoreDescending(scores);
    long positives = 0;
    for (float l : labels) {
      positives += l > 0.5f ? 1 : 0;
    }
    List<PrPoint> curve = new ArrayList<>();
    if (positives == 0) {
      return curve;
    }
    long tp = 0;
    long seen = 0;
    for (int k = 0; k < order.length; k++) {
      int i = order[k];
      seen++;
      tp += labels[i] > 0.5f ? 1 : 0;
      boolean lastOfTie = k + 1 == order.length || scores[order[k + 1]] != scores[i];
      if (lastOfTie) {
        curve.add(new PrPoint(scores[i], (double) tp / seen, (double) tp / positives));
      }
    }
    return curve;
  }

  /** Average precision: sum over thresholds of (recall gain) x precision. */
  public static double averagePrecision(float[] scores, float[] labels) {
    double ap = 0;
    double previousRecall = 0;
    for (PrPoint p : prCurve(scores, labels)) {
      ap += (p.recall() - previousRecall) * p.precision();
      previousRecall = p.recall();
    }
    return ap;
  }

  /** Area under the ROC curve (Mann-Whitney U with mid-ranks for ties); NaN if one class only. */
  public static double rocAuc(float[] scores, float[] labels) {
    requireSameLength(scores, labels);
    int[] order = byScoreDescending(scores);
    long positives = 0;
    long negatives = 0;
    for (float l : labels) {
      if (l > 0.5f) {
        positives++;
      } else {
        negatives++;
      }
    }
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    // Walk tie groups from the top: each positive beats the negatives below its group, and half
    // of the negatives tied with it.
    double wins = 0;
    long negativesAbove = 0;
    int k = 0;
    while (k < order.length) {
      int end = k;
      long pos = 0;
      long neg = 0;
      while (end < order.length && scores[order[end]] == scores[order[k]]) {
        if (labels[order[end]] > 0.5f) {
          pos++;
        } else {
          neg++;
        }
        end++;
      }
      long negativesBelow = negatives - negativesAbove - neg;
      wins += pos * (negativesBelow + 0.5 * neg);
      negativesAbove += neg;
      k = end;
    }
    return wins / ((double) positives * negatives);
  }

  private static void requireSameLength(float[] scores, float[] labels) {
    if (scores.length != labels.length) {
      throw new IllegalArgumentException(
          "scores and labels differ in length: " + scores.length + " vs " + labels.length);
    }
  }
}
