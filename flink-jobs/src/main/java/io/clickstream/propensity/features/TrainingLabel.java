package io.clickstream.propensity.features;

import io.clickstream.propensity.events.EventType;
import java.util.List;

/**
 * The training label (docs/features.md, Label): 1 when a purchase of the same cart-product comes
 * later in canonical order, else 0. Known only once the cart-product's history is complete, so it
 * is set in BATCH mode only.
 */
final class TrainingLabel {
  private TrainingLabel() {}

  /** Labels the events of one cart-product key, given in canonical order. */
  static void label(List<FeaturedEvent> cartProductEvents) {
    boolean purchaseLater = false;
    for (int i = cartProductEvents.size() - 1; i >= 0; i--) {
      FeaturedEvent e = cartProductEvents.get(i);
      e.label = purchaseLater ? 1 : 0;
      purchaseLater |= e.event.eventType == EventType.PURCHASE;
    }
  }
}
