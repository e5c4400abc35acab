package io.clickstream.propensity.features;

import io.clickstream.propensity.events.ClickEvent;
import org.apache.flink.api.java.functions.KeySelector;

/** The key of an event in one feature set (FEATURES.md §3), as a string. */
public final class SetKey implements KeySelector<FeaturedEvent, String> {
  private static final long serialVersionUID = 1L;
  private static final char SEP = '\u001f';

  private final FeatureSet set;

  public SetKey(FeatureSet set) {
    this.set = set;
  }

  @Override
  public String getKey(FeaturedEvent value) {
    return of(set, value.event);
  }

  public static String of(FeatureSet set, ClickEvent e) {
    switch (set) {
      case CART:
        return e.userId + String.valueOf(SEP) + e.userSession;
      case CART_PRODUCT:
        return e.userId + String.valueOf(SEP) + e.userSession + SEP + e.productId;
      case USER:
        return Long.toString(e.userId);
      case PRODUCT:
        return Long.toString(e.productId);
      case USER_PRODUCT:
        return e.userId + String.valueOf(SEP) + e.productId;
      default:
        throw new IllegalArgumentException("unknown feature set " + set);
    }
  }
}
