package io.clickstream.propensity.training;

import io.clickstream.propensity.scoring.ModelCard;
import java.util.List;

/**
 * Chooses the action thresholds from the validation precision-recall curve of the model:
 *
 * <ul>
 *   <li>high = the score that maximizes F1: above it the model's "likely buyers", the band where
 *       suggesting complements pays off best (precision and recall balanced);
 *   <li>low = the highest score that still keeps {@code lowRecall} of the buyers at or above it:
 *       only clicks below it (holding at most 1 - lowRecall of the purchases) get alternatives.
 * </ul>
 *
 * If low would exceed high, low = high (the middle band is then empty).
 */
final class Thresholds {
  private Thresholds() {}

  static ModelCard.Thresholds choose(float[] scores, float[] labels, double lowRecall) {
    if (!(lowRecall > 0 && lowRecall <= 1)) {
      throw new IllegalArgumentException("low-threshold recall must be in (0, 1], got " + lowRecall);
    }
    List<Metrics.PrPoint> curve = Metrics.prCurve(scores, labels);
    if (curve.isEmpty()) {
      throw new IllegalStateException("no positive rows to choose thresholds from");
    }
    double bestF1 = -1;
    double high = curve.get(0).threshold();
    double low = curve.get(curve.size() - 1).threshold();
    boolean lowFound = false;
    for (Metrics.PrPoint p : curve) { // from the highest threshold down
      double f1 = p.precision() + p.recall() == 0
          ? 0 : 2 * p.precision() * p.recall() / (p.precision() + p.recall());
      if (f1 > bestF1) {
        bestF1 = f1;
        high = p.threshold();
      }
      if (!lowFound && p.recall() >= lowRecall) {
        low = p.threshold();
        lowFound = true;
      }
    }
    low = Math.min(low, high);
    String method = String.format(java.util.Locale.ROOT,
        "from the GBDT's validation precision-recall curve: high = score maximizing F1 (%.4f); "
            + "low = highest score keeping %.0f%% of validation purchases at or above it "
            + "(capped at high). p < low: suggest_alternatives; low <= p <= high: "
            + "offer_incentive; p > high: suggest_complements",
        bestF1, lowRecall * 100);
    return new ModelCard.Thresholds(low, high, method);
  }
}
