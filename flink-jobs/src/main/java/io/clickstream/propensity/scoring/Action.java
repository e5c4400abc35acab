package io.clickstream.propensity.scoring;

/** What the shop does with a click, by its propensity band (docs/features.md, Scores). */
public enum Action {
  /** {@code p < low}: unlikely to buy this product: show alternatives. */
  SUGGEST_ALTERNATIVES("suggest_alternatives"),
  /** {@code low <= p <= high}: undecided: an incentive may tip it. */
  OFFER_INCENTIVE("offer_incentive"),
  /** {@code p > high}: likely buyer: suggest complements. */
  SUGGEST_COMPLEMENTS("suggest_complements");

  private final String wireName;

  Action(String wireName) {
    this.wireName = wireName;
  }

  /** The name written to score rows and Kafka. */
  public String wireName() {
    return wireName;
  }

  /** The action for a propensity given the model's thresholds ({@code low <= high}). */
  public static Action of(double propensity, double low, double high) {
    if (propensity < low) {
      return SUGGEST_ALTERNATIVES;
    }
    return propensity <= high ? OFFER_INCENTIVE : SUGGEST_COMPLEMENTS;
  }
}
