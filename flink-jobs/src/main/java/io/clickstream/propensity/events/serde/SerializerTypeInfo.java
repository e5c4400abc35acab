package io.clickstream.propensity.events.serde;

import java.util.function.Supplier;
import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

/**
 * Type information whose serializer is a hand-written one: the pipeline's records cross several
 * shuffles and live in keyed state, where Flink's reflective POJO serializer is costly.
 */
public final class SerializerTypeInfo<T> extends TypeInformation<T> {
  private static final long serialVersionUID = 1L;

  private final Class<T> type;
  private final SerializableSupplier<TypeSerializer<T>> serializer;
  private final boolean keyType;

  /** A supplier that Flink can ship with the job graph. */
  public interface SerializableSupplier<S> extends Supplier<S>, java.io.Serializable {}

  public SerializerTypeInfo(Class<T> type, SerializableSupplier<TypeSerializer<T>> serializer) {
    this(type, serializer, false);
  }

  private SerializerTypeInfo(
      Class<T> type, SerializableSupplier<TypeSerializer<T>> serializer, boolean keyType) {
    this.type = type;
    this.serializer = serializer;
    this.keyType = keyType;
  }

  /** Type information of a key ({@code keyBy}, map state keys): {@code T} must define equals and hashCode. */
  public static <T> SerializerTypeInfo<T> forKey(
      Class<T> type, SerializableSupplier<TypeSerializer<T>> serializer) {
    return new SerializerTypeInfo<>(type, serializer, true);
  }

  @Override
  public boolean isBasicType() {
    return false;
  }

  @Override
  public boolean isTupleType() {
    return false;
  }

  @Override
  public int getArity() {
    return 1;
  }

  @Override
  public int getTotalFields() {
    return 1;
  }

  @Override
  public Class<T> getTypeClass() {
    return type;
  }

  @Override
  public boolean isKeyType() {
    return keyType;
  }

  @Override
  public TypeSerializer<T> createSerializer(SerializerConfig config) {
    return serializer.get();
  }

  @Override
  public String toString() {
    return type.getSimpleName() + "(" + serializer.get().getClass().getSimpleName() + ")";
  }

  @Override
  public boolean equals(Object obj) {
    // one class can have several serializers (a String as a key or as an event id)
    return obj instanceof SerializerTypeInfo && ((SerializerTypeInfo<?>) obj).type == type
        && ((SerializerTypeInfo<?>) obj).serializer.get().getClass() == serializer.get().getClass();
  }

  @Override
  public int hashCode() {
    return 31 * type.hashCode() + serializer.get().getClass().hashCode();
  }

  @Override
  public boolean canEqual(Object obj) {
    return obj instanceof SerializerTypeInfo;
  }
}
