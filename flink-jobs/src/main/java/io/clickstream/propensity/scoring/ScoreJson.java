package io.clickstream.propensity.scoring;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.clickstream.propensity.features.FeatureRules;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.flink.api.common.serialization.SerializationSchema;

/**
 * A score as the JSON value of the scores topic: the columns of {@code gold.session_scores}, flat,
 * features named as in the model, missing ratios as null, times as ISO-8601 UTC. Written with
 * Jackson's streaming generator straight to UTF-8 bytes (one per scored click: no tree, no
 * intermediate String).
 */
public final class ScoreJson implements SerializationSchema<Score> {
  private static final long serialVersionUID = 1L;
  private static final JsonFactory FACTORY = new JsonFactory();

  @Override
  public byte[] serialize(Score s) {
    return toJson(s);
  }

  /** The score's JSON object as UTF-8 bytes. */
  public static byte[] toJson(Score s) {
    try (ByteArrayBuilder bytes = new ByteArrayBuilder(2048)) {
      try (JsonGenerator g = FACTORY.createGenerator(bytes, JsonEncoding.UTF8)) {
        g.writeStartObject();
        g.writeStringField("event_id", s.eventId);
        g.writeNumberField("user_id", s.userId);
        g.writeStringField("user_session", s.userSession);
        g.writeNumberField("product_id", s.productId);
        g.writeStringField("event_time", Instant.ofEpochSecond(s.eventTime).toString());
        g.writeStringField("event_type", s.eventType);
        double[] v = s.features();
        for (int i = 0; i < v.length; i++) {
          g.writeFieldName(FeatureRules.MODEL_FEATURES.get(i));
          if (Double.isNaN(v[i])) {
            g.writeNull();
          } else if (FeatureRules.isCount(i)) {
            g.writeNumber((long) v[i]);
          } else {
            g.writeNumber(v[i]);
          }
        }
        g.writeBooleanField("late", s.late);
        g.writeNumberField("propensity", s.propensity);
        g.writeStringField("action", s.action);
        g.writeStringField("model_name", s.modelName);
        g.writeStringField("model_version", s.modelVersion);
        g.writeStringField("ingested_at", Instant.ofEpochMilli(s.ingestedAt).toString());
        g.writeStringField("scored_at", Instant.ofEpochMilli(s.scoredAt).toString());
        g.writeEndObject();
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write score " + s.eventId + " as JSON", e);
    }
  }

  /** Kafka key of a score: its event_id (UTF-8). */
  public static final class Key implements SerializationSchema<Score> {
    private static final long serialVersionUID = 1L;

    @Override
    public byte[] serialize(Score s) {
      return s.eventId.getBytes(StandardCharsets.UTF_8);
    }
  }
}
