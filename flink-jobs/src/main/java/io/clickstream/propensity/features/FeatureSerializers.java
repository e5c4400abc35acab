package io.clickstream.propensity.features;

import io.clickstream.propensity.events.serde.PipelineSerializers.ClickEventSerializer;
import io.clickstream.propensity.events.serde.RecordSerializer;
import io.clickstream.propensity.events.serde.RecordSerializerSnapshot;
import io.clickstream.propensity.events.serde.SerializerTypeInfo;
import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Hand-written serializers of the feature records: {@link FeaturedEvent} and {@link KeyMetrics}
 * (shuffles, side outputs) and the keyed state {@link SessionState} and {@link DailyState}. A
 * heap-state checkpoint writes every key once per state and timer, so these are on the
 * checkpoint's hot path; the warm start writes its savepoint with the same descriptors, so both
 * always agree. Each field is written in declaration order; a change of layout raises the
 * serializer's {@code LAYOUT} version (see {@link RecordSerializerSnapshot}).
 */
public final class FeatureSerializers {
  private FeatureSerializers() {}

  public static final TypeInformation<FeaturedEvent> FEATURED_EVENT =
      new SerializerTypeInfo<>(FeaturedEvent.class, () -> FeaturedEventSerializer.INSTANCE);
  public static final TypeInformation<KeyMetrics> KEY_METRICS =
      new SerializerTypeInfo<>(KeyMetrics.class, () -> KeyMetricsSerializer.INSTANCE);
  public static final TypeInformation<SessionState> SESSION_STATE =
      new SerializerTypeInfo<>(SessionState.class, () -> SessionStateSerializer.INSTANCE);
  public static final TypeInformation<DailyState> DAILY_STATE =
      new SerializerTypeInfo<>(DailyState.class, () -> DailyStateSerializer.INSTANCE);

  private static final ClickEventSerializer EVENT = ClickEventSerializer.INSTANCE;
  private static final FeatureSet[] SETS = FeatureSet.values();

  /** Serializer of {@link FeaturedEvent}. */
  public static final class FeaturedEventSerializer extends RecordSerializer<FeaturedEvent> {
    private static final long serialVersionUID = 1L;
    public static final FeaturedEventSerializer INSTANCE = new FeaturedEventSerializer();
    /** Version of the field layout below: raise it with any change of the layout. */
    public static final int LAYOUT = 1;

    @Override
    public FeaturedEvent createInstance() {
      return new FeaturedEvent();
    }

    @Override
    public FeaturedEvent copy(FeaturedEvent from) {
      FeaturedEvent f = new FeaturedEvent();
      f.event = EVENT.copy(from.event);
      f.counts = from.counts.clone();
      f.late = from.late;
      f.label = from.label;
      return f;
    }

    @Override
    public void serialize(FeaturedEvent f, DataOutputView out) throws IOException {
      EVENT.serialize(f.event, out);
      writeInts(f.counts, out);
      out.writeBoolean(f.late);
      out.writeByte(f.label);
    }

    @Override
    public FeaturedEvent deserialize(DataInputView in) throws IOException {
      FeaturedEvent f = new FeaturedEvent();
      f.event = EVENT.deserialize(in);
      f.counts = readInts(in);
      f.late = in.readBoolean();
      f.label = in.readByte();
      return f;
    }

    @Override
    public TypeSerializerSnapshot<FeaturedEvent> snapshotConfiguration() {
      return new FeaturedEventSnapshot();
    }

    /** Snapshot for state compatibility: records the {@code LAYOUT} it was written with. */
    public static final class FeaturedEventSnapshot
        extends RecordSerializerSnapshot<FeaturedEvent> {
      public FeaturedEventSnapshot() {
        super("FeaturedEvent", LAYOUT, () -> INSTANCE);
      }
    }
  }

  /** Serializer of {@link KeyMetrics}. */
  public static final class KeyMetricsSerializer extends RecordSerializer<KeyMetrics> {
    private static final long serialVersionUID = 1L;
    public static final KeyMetricsSerializer INSTANCE = new KeyMetricsSerializer();
    /** Version of the field layout below: raise it with any change of the layout. */
    public static final int LAYOUT = 1;

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

    /** Snapshot for state compatibility: records the {@code LAYOUT} it was written with. */
    public static final class KeyMetricsSnapshot extends RecordSerializerSnapshot<KeyMetrics> {
      public KeyMetricsSnapshot() {
        super("KeyMetrics", LAYOUT, () -> INSTANCE);
      }
    }
  }

