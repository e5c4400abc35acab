package io.clickstream.propensity.events;

import java.util.Locale;

/** The four event types of the REES46 / Open CDP clickstream (docs/features.md, Input events). */
public enum EventType {
  VIEW("view"),
  CART("cart"),
  REMOVE_FROM_CART("remove_from_cart"),
  PURCHASE("purchase");

  private final String wireName;

  EventType(String wireName) {
    this.wireName = wireName;
  }

  /** The name used in the CSV/JSON input and in the tables. */
  public String wireName() {
    return wireName;
  }

  /** Parses a wire name, case-insensitively and ignoring surrounding blanks; null when unknown. */
  public static EventType fromWireName(String value) {
    if (value == null) {
      return null;
    }
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "view":
        return VIEW;
      case "cart":
        return CART;
      case "remove_from_cart":
        return REMOVE_FROM_CART;
      case "purchase":
        return PURCHASE;
      default:
        return null;
    }
  }
}
