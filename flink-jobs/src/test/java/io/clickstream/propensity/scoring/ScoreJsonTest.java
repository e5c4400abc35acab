package io.clickstream.propensity.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.propensity.features.FeatureRules;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The scores topic's JSON: every column of gold.session_scores, features by model name. */
class ScoreJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Score score() {
    Score s = new Score();
    s.eventId = "0123456789abcdef0123456789abcdef";
    s.userId = 520_088_904L;
    s.userSession = "sess \"quoted\" é";
    s.productId = 5_100_816L;
    s.eventTime = 1_570_000_000L;
    s.eventType = "cart";
    s.counts = new int[FeatureRules.SETS * FeatureRules.COUNTS_PER_SET];
    s.counts[0] = 3; // cart events
    s.counts[1] = 2; // cart views
    s.late = true;
    s.propensity = 0.4321;
    s.action = "offer_incentive";
    s.modelName = "propensity-gbdt";
    s.modelVersion = "v1";
    s.ingestedAt = 1_795_600_000_123L;
    s.scoredAt = 1_795_600_000_456L;
    return s;
  }

  @Test
  void everyColumnWithFeaturesNamedAsInTheModel() throws Exception {
    Score s = score();
    JsonNode o = JSON.readTree(new ScoreJson().serialize(s));
    assertThat(o.get("event_id").asText()).isEqualTo(s.eventId);
    assertThat(o.get("user_id").asLong()).isEqualTo(s.userId);
    assertThat(o.get("user_session").asText()).isEqualTo(s.userSession);
    assertThat(o.get("product_id").asLong()).isEqualTo(s.productId);
    assertThat(o.get("event_time").asText()).isEqualTo("2019-10-02T07:06:40Z");
    assertThat(o.get("event_type").asText()).isEqualTo("cart");
    assertThat(o.get("late").asBoolean()).isTrue();
    assertThat(o.get("propensity").asDouble()).isEqualTo(0.4321);
    assertThat(o.get("action").asText()).isEqualTo("offer_incentive");
    assertThat(o.get("model_name").asText()).isEqualTo("propensity-gbdt");
    assertThat(o.get("model_version").asText()).isEqualTo("v1");
    assertThat(o.get("ingested_at").asText()).isEqualTo("2026-11-25T09:46:40.123Z");
    assertThat(o.get("scored_at").asText()).isEqualTo("2026-11-25T09:46:40.456Z");

    double[] v = s.features();
    assertThat(o.size()).isEqualTo(13 + v.length);
    for (int i = 0; i < v.length; i++) {
      JsonNode f = o.get(FeatureRules.MODEL_FEATURES.get(i));
      assertThat(f).as(FeatureRules.MODEL_FEATURES.get(i)).isNotNull();
      if (Double.isNaN(v[i])) {
        assertThat(f.isNull()).as("missing ratio as null").isTrue();
      } else if (FeatureRules.isCount(i)) {
        assertThat(f.isIntegralNumber()).as("count as an integer").isTrue();
        assertThat(f.asLong()).isEqualTo((long) v[i]);
      } else {
        assertThat(f.asDouble()).isEqualTo(v[i]);
      }
    }
    assertThat(o.get(FeatureRules.MODEL_FEATURES.get(0)).asLong()).isEqualTo(3);
  }

  @Test
  void keyIsTheEventId() {
    assertThat(new String(new ScoreJson.Key().serialize(score()), StandardCharsets.UTF_8))
        .isEqualTo("0123456789abcdef0123456789abcdef");
  }

  @Test
  void topicRecordIsKeyedByEventIdAndStampedWithTheScoringTimeNotTheEventTime() throws Exception {
    Score s = score();
    var record = new ScoreRecords("scores").serialize(s, null, s.eventTime * 1000L);
    assertThat(record.topic()).isEqualTo("scores");
    assertThat(record.partition()).as("partitioned by the producer, by key").isNull();
    assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo(s.eventId);
    assertThat(JSON.readTree(record.value()).get("event_id").asText()).isEqualTo(s.eventId);
    assertThat(record.timestamp()).isEqualTo(s.scoredAt);
  }

  @Test
  void oneInstanceWritesScoreAfterScoreWithTimesAsInstantWritesThem() throws Exception {
    ScoreJson json = new ScoreJson();
    long[] times = {0L, 1L, 999L, 1_000L, -1L, -86_400_001L, 1_570_000_000_000L,
        1_795_600_000_123L, 1_795_600_000_120L, 253_402_300_799_999L, 253_402_300_800_000L,
        -62_167_219_200_000L, -62_167_219_200_001L, 951_782_400_000L /* 2000-02-29 */};
    for (long t : times) {
      Score s = score();
      s.ingestedAt = t;
      s.scoredAt = t + 86_400_000L;
      JsonNode o = JSON.readTree(json.serialize(s));
      assertThat(o.get("ingested_at").asText()).as("time %d", t)
          .isEqualTo(java.time.Instant.ofEpochMilli(t).toString());
      assertThat(o.get("scored_at").asText()).as("time %d + 1 day", t)
          .isEqualTo(java.time.Instant.ofEpochMilli(t + 86_400_000L).toString());
      assertThat(o.get("event_id").asText()).isEqualTo(s.eventId);
      assertThat(o.size()).isEqualTo(13 + s.features().length);
    }
  }
}
