package io.clickstream.propensity.events.serde;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

/**
 * Base of the pipeline's hand-written serializers: a fixed field layout written in order, with
 * helpers for the nullable types. Records are copied by a serialize/deserialize round trip of
 * their own fields (see {@link #copy(Object)} in subclasses).
 */
abstract class RecordSerializer<T> extends TypeSerializerSingleton<T> {
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

  static void writeString(String s, DataOutputView out) throws IOException {
    StringValue.writeString(s, out); // handles null
  }

  static String readString(DataInputView in) throws IOException {
    return StringValue.readString(in);
  }

  static void writeNullableLong(Long v, DataOutputView out) throws IOException {
    out.writeBoolean(v != null);
    if (v != null) {
      out.writeLong(v);
    }
  }

  static Long readNullableLong(DataInputView in) throws IOException {
    return in.readBoolean() ? in.readLong() : null;
  }

  static void writeDecimal(BigDecimal d, DataOutputView out) throws IOException {
    out.writeBoolean(d != null);
    if (d != null) {
      byte[] unscaled = d.unscaledValue().toByteArray();
      out.writeInt(d.scale());
      out.writeByte(unscaled.length);
      out.write(unscaled);
    }
  }

  static BigDecimal readDecimal(DataInputView in) throws IOException {
    if (!in.readBoolean()) {
      return null;
    }
    int scale = in.readInt();
    byte[] unscaled = new byte[in.readUnsignedByte()];
    in.readFully(unscaled);
    return new BigDecimal(new BigInteger(unscaled), scale);
  }

  static void writeInts(int[] v, DataOutputView out) throws IOException {
    out.writeInt(v.length);
    for (int x : v) {
      out.writeInt(x);
    }
  }

  static int[] readInts(DataInputView in) throws IOException {
    int[] v = new int[in.readInt()];
    for (int i = 0; i < v.length; i++) {
      v[i] = in.readInt();
    }
    return v;
  }
}
