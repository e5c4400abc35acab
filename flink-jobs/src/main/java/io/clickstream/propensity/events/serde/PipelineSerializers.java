package io.clickstream.propensity.events.serde;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.events.IngestedRecord;
import io.clickstream.propensity.features.FeatureSet;
import io.clickstream.propensity.features.FeaturedEvent;
import io.clickstream.propensity.features.KeyMetrics;
import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Hand-written serializers of the records that cross shuffles and state: {@link ClickEvent},
 * {@link IngestedRecord}, {@link FeaturedEvent} and {@link KeyMetrics}. Each field is written in
 * declaration order; a change of layout needs a new serializer version (snapshot class).
 */
public final class PipelineSerializers {
  private PipelineSerializers() {}

  public static final TypeInformation<ClickEvent> CLICK_EVENT =
      new SerializerTypeInfo<>(ClickEvent.class, () -> ClickEventSerializer.INSTANCE);
  public static final TypeInformation<IngestedRecord> INGESTED_RECORD =
      new SerializerTypeInfo<>(IngestedRecord.class, () -> IngestedRecordSerializer.INSTANCE);
  public static final TypeInformation<FeaturedEvent> FEATURED_EVENT =
      new SerializerTypeInfo<>(FeaturedEvent.class, () -> FeaturedEventSerializer.INSTANCE);
  public static final TypeInformation<KeyMetrics> KEY_METRICS =
      new SerializerTypeInfo<>(KeyMetrics.class, () -> KeyMetricsSerializer.INSTANCE);

  private static final EventType[] TYPES = EventType.values();
  private static final FeatureSet[] SETS = FeatureSet.values();

  static void writeEvent(ClickEvent e, DataOutputView out) throws IOException {
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

  static ClickEvent readEvent(DataInputView in) throws IOException {
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

  static ClickEvent copyEvent(ClickEvent from) {
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

    /** Snapshot for state compatibility. */
    public static final class ClickEventSnapshot extends SimpleTypeSerializerSnapshot<ClickEvent> {
      public ClickEventSnapshot() {
        super(() -> INSTANCE);
      }
    }
  }

  /** Serializer of {@link IngestedRecord}. */
  public static final class IngestedRecordSerializer extends RecordSerializer<IngestedRecord> {
    private static final long serialVersionUID = 1L;
    public static final IngestedRecordSerializer INSTANCE = new IngestedRecordSerializer();

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

    /** Snapshot for state compatibility. */
    public static final class IngestedRecordSnapshot
        extends SimpleTypeSerializerSnapshot<IngestedRecord> {
      public IngestedRecordSnapshot() {
        super(() -> INSTANCE);
      }
    }
  }

  /** Serializer of {@link FeaturedEvent}. */
  public static final class FeaturedEventSerializer extends RecordSerializer<FeaturedEvent> {
    private static final long serialVersionUID = 1L;
    public static final FeaturedEventSerializer INSTANCE = new FeaturedEventSerializer();

    @Override
    public FeaturedEvent createInstance() {
      return new FeaturedEvent();
    }

    @Override
    public FeaturedEvent copy(FeaturedEvent from) {
      FeaturedEvent f = new FeaturedEvent();
      f.event = copyEvent(from.event);
      f.counts = from.counts.clone();
      f.late = from.late;
      f.label = from.label;
      return f;
    }

    @Override
    public void serialize(FeaturedEvent f, DataOutputView out) throws IOException {
      writeEvent(f.event, out);
      writeInts(f.counts, out);
      out.writeBoolean(f.late);
      out.writeByte(f.label);
    }

    @Override
    public FeaturedEvent deserialize(DataInputView in) throws IOException {
      FeaturedEvent f = new FeaturedEvent();
      f.event = readEvent(in);
      f.counts = readInts(in);
      f.late = in.readBoolean();
      f.label = in.readByte();
      return f;
    }

    @Override
    public TypeSerializerSnapshot<FeaturedEvent> snapshotConfiguration() {
      return new FeaturedEventSnapshot();
    }

    /** Snapshot for state compatibility. */
    public static final class FeaturedEventSnapshot
        extends SimpleTypeSerializerSnapshot<FeaturedEvent> {
      public FeaturedEventSnapshot() {
        super(() -> INSTANCE);
      }
    }
  }

  /** Serializer of {@link KeyMetrics}. */
  public static final class KeyMetricsSerializer extends RecordSerializer<KeyMetrics> {
    private static final long serialVersionUID = 1L;
    public static final KeyMetricsSerializer INSTANCE = new KeyMetricsSerializer();

    @Override
    public KeyMetrics createInstance() {
      return new KeyMetrics();
    }

    @Override
    public KeyMetrics copy(KeyMetrics from) {
      KeyMetrics m = new KeyMetrics();
      m.set = from.set;
      m.userId = from.userId;
      m.userSession = from.userSession;
      m.productId = from.productId;
      m.counts = from.counts.clone();
      m.lastEventTime = from.lastEventTime;
      return m;
    }

    @Override
    public void serialize(KeyMetrics m, DataOutputView out) throws IOException {
      out.writeByte(m.set.ordinal());
      writeVarLong(m.userId, out);
      writeString(m.userSession, out);
      writeVarLong(m.productId, out);
      writeInts(m.counts, out);
      writeVarLong(m.lastEventTime, out);
    }

    @Override
    public KeyMetrics deserialize(DataInputView in) throws IOException {
      KeyMetrics m = new KeyMetrics();
      m.set = SETS[in.readByte()];
      m.userId = readVarLong(in);
      m.userSession = readString(in);
      m.productId = readVarLong(in);
      m.counts = readInts(in);
      m.lastEventTime = readVarLong(in);
      return m;
    }

    @Override
    public TypeSerializerSnapshot<KeyMetrics> snapshotConfiguration() {
      return new KeyMetricsSnapshot();
    }

    /** Snapshot for state compatibility. */
    public static final class KeyMetricsSnapshot extends SimpleTypeSerializerSnapshot<KeyMetrics> {
      public KeyMetricsSnapshot() {
        super(() -> INSTANCE);
      }
    }
  }
}
