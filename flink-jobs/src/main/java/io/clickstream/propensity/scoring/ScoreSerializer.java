package io.clickstream.propensity.scoring;

import io.clickstream.propensity.events.serde.RecordSerializer;
import io.clickstream.propensity.events.serde.RecordSerializerSnapshot;
import io.clickstream.propensity.events.serde.SerializerTypeInfo;
import java.io.IOException;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * Serializer of {@link Score}: every score crosses the network from the scorer to
 * {@code gold.session_scores}' writer, where reading it with Flink's reflective POJO serializer
 * took a tenth of the writer's thread. Fields in declaration order; a change of layout raises
 * {@link #LAYOUT}.
 */
public final class ScoreSerializer extends RecordSerializer<Score> {
  private static final long serialVersionUID = 1L;
  public static final ScoreSerializer INSTANCE = new ScoreSerializer();
  /** Version of the field layout below: raise it with any change of the layout. */
  public static final int LAYOUT = 1;
  /** The type of the scores stream. */
  public static final TypeInformation<Score> TYPE =
      new SerializerTypeInfo<>(Score.class, () -> INSTANCE);

  @Override
  public Score createInstance() {
    return new Score();
  }

  @Override
  public Score copy(Score from) {
    Score s = new Score();
    s.eventId = from.eventId;
    s.userId = from.userId;
    s.userSession = from.userSession;
    s.productId = from.productId;
    s.eventTime = from.eventTime;
    s.eventType = from.eventType;
    s.counts = from.counts == null ? null : from.counts.clone();
    s.late = from.late;
    s.propensity = from.propensity;
    s.action = from.action;
    s.modelName = from.modelName;
    s.modelVersion = from.modelVersion;
    s.ingestedAt = from.ingestedAt;
    s.scoredAt = from.scoredAt;
    return s;
  }

  @Override
  public void serialize(Score s, DataOutputView out) throws IOException {
    writeEventId(s.eventId, out);
    writeVarLong(s.userId, out);
    writeString(s.userSession, out);
    writeVarLong(s.productId, out);
    writeVarLong(s.eventTime, out);
    writeString(s.eventType, out);
    out.writeBoolean(s.counts != null);
    if (s.counts != null) {
      writeInts(s.counts, out);
    }
    out.writeBoolean(s.late);
    out.writeDouble(s.propensity);
    writeString(s.action, out);
    writeString(s.modelName, out);
    writeString(s.modelVersion, out);
    writeVarLong(s.ingestedAt, out);
    writeVarLong(s.scoredAt, out);
  }

  @Override
  public Score deserialize(DataInputView in) throws IOException {
    Score s = new Score();
    s.eventId = readEventId(in);
    s.userId = readVarLong(in);
    s.userSession = readString(in);
    s.productId = readVarLong(in);
    s.eventTime = readVarLong(in);
    s.eventType = readString(in);
    s.counts = in.readBoolean() ? readInts(in) : null;
    s.late = in.readBoolean();
    s.propensity = in.readDouble();
    s.action = readString(in);
    s.modelName = readString(in);
    s.modelVersion = readString(in);
    s.ingestedAt = readVarLong(in);
    s.scoredAt = readVarLong(in);
    return s;
  }

  @Override
  public TypeSerializerSnapshot<Score> snapshotConfiguration() {
    return new ScoreSnapshot();
  }

  /** Snapshot for compatibility checks: records the {@code LAYOUT} it was written with. */
  public static final class ScoreSnapshot extends RecordSerializerSnapshot<Score> {
    public ScoreSnapshot() {
      super("Score", LAYOUT, () -> INSTANCE);
    }
  }
}
