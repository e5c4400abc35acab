package io.clickstream.propensity.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class MetricsTest {
  // scikit-learn: average_precision_score([0,0,1,1],[.1,.4,.35,.8]) = 0.8333,
  // roc_auc_score = 0.75
  @Test
  void matchesScikitLearnOnTheTextbookExample() {
    float[] y = {0, 0, 1, 1};
    float[] p = {0.1f, 0.4f, 0.35f, 0.8f};
    assertThat(Metrics.averagePrecision(p, y)).isCloseTo(0.833333, within(1e-6));
    assertThat(Metrics.rocAuc(p, y)).isCloseTo(0.75, within(1e-12));
  }

  @Test
  void tiesAreOneThreshold() {
    // a 0/1 rule: AP = precision at the single threshold x recall + prevalence x rest
    float[] y = {1, 0, 1, 0, 0, 0};
    float[] p = {1, 1, 0, 0, 0, 0};
    // thresholds: 1 -> P 0.5 R 0.5; 0 -> P 2/6 R 1.  AP = 0.5*0.5 + 0.5*(1/3)
    assertThat(Metrics.averagePrecision(p, y)).isCloseTo(0.25 + 1.0 / 6, within(1e-12));
    // AUC of a 0/1 score = balanced accuracy of that score
    assertThat(Metrics.rocAuc(p, y)).isCloseTo((0.5 + 0.75) / 2, within(1e-12));
    Metrics.Result r = Metrics.evaluate(p, y);
    assertThat(r.balanced_accuracy()).isCloseTo(0.625, within(1e-12));
    // MCC: tp 1, fp 1, fn 1, tn 3 -> (3 - 1) / sqrt(2*2*4*4) = 0.25
    assertThat(r.matthews_correlation()).isCloseTo(0.25, within(1e-12));
    assertThat(r.brier_score()).isCloseTo(2.0 / 6, within(1e-12));
  }

  @Test
  void perfectAndNegativeScores() {
    float[] y = {0, 1, 0, 1};
    assertThat(Metrics.averagePrecision(new float[] {0.1f, 0.9f, 0.2f, 0.8f}, y)).isEqualTo(1.0);
    assertThat(Metrics.rocAuc(new float[] {0.1f, 0.9f, 0.2f, 0.8f}, y)).isEqualTo(1.0);
    assertThat(Metrics.rocAuc(new float[] {-0.1f, -0.9f, -0.2f, -0.8f}, y)).isEqualTo(0.0);
  }

  @Test
  void thresholdsAreOrderedAndComeFromTheCurve() {
    float[] y = {1, 1, 0, 1, 0, 0, 0, 1, 0, 0};
    float[] p = {.95f, .9f, .8f, .7f, .6f, .5f, .4f, .3f, .2f, .1f};
    var t = Thresholds.choose(p, y, 0.75);
    // recall >= 0.75 first reached at 0.7 (3 of 4 buyers); best F1 (0.75) also at 0.7 and,
    // later, at 0.3 (F1 0.727): high is 0.7
    assertThat(t.low).isCloseTo(0.7, within(1e-6));
    assertThat(t.high).isCloseTo(0.7, within(1e-6));
    assertThat(t.method).contains("F1");
  }
}
