package io.clickstream.propensity.events;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A record's bytes as the text kept in bronze: UTF-8, invalid sequences replaced by U+FFFD (so
 * bronze still holds what can be read of it), with whether the bytes were valid UTF-8.
 */
final class RawText {
  final String text;
  final boolean valid;

  private RawText(String text, boolean valid) {
    this.text = text;
    this.valid = valid;
  }

  /** The first {@code length} bytes of {@code bytes}. */
  static RawText decode(byte[] bytes, int length) {
    String text = new String(bytes, 0, length, StandardCharsets.UTF_8);
    // the fast lenient decoding first; only a text with U+FFFD in it (a replaced sequence or a
    // genuine U+FFFD) is decoded again strictly to tell the two apart
    return new RawText(text, text.indexOf('\uFFFD') < 0 || isValidUtf8(bytes, length));
  }

  static ParseOutcome invalidUtf8() {
    return ParseOutcome.rejected(RejectReason.INVALID_UTF8, "the record is not valid UTF-8");
  }

  private static boolean isValidUtf8(byte[] bytes, int length) {
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 0, length));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }
}
