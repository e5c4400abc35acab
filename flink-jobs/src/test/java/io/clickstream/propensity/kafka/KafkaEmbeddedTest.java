package io.clickstream.propensity.kafka;

import static io.clickstream.propensity.testing.EmbeddedKafka.bytes;
import static io.clickstream.propensity.testing.EmbeddedKafka.string;
import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.testing.EmbeddedKafka;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The in-JVM broker the Kafka tests rely on: plain and transactional round trips. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaEmbeddedTest {
  @RegisterExtension static final EmbeddedKafka KAFKA = new EmbeddedKafka();

  @Test
  void producesAndConsumesKeyedRecords() {
    KAFKA.createTopic("plain", 3);
    KAFKA.produceStrings("plain", "u1", "a", "u2", "b", "u1", "c");

    List<ConsumerRecord<byte[], byte[]>> got = KAFKA.consume("plain", 3, Duration.ofSeconds(30));

    assertThat(got).hasSize(3);
    // same key, same partition, send order kept
    assertThat(got.stream().filter(r -> string(r.key()).equals("u1")).map(r -> string(r.value())))
        .containsExactly("a", "c");
    assertThat(KAFKA.bootstrapServers()).startsWith("127.0.0.1:");
    System.err.printf("KafkaEmbeddedTest: broker started in %d ms%n", KAFKA.startMillis());
  }

  @Test
  void readCommittedSeesOnlyCommittedTransactions() throws Exception {
    KAFKA.createTopic("tx", 1);
    Map<String, Object> cfg = KAFKA.producerConfig();
    cfg.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-test");
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(cfg)) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>("tx", bytes("k"), bytes("aborted")));
      producer.flush();
      producer.abortTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>("tx", bytes("k"), bytes("committed")));
      producer.commitTransaction();
    }

    List<ConsumerRecord<byte[], byte[]>> committed = KAFKA.readToEnd("tx",
        Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"));
    List<ConsumerRecord<byte[], byte[]>> uncommitted = KAFKA.readToEnd("tx",
        Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted"));

    assertThat(committed).extracting(r -> string(r.value())).containsExactly("committed");
    assertThat(uncommitted).extracting(r -> string(r.value())).containsExactly("aborted", "committed");
  }
}
