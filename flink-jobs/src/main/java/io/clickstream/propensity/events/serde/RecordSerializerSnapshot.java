package io.clickstream.propensity.events.serde;

import java.io.IOException;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.util.Preconditions;

/**
 * Snapshot of a {@link RecordSerializer} that records the version of its field layout. State
 * written with this build's layout is compatible as is; any other layout is incompatible, and its
 * restore serializer refuses to read the bytes ({@link StateFormatException}) rather than misread
 * them. A change of a serializer's field layout must raise its layout version.
 */
public abstract class RecordSerializerSnapshot<T> implements TypeSerializerSnapshot<T> {
  /** Flink's SimpleTypeSerializerSnapshot wrote version 3 with no payload: layout 1. */
  private static final int SIMPLE_SNAPSHOT_VERSION = 3;
  private static final int FIRST_LAYOUT = 1;
  private static final int VERSION = 4;

  private final SerializerTypeInfo.SerializableSupplier<? extends TypeSerializer<T>> serializer;
  private final String record;
  private final int currentLayout;
  private int layout;

  protected RecordSerializerSnapshot(
      String record,
      int currentLayout,
      SerializerTypeInfo.SerializableSupplier<? extends TypeSerializer<T>> serializer) {
    Preconditions.checkArgument(currentLayout >= FIRST_LAYOUT, "layout versions start at 1");
    this.record = record;
    this.currentLayout = currentLayout;
    this.layout = currentLayout;
    this.serializer = serializer;
  }

  /** Version of the field layout this snapshot describes (written or read). */
  public final int layoutVersion() {
    return layout;
  }

  /** True when this build reads the state this snapshot describes. */
  public final boolean isCurrentLayout() {
    return layout == currentLayout;
  }

  /** One line naming the record and both layouts. */
  public final String describe() {
    return record + " state has layout " + layout + ", this build reads layout " + currentLayout;
  }

  @Override
  public int getCurrentVersion() {
    return VERSION;
  }

  @Override
  public void writeSnapshot(DataOutputView out) throws IOException {
    out.writeInt(layout);
  }

  @Override
  public void readSnapshot(int readVersion, DataInputView in, ClassLoader userCodeClassLoader)
      throws IOException {
    if (readVersion == SIMPLE_SNAPSHOT_VERSION) {
      layout = FIRST_LAYOUT;
    } else if (readVersion == VERSION) {
      layout = in.readInt();
    } else {
      throw new StateFormatException(record + " state has snapshot version " + readVersion
          + ", this build reads versions " + SIMPLE_SNAPSHOT_VERSION + " and " + VERSION);
    }
  }

  @Override
  public TypeSerializer<T> restoreSerializer() {
    return isCurrentLayout() ? serializer.get() : new RefusingSerializer<>(this);
  }

  @Override
  public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(
      TypeSerializerSnapshot<T> oldSnapshot) {
    if (oldSnapshot.getClass() == getClass()
        && ((RecordSerializerSnapshot<?>) oldSnapshot).layout == currentLayout) {
      return TypeSerializerSchemaCompatibility.compatibleAsIs();
    }
    return TypeSerializerSchemaCompatibility.incompatible();
  }

  /** Stands for a serializer of another layout: every read fails with the snapshot's line. */
  private static final class RefusingSerializer<T> extends TypeSerializer<T> {
    private static final long serialVersionUID = 1L;
    private final transient RecordSerializerSnapshot<T> snapshot;
    private final String message;

    RefusingSerializer(RecordSerializerSnapshot<T> snapshot) {
      this.snapshot = snapshot;
      this.message = snapshot.describe();
    }

    private StateFormatException refused() {
      return new StateFormatException(message);
    }

    @Override
    public boolean isImmutableType() {
      return false;
    }

    @Override
    public TypeSerializer<T> duplicate() {
      return this;
    }

    @Override
    public T createInstance() {
      throw new IllegalStateException(message);
    }

    @Override
    public T copy(T from) {
      throw new IllegalStateException(message);
    }

    @Override
    public T copy(T from, T reuse) {
      throw new IllegalStateException(message);
    }

    @Override
    public int getLength() {
      return -1;
    }

    @Override
    public void serialize(T record, DataOutputView target) throws IOException {
      throw refused();
    }

    @Override
    public T deserialize(DataInputView source) throws IOException {
      throw refused();
    }

    @Override
    public T deserialize(T reuse, DataInputView source) throws IOException {
      throw refused();
    }

    @Override
    public void copy(DataInputView source, DataOutputView target) throws IOException {
      throw refused();
    }

    @Override
    public boolean equals(Object obj) {
      return obj instanceof RefusingSerializer && ((RefusingSerializer<?>) obj).message.equals(message);
    }

    @Override
    public int hashCode() {
      return message.hashCode();
    }

    @Override
    public TypeSerializerSnapshot<T> snapshotConfiguration() {
      return snapshot;
    }
  }
}
