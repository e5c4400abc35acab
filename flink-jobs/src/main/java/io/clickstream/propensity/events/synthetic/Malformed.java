package io.clickstream.propensity.events.synthetic;

import java.util.SplittableRandom;

/**
 * Corrupts a valid row into one the parser must reject, in the ways real feeds break: wrong field
 * count (including a line cut short), zone-less or garbage timestamps, unknown event types,
 * non-numeric or non-positive ids, bad or negative prices, an empty session. The result is always
 * one line.
 */
final class Malformed {
  // field indexes in the header order
  private static final int TIME = 0;
  private static final int TYPE = 1;
  private static final int PRODUCT = 2;
  private static final int BRAND = 5;
  private static final int PRICE = 6;
  private static final int USER = 7;
  private static final int SESSION = 8;
  private static final int KINDS = 14;
  // "VIEW" or " cart " would be accepted (case-insensitive, trimmed): use truly unknown names
  private static final String[] UNKNOWN_TYPES = {"click", "add_to_cart", "wishlist", "viewed"};

  private Malformed() {}

  static String corrupt(String validRow, SplittableRandom rng) {
    String[] f = validRow.split(",", -1);
    switch (rng.nextInt(KINDS)) {
      case 0: {
        // cut short mid user_id, session missing: the truncated last line of the real sample
        String user = f[USER];
        f[USER] = user.substring(0, 1 + rng.nextInt(user.length() - 1));
        return join(f, SESSION);
      }
      case 1:
        return validRow + ",extra";
      case 2:
        f[BRAND] = null;
        return join(f, f.length);
      case 3:
        f[TIME] = f[TIME].substring(0, 19); // no zone
        break;
      case 4:
        f[TIME] = f[TIME].substring(0, 10) + 'T' + f[TIME].substring(11, 19); // ISO, no zone
        break;
      case 5:
        f[TIME] = garbageTime(f[TIME], rng);
        break;
      case 6:
        f[TYPE] = UNKNOWN_TYPES[rng.nextInt(UNKNOWN_TYPES.length)];
        break;
      case 7:
        f[PRODUCT] = rng.nextBoolean() ? "p" + f[PRODUCT] : f[PRODUCT] + ".0";
        break;
      case 8:
        f[USER] = rng.nextBoolean() ? "user_" + f[USER] : f[USER].substring(0, 5) + "e14";
        break;
      case 9:
        f[PRICE] = rng.nextBoolean() ? "N/A" : f[PRICE] + ".9";
        break;
      case 10:
        // "-0.00" would still be a valid price
        f[PRICE] = "-" + ("0.00".equals(f[PRICE]) ? "1.00" : f[PRICE]);
        break;
      case 11:
        f[SESSION] = "";
        break;
      case 12:
        f[PRODUCT] = rng.nextBoolean() ? "0" : "-" + f[PRODUCT];
        break;
      default:
        f[USER] = rng.nextBoolean() ? "0" : "-" + f[USER];
        break;
    }
    return join(f, f.length);
  }

  private static String garbageTime(String valid, SplittableRandom rng) {
    switch (rng.nextInt(4)) {
      case 0:
        return "not-a-time";
      case 1:
        return "2020-13-" + valid.substring(8); // month 13
      case 2:
        return valid.substring(8, 10) + '/' + valid.substring(5, 7) + '/'
            + valid.substring(0, 4) + valid.substring(10); // dd/MM/yyyy
      default:
        return Long.toString(1_600_000_000L + rng.nextInt(10_000_000)); // epoch seconds
    }
  }

  /** Joins the first {@code n} fields, skipping nulls (a dropped column). */
  private static String join(String[] f, int n) {
    StringBuilder b = new StringBuilder(160);
    boolean first = true;
    for (int i = 0; i < n; i++) {
      if (f[i] == null) {
        continue;
      }
      if (!first) {
        b.append(',');
      }
      b.append(f[i]);
      first = false;
    }
    return b.toString();
  }
}
