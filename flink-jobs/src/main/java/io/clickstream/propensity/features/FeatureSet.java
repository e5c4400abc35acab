package io.clickstream.propensity.features;

/** The five metric sets (docs/features.md, Metric sets), in model order. */
public enum FeatureSet {
  CART("cart", true),
  CART_PRODUCT("cart_product", true),
  USER("user", false),
  PRODUCT("product", false),
  USER_PRODUCT("user_product", false);

  private final String prefix;
  private final boolean session;

  FeatureSet(String prefix, boolean session) {
    this.prefix = prefix;
    this.session = session;
  }

  /** Name used in feature names ({@code <prefix>__<feature>}) and gold table names. */
  public String prefix() {
    return prefix;
  }

  /**
   * True for the live session sets (counted up to and including the event, with expiry); false for
   * the daily snapshot sets (events before the start of the event's UTC day).
   */
  public boolean isSession() {
    return session;
  }
}
