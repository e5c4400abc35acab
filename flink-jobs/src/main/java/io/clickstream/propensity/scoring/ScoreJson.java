package io.clickstream.propensity.scoring;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.propensity.features.FeatureRules;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.apache.flink.api.common.serialization.SerializationSchema;

/**
 * A score as the JSON value of the scores topic: the columns of {@code gold.session_scores}, flat,
 * features named as in the model, missing ratios as null, times as ISO-8601 UTC.
 */
public final class ScoreJson implements SerializationSchema<Score> {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Override
  public byte[] serialize(Score s) {
    return toJson(s).toString().getBytes(StandardCharsets.UTF_8);
  }

  public static ObjectNode toJson(Score s) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("event_id", s.eventId);
    o.put("user_id", s.userId);
    o.put("user_session", s.userSession);
    o.put("product_id", s.productId);
    o.put("event_time", Instant.ofEpochSecond(s.eventTime).toString());
    o.put("event_type", s.eventType);
    double[] v = s.features();
    for (int i = 0; i < v.length; i++) {
      String name = FeatureRules.MODEL_FEATURES.get(i);
      if (Double.isNaN(v[i])) {
        o.putNull(name);
      } else if (FeatureRules.isCount(i)) {
        o.put(name, (long) v[i]);
      } else {
        o.put(name, v[i]);
      }
    }
    o.put("late", s.late);
    o.put("propensity", s.propensity);
    o.put("action", s.action);
    o.put("model_name", s.modelName);
    o.put("model_version", s.modelVersion);
    o.put("ingested_at", Instant.ofEpochMilli(s.ingestedAt).toString());
    o.put("scored_at", Instant.ofEpochMilli(s.scoredAt).toString());
    return o;
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
