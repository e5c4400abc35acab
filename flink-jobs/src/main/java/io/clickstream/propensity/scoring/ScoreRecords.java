package io.clickstream.propensity.scoring;

import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * A score as a Kafka record of the scores topic: key = event_id, value = {@link ScoreJson}, record
 * timestamp = when the score was made.
 *
 * <p>Not the stream element's timestamp (the event time), which Flink's default record serializer
 * uses: a broker refuses timestamps outside its accepted window around its own clock
 * ({@code log.message.timestamp.before/after.max.ms}), and one refused record fails the sink, so
 * the task would restart and re-read the same event forever. The scoring time is always near the
 * broker's clock, and the broker's retention (by record timestamp) counts from it: stamped with an
 * old event time, the score of a replayed or late event would be deleted soon after it was written.
 */
public final class ScoreRecords implements KafkaRecordSerializationSchema<Score> {
  private static final long serialVersionUID = 1L;

  private final String topic;
  private final SerializationSchema<Score> key = new ScoreJson.Key();
  private final SerializationSchema<Score> value = new ScoreJson();

  public ScoreRecords(String topic) {
    this.topic = topic;
  }

  @Override
  public ProducerRecord<byte[], byte[]> serialize(
      Score score, KafkaSinkContext context, Long elementTimestamp) {
    Long timestamp = score.scoredAt > 0 ? score.scoredAt : null; // null: the producer's clock
    return new ProducerRecord<>(topic, null, timestamp, key.serialize(score), value.serialize(score));
  }

}
