package io.clickstream.propensity.features;

import io.clickstream.propensity.events.ClickEvent;
import org.apache.flink.api.java.functions.KeySelector;

/** The key of an event in one feature set (docs/features.md, Metric sets), as a string. */
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

  /** Whether a set's key is a single id, keyed as a Long (fixed-length keys sort faster in BATCH). */
  public static boolean isId(FeatureSet set) {
    return set == FeatureSet.USER || set == FeatureSet.PRODUCT;
  }

  /** The Long key of the single-id sets (user, product). */
  public static long idOf(FeatureSet set, long userId, long productId) {
    switch (set) {
      case USER:
        return userId;
      case PRODUCT:
        return productId;
      default:
        throw new IllegalArgumentException(set + " is not keyed by a single id");
    }
  }

  /** Key selector of the single-id sets (see {@link #isId}). */
  public static final class Id implements KeySelector<FeaturedEvent, Long> {
    private static final long serialVersionUID = 1L;
    private final FeatureSet set;

    public Id(FeatureSet set) {
      if (!isId(set)) {
        throw new IllegalArgumentException(set + " is not keyed by a single id");
      }
      this.set = set;
    }

    @Override
    public Long getKey(FeaturedEvent value) {
      return idOf(set, value.event.userId, value.event.productId);
    }
  }

  /** The key of a user-product. */
  public static String userProductKey(long userId, long productId) {
    return userId + String.valueOf(SEP) + productId;
  }

  /** The key of a cart. */
  public static String cartKey(long userId, String userSession) {
    return userId + String.valueOf(SEP) + userSession;
  }

  public static String of(FeatureSet set, ClickEvent e) {
    switch (set) {
      case CART:
        return cartKey(e.userId, e.userSession);
      case CART_PRODUCT:
        return e.userId + String.valueOf(SEP) + e.userSession + SEP + e.productId;
      case USER:
        return Long.toString(e.userId);
      case PRODUCT:
        return Long.toString(e.productId);
      case USER_PRODUCT:
        return userProductKey(e.userId, e.productId);
      default:
        throw new IllegalArgumentException("unknown feature set " + set);
    }
  }
}
