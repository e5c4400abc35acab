package io.clickstream.propensity.scoring;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.SerializedString;
import io.clickstream.propensity.features.FeatureRules;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import org.apache.flink.core.memory.ByteArrayOutputStreamWithPos;

/**
 * A score as the JSON value of the scores topic: the columns of {@code gold.session_scores}, flat,
 * features named as in the model, missing ratios as null, times as ISO-8601 UTC (as
 * {@link Instant#toString}). Written with Jackson's streaming generator straight to UTF-8 bytes.
 *
 * <p>One score per scored click makes this the hottest serializer of the job: one generator and
 * buffer are reused per instance, the 63 field names are encoded once, and times are formatted
 * without {@code DateTimeFormatter} (three per score). An instance is used by one thread, as Kafka sink writers do.
 */
public final class ScoreJson
    implements org.apache.flink.api.common.serialization.SerializationSchema<Score> {
  private static final long serialVersionUID = 1L;
  // Schubfach instead of Double.toString for the ratios and the propensity (same values read back)
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER).build();
  private static final SerializedString EVENT_ID = new SerializedString("event_id");
  private static final SerializedString USER_ID = new SerializedString("user_id");
  private static final SerializedString USER_SESSION = new SerializedString("user_session");
  private static final SerializedString PRODUCT_ID = new SerializedString("product_id");
  private static final SerializedString EVENT_TIME = new SerializedString("event_time");
  private static final SerializedString EVENT_TYPE = new SerializedString("event_type");
  private static final SerializedString LATE = new SerializedString("late");
  private static final SerializedString PROPENSITY = new SerializedString("propensity");
  private static final SerializedString ACTION = new SerializedString("action");
  private static final SerializedString MODEL_NAME = new SerializedString("model_name");
  private static final SerializedString MODEL_VERSION = new SerializedString("model_version");
  private static final SerializedString INGESTED_AT = new SerializedString("ingested_at");
  private static final SerializedString SCORED_AT = new SerializedString("scored_at");
  private static final SerializableString[] FEATURES = FeatureRules.MODEL_FEATURES.stream()
      .map(SerializedString::new).toArray(SerializableString[]::new);

  // unsynchronized and one array: Jackson's ByteArrayBuilder walks a list of blocks per message
  private transient ByteArrayOutputStreamWithPos bytes;
  private transient JsonGenerator generator;
  private transient UtcTimes times;

  @Override
  public byte[] serialize(Score s) {
    try {
      if (generator == null) {
        bytes = new ByteArrayOutputStreamWithPos(4096);
        generator = FACTORY.createGenerator(bytes, JsonEncoding.UTF8);
        generator.setRootValueSeparator(null); // one object per message, nothing between
        times = new UtcTimes();
      }
      write(s, generator, times);
      generator.flush();
      byte[] out = bytes.toByteArray();
      bytes.reset();
      return out;
    } catch (IOException e) {
      generator = null; // start over with a fresh generator
      throw new UncheckedIOException("cannot write score " + s.eventId + " as JSON", e);
    }
  }

  private static void write(Score s, JsonGenerator g, UtcTimes times) throws IOException {
    g.writeStartObject();
    g.writeFieldName(EVENT_ID);
    g.writeString(s.eventId);
    g.writeFieldName(USER_ID);
    g.writeNumber(s.userId);
    g.writeFieldName(USER_SESSION);
    g.writeString(s.userSession);
    g.writeFieldName(PRODUCT_ID);
    g.writeNumber(s.productId);
    g.writeFieldName(EVENT_TIME);
    times.write(g, s.eventTime * 1000L);
    g.writeFieldName(EVENT_TYPE);
    g.writeString(s.eventType);
    double[] v = s.features();
    for (int i = 0; i < v.length; i++) {
      g.writeFieldName(FEATURES[i]);
      if (Double.isNaN(v[i])) {
        g.writeNull();
      } else if (FeatureRules.isCount(i)) {
        g.writeNumber((long) v[i]);
      } else {
        g.writeNumber(v[i]);
      }
    }
    g.writeFieldName(LATE);
    g.writeBoolean(s.late);
    g.writeFieldName(PROPENSITY);
    g.writeNumber(s.propensity);
    g.writeFieldName(ACTION);
    g.writeString(s.action);
    g.writeFieldName(MODEL_NAME);
    g.writeString(s.modelName);
    g.writeFieldName(MODEL_VERSION);
    g.writeString(s.modelVersion);
    g.writeFieldName(INGESTED_AT);
    times.write(g, s.ingestedAt);
    g.writeFieldName(SCORED_AT);
    times.write(g, s.scoredAt);
    g.writeEndObject();
  }

  /**
   * Epoch milliseconds as {@link Instant#toString} writes them ({@code 2019-10-02T07:06:40Z},
   * {@code ...:40.123Z}), with the date of the last day written kept; years outside 0-9999 go
   * through {@code Instant}.
   */
  static final class UtcTimes {
    private static final long MILLIS_PER_DAY = 86_400_000L;
    private static final long MAX_MILLIS = 253_402_300_800_000L; // 10000-01-01
    private final char[] buf = new char[24];
    private long day = Long.MIN_VALUE;

    void write(JsonGenerator g, long epochMillis) throws IOException {
      if (epochMillis < -62_167_219_200_000L || epochMillis >= MAX_MILLIS) {
        g.writeString(Instant.ofEpochMilli(epochMillis).toString());
        return;
      }
      long d = Math.floorDiv(epochMillis, MILLIS_PER_DAY);
      if (d != day) {
        LocalDate date = LocalDate.ofEpochDay(d);
        digits(date.getYear(), 0, 4);
        buf[4] = '-';
        digits(date.getMonthValue(), 5, 2);
        buf[7] = '-';
        digits(date.getDayOfMonth(), 8, 2);
        buf[10] = 'T';
        day = d;
      }
      int ms = (int) Math.floorMod(epochMillis, MILLIS_PER_DAY);
      digits(ms / 3_600_000, 11, 2);
      buf[13] = ':';
      digits(ms / 60_000 % 60, 14, 2);
      buf[16] = ':';
      digits(ms / 1000 % 60, 17, 2);
      int len = 19;
      if (ms % 1000 != 0) {
        buf[19] = '.';
        digits(ms % 1000, 20, 3);
        len = 23;
      }
      buf[len++] = 'Z';
      g.writeString(buf, 0, len);
    }

    private void digits(int value, int at, int width) {
      for (int i = at + width - 1; i >= at; i--) {
        buf[i] = (char) ('0' + value % 10);
        value /= 10;
      }
    }
  }

  /** Kafka key of a score: its event_id (UTF-8). */
  public static final class Key
      implements org.apache.flink.api.common.serialization.SerializationSchema<Score> {
    private static final long serialVersionUID = 1L;

    @Override
    public byte[] serialize(Score s) {
      return s.eventId.getBytes(StandardCharsets.UTF_8);
    }
  }
}
