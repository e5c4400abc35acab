package io.clickstream.propensity.training;

import io.clickstream.propensity.features.FeatureRules;
import java.util.LinkedHashMap;
import java.util.Map;
import ml.dmlc.xgboost4j.java.DMatrix;

/**
 * Baseline 1: logistic regression, fitted by XGBoost's linear booster ({@code gblinear},
 * {@code binary:logistic}, deterministic cyclic coordinate descent, L2 = 1) rather than a
 * hand-written optimizer. Inputs: counts as log1p (they are heavy-tailed), then every feature
 * standardized with the train split's mean and standard deviation; missing ratios are imputed
 * with the train mean (0 after standardizing), since a linear model cannot route NaN.
 */
final class LogisticBaseline {
  private static final int F = FeatureRules.MODEL_FEATURE_COUNT;
  static final int MAX_ROUNDS = 200;
  static final int PATIENCE = 10;

  private final double[] mean = new double[F];
  private final double[] std = new double[F];
  private Boosting.Fit fit;
  private Map<String, Object> params;

  /** Fits on train, stopping when average precision on test stops improving. */
  static LogisticBaseline fit(TrainingData data, int threads, long seed) {
    LogisticBaseline b = new LogisticBaseline();
    b.standardizeFrom(data.train());
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("booster", "gblinear");
    p.put("objective", "binary:logistic");
    p.put("updater", "coord_descent");
    p.put("feature_selector", "cyclic");
    p.put("lambda", 1.0);
    p.put("alpha", 0.0);
    p.put("eta", 0.5);
    p.put("nthread", threads);
    p.put("seed", seed);
    p.put("verbosity", 0);
    b.params = p;
    DMatrix train = b.matrix(data.train());
    DMatrix test = b.matrix(data.test());
    try {
      b.fit = Boosting.fit(p, train, test, MAX_ROUNDS, PATIENCE);
    } finally {
      train.dispose();
      test.dispose();
    }
    return b;
  }

  private static boolean isCount(int f) {
    return FeatureRules.isCount(f);
  }

  private static double transform(int f, float v) {
    return isCount(f) ? Math.log1p(Math.max(0, v)) : v;
  }

  private void standardizeFrom(TrainingData.Split s) {
    for (int f = 0; f < F; f++) {
      double sum = 0;
      double sq = 0;
      long n = 0;
      for (int r = 0; r < s.rows; r++) {
        float v = s.value(r, f);
        if (!Float.isNaN(v)) {
          double x = transform(f, v);
          sum += x;
          sq += x * x;
          n++;
        }
      }
      mean[f] = n == 0 ? 0 : sum / n;
      double var = n == 0 ? 0 : sq / n - mean[f] * mean[f];
      std[f] = var > 1e-12 ? Math.sqrt(var) : 1; // constant column: leave at 0 after centring
    }
  }

  private DMatrix matrix(TrainingData.Split s) {
    float[] x = new float[s.rows * F];
    for (int r = 0; r < s.rows; r++) {
      for (int f = 0; f < F; f++) {
        float v = s.value(r, f);
        x[r * F + f] = Float.isNaN(v) ? 0f : (float) ((transform(f, v) - mean[f]) / std[f]);
      }
    }
    return Boosting.matrix(x, s.labels);
  }

  float[] predict(TrainingData.Split s) {
    DMatrix m = matrix(s);
    try {
      return Boosting.predict(fit.booster(), m, 0);
    } finally {
      m.dispose();
    }
  }

  Map<String, Object> params() {
    Map<String, Object> p = new LinkedHashMap<>(params);
    p.put("rounds", fit.rounds());
    p.put("inputs", "log1p(counts); all features standardized on train; NaN imputed with the "
        + "train mean");
    return p;
  }

  void dispose() {
    fit.booster().dispose();
  }
}
