package io.clickstream.propensity.events.serde;

import io.clickstream.propensity.events.EventIds;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Base of the pipeline's hand-written serializers: a fixed field layout written in order, with
 * helpers for the nullable types. Records are copied by a serialize/deserialize round trip of
 * their own fields (see {@link #copy(Object)} in subclasses). Each subclass has a layout version
 * that its {@link RecordSerializerSnapshot} records; a change of the helpers below changes every
 * layout.
 */
public abstract class RecordSerializer<T> extends TypeSerializerSingleton<T> {
  private static final long serialVersionUID = 1L;

  @Override
  public boolean isImmutableType() {
    return false;
  }

  @Override
  public T copy(T from, T reuse) {
    return copy(from);
  }

  @Override
  public int getLength() {
    return -1;
  }

  @Override
  public T deserialize(T reuse, DataInputView source) throws IOException {
    return deserialize(source);
  }

  @Override
  public void copy(DataInputView source, DataOutputView target) throws IOException {
    serialize(deserialize(source), target);
  }

  private static final int STRING_NULL = 0;
  private static final int STRING_CHARS = 1;
  private static final int STRING_LATIN1_BASE = 2;

  /**
   * A nullable string. Keys, sessions and brands are Latin-1 (mostly ASCII): they go as their
   * bytes in one write, where Flink's StringValue makes one call per character, which dominates
   * heap-state snapshots. Any other string keeps the StringValue form, so every char survives
   * (lone surrogates included).
   */
  protected static void writeString(String s, DataOutputView out) throws IOException {
    if (s == null) {
      writeVarLong(STRING_NULL, out);
    } else if (isLatin1(s)) {
      writeVarLong(s.length() + (long) STRING_LATIN1_BASE, out);
      out.write(s.getBytes(StandardCharsets.ISO_8859_1));
    } else {
      writeVarLong(STRING_CHARS, out);
      StringValue.writeString(s, out);
    }
  }

  protected static String readString(DataInputView in) throws IOException {
    long code = readVarLong(in);
    if (code == STRING_NULL) {
      return null;
    }
    if (code == STRING_CHARS) {
      return StringValue.readString(in);
    }
    if (code < STRING_LATIN1_BASE || code - STRING_LATIN1_BASE > Integer.MAX_VALUE) {
      throw new IOException("malformed string header " + code);
    }
    byte[] bytes = new byte[(int) (code - STRING_LATIN1_BASE)];
    in.readFully(bytes);
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  private static boolean isLatin1(String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      if (s.charAt(i) > 0xFF) {
        return false;
      }
    }
    return true;
  }

  /**
   * A nullable decimal: a presence byte, the scale, then the unscaled value as {@link
   * BigInteger#toByteArray} writes it (length, minimal two's-complement bytes, big-endian). An
   * unscaled value that fits a long (every price) is encoded and decoded from the long, in one
   * write, without the BigInteger byte arrays: same bytes.
   */
  protected static void writeDecimal(BigDecimal d, DataOutputView out) throws IOException {
    if (d == null) {
      out.writeBoolean(false);
      return;
    }
    BigInteger unscaled = d.unscaledValue();
    int bits = unscaled.bitLength();
    if (bits < Long.SIZE) {
      long v = unscaled.longValue();
      int length = bits / 8 + 1;
      byte[] bytes = new byte[1 + 10 + 1 + length];
      bytes[0] = 1;
      int pos = putVarLong(d.scale(), bytes, 1);
      pos = putVarLong(length, bytes, pos);
      for (int shift = 8 * (length - 1); shift >= 0; shift -= 8) {
        bytes[pos++] = (byte) (v >> shift);
      }
      out.write(bytes, 0, pos);
      return;
    }
    byte[] bytes = unscaled.toByteArray();
    out.writeBoolean(true);
    writeVarLong(d.scale(), out);
    writeVarLong(bytes.length, out);
    out.write(bytes);
  }

  protected static BigDecimal readDecimal(DataInputView in) throws IOException {
    if (!in.readBoolean()) {
      return null;
    }
    int scale = (int) readVarLong(in);
    int length = (int) readVarLong(in);
    if (length < 1) {
      throw new IOException("malformed decimal: " + length + " bytes");
    }
    if (length <= Long.BYTES) {
      long v = in.readByte(); // the first byte carries the sign
      for (int i = 1; i < length; i++) {
        v = (v << 8) | (in.readByte() & 0xFF);
      }
      return BigDecimal.valueOf(v, scale);
    }
    byte[] unscaled = new byte[length];
    in.readFully(unscaled);
    return new BigDecimal(new BigInteger(unscaled), scale);
  }

  /**
   * Variable-length (LEB128, zig-zag) long: ids, times and offsets mostly take 4-6 bytes, not 8.
   * Up to 8 bytes are packed into one long and go out in at most three calls (a call per byte, each
   * a virtual one into the network or sort buffer, or an array per number cost more).
   */
  protected static void writeVarLong(long v, DataOutputView out) throws IOException {
    long z = (v << 1) ^ (v >> 63);
    if (z >>> 7 == 0) {
      out.writeByte((int) z);
      return;
    }
    if (z >>> 56 != 0) { // 9 or 10 bytes: values far from zero only
      byte[] bytes = new byte[10];
      out.write(bytes, 0, putVarLong(v, bytes, 0));
      return;
    }
    long packed = 0; // the bytes in order, the first one highest
    int n = 1;
    while (z >>> 7 != 0) {
      packed = (packed << 8) | (z & 0x7F) | 0x80;
      z >>>= 7;
      n++;
    }
    packed = (packed << 8) | z;
    // the n bytes, highest first, an int's worth at a time, then a short's, then a byte
    for (int left = n; left > 0; ) {
      if (left >= 4) {
        out.writeInt((int) (packed >>> 8 * (left - 4)));
        left -= 4;
      } else if (left >= 2) {
        out.writeShort((int) (packed >>> 8 * (left - 2)));
        left -= 2;
      } else {
        out.writeByte((int) packed);
        left = 0;
      }
    }
  }

  /** Encodes {@code v} as {@link #writeVarLong} does into {@code bytes} at {@code pos}; returns the end. */
  private static int putVarLong(long v, byte[] bytes, int pos) {
    long z = (v << 1) ^ (v >> 63);
    while ((z & ~0x7FL) != 0) {
      bytes[pos++] = (byte) ((z & 0x7F) | 0x80);
      z >>>= 7;
    }
    bytes[pos++] = (byte) z;
    return pos;
  }

  protected static long readVarLong(DataInputView in) throws IOException {
    long z = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.readByte();
      z |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return (z >>> 1) ^ -(z & 1);
      }
    }
    throw new IOException("malformed variable-length long (more than 10 bytes)");
  }

  protected static void writeNullableVarLong(Long v, DataOutputView out) throws IOException {
    out.writeBoolean(v != null);
    if (v != null) {
      writeVarLong(v, out);
    }
  }

  protected static Long readNullableVarLong(DataInputView in) throws IOException {
    return in.readBoolean() ? readVarLong(in) : null;
  }

  /** Counts are small: one byte each in most records (a FeaturedEvent carries 20). */
  protected static void writeInts(int[] v, DataOutputView out) throws IOException {
    writeVarLong(v.length, out);
    // all of them in one call (see writeVarLong); an int takes at most 5 bytes
    byte[] bytes = new byte[v.length * 5];
    int n = 0;
    for (int x : v) {
      n = putVarLong(x, bytes, n);
    }
    out.write(bytes, 0, n);
  }

  protected static int[] readInts(DataInputView in) throws IOException {
    int[] v = new int[(int) readVarLong(in)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (int) readVarLong(in);
    }
    return v;
  }

  private static final int ID_NULL = 0;
  private static final int ID_HEX128 = 1;
  private static final int ID_TEXT = 2;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /**
   * An event id: the 32 lower-case hex characters EventIds makes travel as their 16 bytes; any
   * other text is written as is.
   */
  protected static void writeEventId(String id, DataOutputView out) throws IOException {
    if (id == null) {
      out.writeByte(ID_NULL);
      return;
    }
    // one pass: decode while checking the form; anything else travels as text
    if (id.length() == 32) {
      byte[] b = new byte[17];
      b[0] = ID_HEX128;
      int i = 0;
      for (; i < 16; i++) {
        int hi = EventIds.hexDigit(id.charAt(2 * i));
        int lo = EventIds.hexDigit(id.charAt(2 * i + 1));
        if ((hi | lo) < 0) {
          break;
        }
        b[i + 1] = (byte) ((hi << 4) | lo);
      }
      if (i == 16) {
        out.write(b);
        return;
      }
    }
    out.writeByte(ID_TEXT);
    writeString(id, out);
  }

  protected static String readEventId(DataInputView in) throws IOException {
    int tag = in.readByte();
    switch (tag) {
      case ID_NULL:
        return null;
      case ID_HEX128:
        byte[] bytes = new byte[16];
        in.readFully(bytes);
        char[] c = new char[32];
        for (int i = 0; i < 16; i++) {
          int b = bytes[i];
          c[2 * i] = HEX[(b >> 4) & 0xF];
          c[2 * i + 1] = HEX[b & 0xF];
        }
        return new String(c);
      case ID_TEXT:
        return readString(in);
      default:
        throw new IOException("unknown event id tag " + tag);
    }
  }
}
