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

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
    }
  }
}
