package io.clickstream.propensity.events.serde;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.events.IngestedRecord;
import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Hand-written serializers of the event records that cross shuffles and state ({@link ClickEvent},
 * {@link IngestedRecord}) and of string keys. Each field is written in declaration order; a change
 * of layout raises the serializer's {@code LAYOUT} version (see {@link RecordSerializerSnapshot}).
 */
public final class PipelineSerializers {
  private PipelineSerializers() {}

  public static final TypeInformation<ClickEvent> CLICK_EVENT =
      new SerializerTypeInfo<>(ClickEvent.class, () -> ClickEventSerializer.INSTANCE);
  public static final TypeInformation<IngestedRecord> INGESTED_RECORD =
      new SerializerTypeInfo<>(IngestedRecord.class, () -> IngestedRecordSerializer.INSTANCE);
  /** String keys ({@code keyBy}, map state keys). */
  public static final TypeInformation<String> STRING_KEY =
      SerializerTypeInfo.forKey(String.class, () -> StringKeySerializer.INSTANCE);

  private static final EventType[] TYPES = EventType.values();

  private static void writeEvent(ClickEvent e, DataOutputView out) throws IOException {
    RecordSerializer.writeEventId(e.eventId, out);
    RecordSerializer.writeVarLong(e.eventTime, out);
    out.writeByte(e.eventType.ordinal());
    RecordSerializer.writeVarLong(e.productId, out);
    RecordSerializer.writeNullableVarLong(e.categoryId, out);
    RecordSerializer.writeString(e.categoryCode, out);
    RecordSerializer.writeString(e.brand, out);
    RecordSerializer.writeDecimal(e.price, out);
    RecordSerializer.writeVarLong(e.userId, out);
    RecordSerializer.writeString(e.userSession, out);
    RecordSerializer.writeVarLong(e.sourceOrder, out);
    RecordSerializer.writeVarLong(e.sourceOffset, out);
    RecordSerializer.writeVarLong(e.ingestedAt, out);
  }

  private static ClickEvent readEvent(DataInputView in) throws IOException {
    ClickEvent e = new ClickEvent();
    e.eventId = RecordSerializer.readEventId(in);
    e.eventTime = RecordSerializer.readVarLong(in);
    e.eventType = TYPES[in.readByte()];
    e.productId = RecordSerializer.readVarLong(in);
    e.categoryId = RecordSerializer.readNullableVarLong(in);
    e.categoryCode = RecordSerializer.readString(in);
    e.brand = RecordSerializer.readString(in);
    e.price = RecordSerializer.readDecimal(in);
    e.userId = RecordSerializer.readVarLong(in);
    e.userSession = RecordSerializer.readString(in);
    e.sourceOrder = (int) RecordSerializer.readVarLong(in);
    e.sourceOffset = RecordSerializer.readVarLong(in);
    e.ingestedAt = RecordSerializer.readVarLong(in);
    return e;
  }

  private static ClickEvent copyEvent(ClickEvent from) {
    if (from == null) {
      return null;
    }
    ClickEvent e = new ClickEvent();
    e.eventId = from.eventId;
    e.eventTime = from.eventTime;
    e.eventType = from.eventType;
    e.productId = from.productId;
    e.categoryId = from.categoryId;
    e.categoryCode = from.categoryCode;
    e.brand = from.brand;
    e.price = from.price; // immutable
    e.userId = from.userId;
    e.userSession = from.userSession;
    e.sourceOrder = from.sourceOrder;
    e.sourceOffset = from.sourceOffset;
    e.ingestedAt = from.ingestedAt;
    return e;
  }

  /** Serializer of {@link ClickEvent}. */
  public static final class ClickEventSerializer extends RecordSerializer<ClickEvent> {
    private static final long serialVersionUID = 1L;
    public static final ClickEventSerializer INSTANCE = new ClickEventSerializer();
    /**
     * Version of the field layout below: raise it with any change of the layout, and the layouts
     * of the records that embed it (IngestedRecord, FeaturedEvent).
     */
    public static final int LAYOUT = 1;

    @Override
    public ClickEvent createInstance() {
      return new ClickEvent();
    }

    @Override
    public ClickEvent copy(ClickEvent from) {
      return copyEvent(from);
    }

    @Override
    public void serialize(ClickEvent record, DataOutputView target) throws IOException {
      writeEvent(record, target);
    }

