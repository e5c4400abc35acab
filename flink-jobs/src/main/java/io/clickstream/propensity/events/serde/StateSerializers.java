package io.clickstream.propensity.events.serde;

import io.clickstream.propensity.features.DailyState;
import io.clickstream.propensity.features.SessionState;
import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Hand-written serializers of the streaming job's keyed state: the string keys and the per-key
 * states (a cart's seen event ids inside its session state). A heap-state checkpoint writes every key once per state and timer;
 * with Flink's String and POJO serializers these full snapshots took about a third of the job's
 * CPU (measured with JFR), and their bursts every checkpoint were the tail of the scoring latency.
 * The warm start writes its savepoint with the same descriptors, so both always agree.
 */
public final class StateSerializers {
  private StateSerializers() {}

  /** String keys of the cart, cart-product and user-product stages. */
  public static final TypeInformation<String> STRING_KEY =
      SerializerTypeInfo.forKey(String.class, () -> StringKeySerializer.INSTANCE);
  public static final TypeInformation<SessionState> SESSION_STATE =
      new SerializerTypeInfo<>(SessionState.class, () -> SessionStateSerializer.INSTANCE);
  public static final TypeInformation<DailyState> DAILY_STATE =
      new SerializerTypeInfo<>(DailyState.class, () -> DailyStateSerializer.INSTANCE);

  /** Base of the two string serializers: strings are immutable, copies are the same object. */
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

    /** Snapshot for state compatibility. */
    public static final class StringKeySnapshot extends SimpleTypeSerializerSnapshot<String> {
      public StringKeySnapshot() {
        super(() -> INSTANCE);
      }
    }
  }

  /** Serializer of {@link SessionState}. */
  public static final class SessionStateSerializer extends RecordSerializer<SessionState> {
    private static final long serialVersionUID = 1L;
    public static final SessionStateSerializer INSTANCE = new SessionStateSerializer();

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
        s.seenIds = io.clickstream.propensity.features.SeenIds.of(ids);
      }
      return s;
    }

    @Override
    public TypeSerializerSnapshot<SessionState> snapshotConfiguration() {
      return new SessionStateSnapshot();
    }

    /** Snapshot for state compatibility. */
    public static final class SessionStateSnapshot extends SimpleTypeSerializerSnapshot<SessionState> {
      public SessionStateSnapshot() {
        super(() -> INSTANCE);
      }
    }
  }

  /** Serializer of {@link DailyState}. */
  public static final class DailyStateSerializer extends RecordSerializer<DailyState> {
    private static final long serialVersionUID = 1L;
    public static final DailyStateSerializer INSTANCE = new DailyStateSerializer();

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

    /** Snapshot for state compatibility. */
    public static final class DailyStateSnapshot extends SimpleTypeSerializerSnapshot<DailyState> {
      public DailyStateSnapshot() {
        super(() -> INSTANCE);
      }
    }
  }
}
