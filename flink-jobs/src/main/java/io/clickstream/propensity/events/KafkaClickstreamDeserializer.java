package io.clickstream.propensity.events;

import io.clickstream.propensity.events.serde.PipelineSerializers;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns every Kafka record into an {@link IngestedRecord}, never throwing: the raw value (UTF-8;
 * only the head of a record above the maximum size), its position (topic, partition, offset: the
 * canonical position in streaming) and the JSON parse outcome, with the event time checked against
 * the range and the future skew from the processing clock of the {@link InputLimits}. The ingest
 * time is the record's Kafka timestamp (when it entered the log), so latency figures cover the
 * whole path from the producer to the score.
 */
public final class KafkaClickstreamDeserializer
    implements KafkaRecordDeserializationSchema<IngestedRecord> {
  private static final long serialVersionUID = 1L;

  private final InputLimits limits;

  public KafkaClickstreamDeserializer() {
    this(InputLimits.DEFAULT);
  }

  public KafkaClickstreamDeserializer(InputLimits limits) {
    this.limits = limits;
  }

  @Override
  public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<IngestedRecord> out) {
    long now = System.currentTimeMillis();
    long ingestedAt = record.timestamp() >= 0 ? record.timestamp() : now;
    IngestedRecord r = IngestedRecord.of(
        record.topic(), record.partition(), record.offset(), null, ingestedAt);
    byte[] value = record.value();
    if (value == null) {
      out.collect(r.withOutcome(JsonRecordParser.parse(null, limits, now)));
      return;
    }
    if (value.length > limits.maxRecordBytes()) {
      out.collect(r.tooLarge(value, value.length, value.length, limits));
      return;
    }
    RawText text = RawText.decode(value, value.length);
    r.raw = text.text;
    out.collect(r.withOutcome(text.valid ? JsonRecordParser.parse(value, limits, now)
        : RawText.invalidUtf8()));
  }

  @Override
  public TypeInformation<IngestedRecord> getProducedType() {
    return PipelineSerializers.INGESTED_RECORD;
  }
}