    @Override
    public ClickEvent deserialize(DataInputView source) throws IOException {
      return readEvent(source);
    }

    @Override
    public TypeSerializerSnapshot<ClickEvent> snapshotConfiguration() {
      return new ClickEventSnapshot();
    }

    /** Snapshot for state compatibility: records the {@code LAYOUT} it was written with. */
    public static final class ClickEventSnapshot extends RecordSerializerSnapshot<ClickEvent> {
      public ClickEventSnapshot() {
        super("ClickEvent", LAYOUT, () -> INSTANCE);
      }
    }
  }

  /** Serializer of {@link IngestedRecord}. */
  public static final class IngestedRecordSerializer extends RecordSerializer<IngestedRecord> {
    private static final long serialVersionUID = 1L;
    public static final IngestedRecordSerializer INSTANCE = new IngestedRecordSerializer();
    /** Version of the field layout below: raise it with any change of the layout. */
    public static final int LAYOUT = 1;

    @Override
    public IngestedRecord createInstance() {
      return new IngestedRecord();
    }

    @Override
    public IngestedRecord copy(IngestedRecord from) {
      IngestedRecord r = new IngestedRecord();
      r.source = from.source;
      r.sourceOrder = from.sourceOrder;
      r.sourceOffset = from.sourceOffset;
      r.raw = from.raw;
      r.ingestedAt = from.ingestedAt;
      r.event = copyEvent(from.event);
      r.reason = from.reason;
      r.detail = from.detail;
      return r;
    }

    @Override
    public void serialize(IngestedRecord r, DataOutputView out) throws IOException {
      writeString(r.source, out);
      writeVarLong(r.sourceOrder, out);
      writeVarLong(r.sourceOffset, out);
      writeString(r.raw, out);
      writeVarLong(r.ingestedAt, out);
      out.writeBoolean(r.event != null);
      if (r.event != null) {
        writeEvent(r.event, out);
      }
      writeString(r.reason, out);
      writeString(r.detail, out);
    }

    @Override
    public IngestedRecord deserialize(DataInputView in) throws IOException {
      IngestedRecord r = new IngestedRecord();
      r.source = readString(in);
      r.sourceOrder = (int) readVarLong(in);
      r.sourceOffset = readVarLong(in);
      r.raw = readString(in);
      r.ingestedAt = readVarLong(in);
      r.event = in.readBoolean() ? readEvent(in) : null;
      r.reason = readString(in);
      r.detail = readString(in);
      return r;
    }

    @Override
    public TypeSerializerSnapshot<IngestedRecord> snapshotConfiguration() {
      return new IngestedRecordSnapshot();
    }

    /** Snapshot for state compatibility: records the {@code LAYOUT} it was written with. */
    public static final class IngestedRecordSnapshot
        extends RecordSerializerSnapshot<IngestedRecord> {
      public IngestedRecordSnapshot() {
        super("IngestedRecord", LAYOUT, () -> INSTANCE);
      }
    }
  }

  /** Base of the string serializers: strings are immutable, copies are the same object. */
  private abstract static class StringSerializerBase extends RecordSerializer<String> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean isImmutableType() {
      return true;
    }

    @Override
    public String createInstance() {
      return "";
    }

    @Override
    public String copy(String from) {
      return from;
    }
  }

  /** A string key, in {@link RecordSerializer#writeString}'s compact form. */
  public static final class StringKeySerializer extends StringSerializerBase {
    private static final long serialVersionUID = 1L;
    public static final StringKeySerializer INSTANCE = new StringKeySerializer();
    /** Version of the field layout below: raise it with any change of the layout. */
    public static final int LAYOUT = 1;

    @Override
    public void serialize(String s, DataOutputView out) throws IOException {
      writeString(s, out);
    }

    @Override
    public String deserialize(DataInputView in) throws IOException {
      return readString(in);
    }

    @Override
    public TypeSerializerSnapshot<String> snapshotConfiguration() {
      return new StringKeySnapshot();
    }

    /** Snapshot for state compatibility: records the {@code LAYOUT} it was written with. */
    public static final class StringKeySnapshot extends RecordSerializerSnapshot<String> {
      public StringKeySnapshot() {
        super("StringKey", LAYOUT, () -> INSTANCE);
      }
    }
  }
}
