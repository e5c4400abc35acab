package io.clickstream.propensity.training;

import io.clickstream.propensity.features.FeatureRules;
import java.util.HashMap;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

/** Thin helpers over xgboost4j: matrices with NaN as missing, a boosting loop with early stop. */
final class Boosting {
  private static final int F = FeatureRules.MODEL_FEATURE_COUNT;

  private Boosting() {}

  /**
   * A DMatrix whose missing value is NaN. (xgboost4j's 3-argument dense constructor treats 0 as
   * missing, which would merge "0 carts" with "no data".)
   */
  static DMatrix matrix(float[] features, float[] labels) {
    try {
      DMatrix m = new DMatrix(features, labels.length, F, Float.NaN);
      m.setLabel(labels);
      return m;
    } catch (XGBoostError e) {
      throw new IllegalStateException("cannot build an XGBoost matrix: " + e.getMessage(), e);
    }
  }

  /** A fitted booster; only its first {@code bestIteration + 1} rounds are the model. */
  record Fit(Booster booster, int bestIteration, int rounds, double bestTestMetric) {
    int modelRounds() {
      return bestIteration + 1;
    }
  }

  /**
   * Boosts up to {@code maxRounds} rounds, evaluating XGBoost's {@code aucpr} on {@code test}
   * after each and stopping {@code patience} rounds after the last improvement.
   */
  static Fit fit(
      Map<String, Object> params, DMatrix train, DMatrix test, int maxRounds, int patience) {
    Map<String, Object> p = new HashMap<>(params);
    p.put("eval_metric", "aucpr");
    try {
      Booster booster = XGBoost.train(train, p, 0, new HashMap<>(), null, null);
      DMatrix[] evals = {test};
      String[] names = {"test"};
      double best = Double.NEGATIVE_INFINITY;
      int bestIteration = 0;
      int round = 0;
      for (; round < maxRounds; round++) {
        booster.update(train, round);
        String line = booster.evalSet(evals, names, round); // "[i]\ttest-aucpr:0.123"
        double metric = Double.parseDouble(line.substring(line.lastIndexOf(':') + 1).trim());
        if (metric > best) {
          best = metric;
          bestIteration = round;
        } else if (round - bestIteration >= patience) {
          round++;
          break;
        }
      }
      return new Fit(booster, bestIteration, round, best);
    } catch (XGBoostError e) {
      throw new IllegalStateException("XGBoost training failed: " + e.getMessage(), e);
    }
  }

  /** P(label = 1) of every row, from the first {@code rounds} rounds (0 = all). */
  static float[] predict(Booster booster, DMatrix m, int rounds) {
    try {
      float[][] p = booster.predict(m, false, rounds);
      float[] out = new float[p.length];
      for (int i = 0; i < p.length; i++) {
        out[i] = p[i][0];
      }
      return out;
    } catch (XGBoostError e) {
      throw new IllegalStateException("XGBoost prediction failed: " + e.getMessage(), e);
    }
  }
}