  /** Serializer of {@link SessionState}. */
  public static final class SessionStateSerializer extends RecordSerializer<SessionState> {
    private static final long serialVersionUID = 1L;
    public static final SessionStateSerializer INSTANCE = new SessionStateSerializer();
    /** Version of the field layout below: raise it with any change of the layout. */
    public static final int LAYOUT = 1;

    @Override
    public SessionState createInstance() {
      return new SessionState();
    }

    @Override
    public SessionState copy(SessionState from) {
      SessionState s = new SessionState();
      s.counts = from.counts.clone();
      s.newestEventTime = from.newestEventTime;
      s.purchasedSinceRestart = from.purchasedSinceRestart;
      s.userId = from.userId;
      s.userSession = from.userSession;
      s.productId = from.productId;
      s.seenIds = from.seenIds == null ? null : from.seenIds.copy();
      return s;
    }

    @Override
    public void serialize(SessionState s, DataOutputView out) throws IOException {
      writeInts(s.counts, out);
      writeVarLong(s.newestEventTime, out);
      out.writeBoolean(s.purchasedSinceRestart);
      writeVarLong(s.userId, out);
      writeString(s.userSession, out);
      writeVarLong(s.productId, out);
      long[] ids = s.seenIds == null ? null : s.seenIds.pairs();
      writeVarLong(ids == null ? 0 : ids.length / 2 + 1, out); // 0 = none
      if (ids != null) {
        for (long v : ids) {
          out.writeLong(v);
        }
      }
    }

    @Override
    public SessionState deserialize(DataInputView in) throws IOException {
      SessionState s = new SessionState();
      s.counts = readInts(in);
      s.newestEventTime = readVarLong(in);
      s.purchasedSinceRestart = in.readBoolean();
      s.userId = readVarLong(in);
      s.userSession = readString(in);
      s.productId = readVarLong(in);
      long n = readVarLong(in);
      if (n > 0) {
        long[] ids = new long[(int) (2 * (n - 1))];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = in.readLong();
        }
        s.seenIds = SeenIds.of(ids);
      }
      return s;
    }

    @Override
    public TypeSerializerSnapshot<SessionState> snapshotConfiguration() {
      return new SessionStateSnapshot();
    }

    /** Snapshot for state compatibility: records the {@code LAYOUT} it was written with. */
    public static final class SessionStateSnapshot extends RecordSerializerSnapshot<SessionState> {
      public SessionStateSnapshot() {
        super("SessionState", LAYOUT, () -> INSTANCE);
      }
    }
  }

  /** Serializer of {@link DailyState}. */
  public static final class DailyStateSerializer extends RecordSerializer<DailyState> {
    private static final long serialVersionUID = 1L;
    public static final DailyStateSerializer INSTANCE = new DailyStateSerializer();
    /** Version of the field layout below: raise it with any change of the layout. */
    public static final int LAYOUT = 1;

    @Override
    public DailyState createInstance() {
      return new DailyState();
    }

    @Override
    public DailyState copy(DailyState from) {
      DailyState s = new DailyState();
      s.base = from.base.clone();
      s.snapshotDay = from.snapshotDay;
      s.newestEventTime = from.newestEventTime;
      s.userId = from.userId;
      s.productId = from.productId;
      s.pendingDays = from.pendingDays.clone();
      s.pendingCounts = from.pendingCounts.clone();
      return s;
    }

    @Override
    public void serialize(DailyState s, DataOutputView out) throws IOException {
      writeInts(s.base, out);
      writeVarLong(s.snapshotDay, out);
      writeVarLong(s.newestEventTime, out);
      writeVarLong(s.userId, out);
      writeVarLong(s.productId, out);
      writeVarLong(s.pendingDays.length, out);
      for (long day : s.pendingDays) {
        writeVarLong(day, out);
      }
      writeInts(s.pendingCounts, out);
    }

    @Override
    public DailyState deserialize(DataInputView in) throws IOException {
      DailyState s = new DailyState();
      s.base = readInts(in);
      s.snapshotDay = readVarLong(in);
      s.newestEventTime = readVarLong(in);
      s.userId = readVarLong(in);
      s.productId = readVarLong(in);
      s.pendingDays = new long[(int) readVarLong(in)];
      for (int i = 0; i < s.pendingDays.length; i++) {
        s.pendingDays[i] = readVarLong(in);
      }
      s.pendingCounts = readInts(in);
      return s;
    }

    @Override
    public TypeSerializerSnapshot<DailyState> snapshotConfiguration() {
      return new DailyStateSnapshot();
    }

    /** Snapshot for state compatibility: records the {@code LAYOUT} it was written with. */
    public static final class DailyStateSnapshot extends RecordSerializerSnapshot<DailyState> {
      public DailyStateSnapshot() {
        super("DailyState", LAYOUT, () -> INSTANCE);
      }
    }
  }
}
