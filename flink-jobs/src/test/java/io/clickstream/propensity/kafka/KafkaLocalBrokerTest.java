package io.clickstream.propensity.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.clickstream.propensity.testing.ModuleLib;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The broker PROCESS of `clickstream kafka start/stop`: start, use, stop, restart with its data. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class KafkaLocalBrokerTest {
  static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
  @TempDir Path tmp;
  static Path lib;
  LocalKafkaBroker broker;

  @BeforeAll
  static void brokerClasspath() throws Exception {
    lib = LocalKafkaBroker.configuredLib().orElse(null);
    if (lib != null) {
      ModuleLib.ensure(lib);
    }
  }

  @BeforeEach
  void needsTheBrokerClasspath() {
    assumeTrue(lib != null && Files.isDirectory(lib), "no Kafka broker classpath at " + lib
        + ": build it once with `mvn -B -pl kafka-broker package` (a full `mvn verify` does)");
    broker = new LocalKafkaBroker(tmp.resolve("kafka"), lib).heapOptions("-Xms128m -Xmx512m");
  }

  @AfterEach
  void stopAnyway() throws Exception {
    if (broker != null) {
      broker.stop(Duration.ofSeconds(10), QUIET);
    }
  }

  @Test
  void startsStopsAndKeepsDataAcrossRestarts() throws Exception {
    int port = LocalKafkaBroker.freePort();
    LocalKafkaBroker.Started first = broker.start(port, 2, Duration.ofSeconds(60), QUIET);
    assertThat(first.bootstrapServers()).isEqualTo("127.0.0.1:" + port);
    assertThat(first.alreadyRunning()).isFalse();
    assertThat(broker.runningProcess()).isPresent();
    System.err.printf("KafkaLocalBrokerTest: first start (with format) %d ms%n", first.millis());

    produce(first.bootstrapServers(), "kept", "u1", "one", "u2", "two");
    assertThat(consume(first.bootstrapServers(), "kept", 2)).containsExactlyInAnyOrder("one", "two");

    // a second start of the same folder and port reports the running broker
    assertThat(broker.start(port, 2, Duration.ofSeconds(60), QUIET).alreadyRunning()).isTrue();

    assertThat(broker.stop(Duration.ofSeconds(15), QUIET)).isTrue();
    assertThat(broker.runningProcess()).isEmpty();
    assertThat(broker.dir().resolve("broker.pid")).doesNotExist();
    assertThat(broker.stop(Duration.ofSeconds(15), QUIET)).as("stop is a no-op now").isFalse();

    LocalKafkaBroker.Started second = broker.start(port, 2, Duration.ofSeconds(60), QUIET);
    System.err.printf("KafkaLocalBrokerTest: restart %d ms%n", second.millis());
    assertThat(consume(second.bootstrapServers(), "kept", 2)).containsExactlyInAnyOrder("one", "two");
  }

  @Test
  void refusesATakenPort() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      assertThatThrownBy(() -> broker.start(taken.getLocalPort(), 2, Duration.ofSeconds(5), QUIET))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("port " + taken.getLocalPort())
          .hasMessageContaining("already in use");
    }
    assertThat(broker.runningProcess()).isEmpty();
  }

  static void produce(String bootstrap, String topic, String... keysAndValues) throws Exception {
    try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ProducerConfig.ACKS_CONFIG, "all"),
        new StringSerializer(), new StringSerializer())) {
      for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
        p.send(new ProducerRecord<>(topic, keysAndValues[i], keysAndValues[i + 1]))
            .get(30, TimeUnit.SECONDS); // the topic is auto-created
      }
    }
  }

  static List<String> consume(String bootstrap, String topic, int expected) {
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
        new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      c.assign(parts);
      c.seekToBeginning(parts);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach((ConsumerRecord<String, String> r) -> out.add(r.value()));
      }
    }
    return out;
  }
}
