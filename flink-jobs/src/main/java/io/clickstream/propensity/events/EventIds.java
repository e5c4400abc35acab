package io.clickstream.propensity.events;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The deterministic {@code event_id}: the first 128 bits of SHA-256 over the nine fields in
 * canonical form, as 32 hex characters. Identical events get the same id in both modes and on
 * every re-run, whatever the input's formatting (CSV or JSON, "35.8" or "35.80", ISO or CSV time).
 */
public final class EventIds {
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  // Separators that cannot collide with field content boundaries: unit separator between fields,
  // and a distinct marker for null so that null and "" hash differently.
  private static final char SEP = '\u001f';
  private static final String NULL = "\u0000";
  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(EventIds::newDigest);

  private EventIds() {}

  public static String of(ClickEvent e) {
    StringBuilder sb = new StringBuilder(160);
    sb.append(e.eventTime).append(SEP)
        .append(e.eventType.wireName()).append(SEP)
        .append(e.productId).append(SEP)
        .append(e.categoryId == null ? NULL : e.categoryId.toString()).append(SEP)
        .append(e.categoryCode == null ? NULL : e.categoryCode).append(SEP)
        .append(e.brand == null ? NULL : e.brand).append(SEP)
        .append(e.price.stripTrailingZeros().toPlainString()).append(SEP)
        .append(e.userId).append(SEP)
        .append(e.userSession);
    byte[] digest = SHA256.get().digest(sb.toString().getBytes(StandardCharsets.UTF_8));
    char[] out = new char[32];
    for (int i = 0; i < 16; i++) {
      out[2 * i] = HEX[(digest[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[digest[i] & 0xf];
    }
    return new String(out);
  }

  /** The high 64 bits of an id (see {@link #low}). */
  public static long high(String id) {
    return isHex128(id) ? Long.parseUnsignedLong(id, 0, 16, 16) : bitsOf(id, 0);
  }

  /**
   * The low 64 bits of an id: its 32 hex characters as a 128-bit number, or (for any other string,
   * which this pipeline does not make) the first 128 bits of its SHA-256.
   */
  public static long low(String id) {
    return isHex128(id) ? Long.parseUnsignedLong(id, 16, 32, 16) : bitsOf(id, 8);
  }

  /** Whether {@code id} has this pipeline's form: 32 lower-case hex characters. */
  public static boolean isHex128(String id) {
    if (id.length() != 32) {
      return false;
    }
    for (int i = 0; i < 32; i++) {
      if (hexDigit(id.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }

  /** The value of a lower-case hex digit (the alphabet of {@link #isHex128}), else -1. */
  public static int hexDigit(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  }

  private static long bitsOf(String id, int from) {
    byte[] d = SHA256.get().digest(id.getBytes(StandardCharsets.UTF_8));
    long v = 0;
    for (int i = from; i < from + 8; i++) {
      v = (v << 8) | (d[i] & 0xff);
    }
    return v;
  }

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
    }
  }
}
