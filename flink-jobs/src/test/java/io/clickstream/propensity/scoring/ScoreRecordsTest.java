package io.clickstream.propensity.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.propensity.testing.EmbeddedKafka;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.InvalidTimestampException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Scores as Kafka records: stamped with the scoring time, so any event time gets through. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ScoreRecordsTest {
  @RegisterExtension static EmbeddedKafka kafka = new EmbeddedKafka();

  private static Score farFuture() {
    Score s = ScoreJsonTest.score();
    s.eventTime = Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();
    s.scoredAt = System.currentTimeMillis();
    return s;
  }

  @Test
  void keyValueAndTheScoringTimeAsTimestamp() throws Exception {
    Score s = farFuture();
    ProducerRecord<byte[], byte[]> r =
        new ScoreRecords("scores").serialize(s, null, s.eventTime * 1000L);
    assertThat(r.topic()).isEqualTo("scores");
    assertThat(r.timestamp()).isEqualTo(s.scoredAt);
    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo(s.eventId);
    assertThat(new ObjectMapper().readTree(r.value()).get("event_time").asText())
        .isEqualTo("9999-12-31T23:59:59Z");
  }

  @Test
  void theBrokerAcceptsTheScoreOfAnEventFarInTheFutureButNotItsEventTime() throws Exception {
    kafka.createTopic("scores", 1);
    Score s = farFuture();
    ProducerRecord<byte[], byte[]> r = new ScoreRecords("scores").serialize(s, null, null);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.producerConfig())) {
      assertThat(producer.send(r).get(30, TimeUnit.SECONDS).timestamp()).isEqualTo(s.scoredAt);
      // what the default record serializer sent (the stream element's event time): refused
      ProducerRecord<byte[], byte[]> byEventTime =
          new ProducerRecord<>("scores", null, s.eventTime * 1000L, r.key(), r.value());
      assertThatThrownBy(() -> producer.send(byEventTime).get(30, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(InvalidTimestampException.class);
    }
  }
}
