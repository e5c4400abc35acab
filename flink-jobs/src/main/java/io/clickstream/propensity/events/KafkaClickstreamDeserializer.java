package io.clickstream.propensity.events;

import io.clickstream.propensity.events.serde.PipelineSerializers;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns every Kafka record into an {@link IngestedRecord}, never throwing: the raw value (UTF-8),
 * its position (topic, partition, offset: the canonical position in streaming) and the JSON parse
 * outcome. The ingest time is the record's Kafka timestamp (when it entered the log), so latency
 * figures cover the whole path from the producer to the score.
 */
public final class KafkaClickstreamDeserializer
    implements KafkaRecordDeserializationSchema<IngestedRecord> {
  private static final long serialVersionUID = 1L;

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<IngestedRecord> out) {
    byte[] value = record.value();
    String raw = value == null ? null : new String(value, StandardCharsets.UTF_8);
    long ingestedAt = record.timestamp() >= 0 ? record.timestamp() : System.currentTimeMillis();
    out.collect(IngestedRecord.of(record.topic(), record.partition(), record.offset(), raw, ingestedAt)
        .withOutcome(JsonRecordParser.parse(value)));
  }

  @Override
  public TypeInformation<IngestedRecord> getProducedType() {
    return PipelineSerializers.INGESTED_RECORD;
  }
}
