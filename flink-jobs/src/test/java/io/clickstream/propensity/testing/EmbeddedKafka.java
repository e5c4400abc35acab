package io.clickstream.propensity.testing;

import io.clickstream.propensity.kafka.LocalKafkaBroker;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Exit;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real single-node Kafka (KRaft, combined broker + controller) inside the test JVM, on
 * 127.0.0.1 with free ports and a temporary log directory.
 *
 * <p>Use as a JUnit 5 extension ({@code @RegisterExtension static EmbeddedKafka kafka = new
 * EmbeddedKafka();} starts before all tests of the class, stops after) or as an AutoCloseable
 * ({@code try (EmbeddedKafka k = new EmbeddedKafka().start()) ...}).
 *
 * <p>Kafka's {@link Exit} procedures are replaced by ones that throw while a broker runs: a fatal
 * broker error would otherwise call {@code Runtime.halt} and take the surefire JVM with it.
 */
public final class EmbeddedKafka implements AutoCloseable, BeforeAllCallback, AfterAllCallback {
  private static final String CONTROLLER_LISTENER = "CONTROLLER";
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Map<String, String> overrides = new HashMap<>();
  private Path logDir;
  private KafkaRaftServer server;
  private KafkaConfig config;
  private boolean stopped;
  private String bootstrap;
  private long startMillis;

  public EmbeddedKafka() {}

  /** A broker setting on top of the defaults (before {@link #start()}). */
  public EmbeddedKafka withBrokerProperty(String key, String value) {
    overrides.put(key, value);
    return this;
  }

  /** Formats storage, starts the server and returns once a client gets cluster metadata. */
  public synchronized EmbeddedKafka start() {
    if (server != null) {
      return this;
    }
    installThrowingExit();
    long t0 = System.nanoTime();
    try {
      logDir = Files.createTempDirectory("embedded-kafka-");
      int port = LocalKafkaBroker.freePort();
      int controllerPort = LocalKafkaBroker.freePort(port);
      Properties props = brokerProperties(port, controllerPort, logDir);
      overrides.forEach(props::setProperty);
      config = KafkaConfig.fromProps(props, false);
      format(config, logDir);
      server = new KafkaRaftServer(config, Time.SYSTEM);
      server.startup();
      bootstrap = "127.0.0.1:" + port;
      awaitReady();
      startMillis = (System.nanoTime() - t0) / 1_000_000;
      return this;
    } catch (Exception e) {
      close();
      throw new IllegalStateException("embedded Kafka did not start: " + e, e);
    }
  }

  /**
   * Shuts the broker down as a crash-free stop would (clients see it gone), keeping its port,
   * log directory and data for {@link #startAgain()}.
   */
  public synchronized void stopKeepingData() {
    if (server == null || stopped) {
      throw new IllegalStateException("embedded Kafka is not running");
    }
    server.shutdown();
    server.awaitShutdown();
    stopped = true;
  }

  /**
   * Starts the broker stopped by {@link #stopKeepingData()} again: same port, same log
   * directory, same cluster; returns once a client gets cluster metadata.
   */
  public synchronized void startAgain() {
    if (!stopped) {
      throw new IllegalStateException("embedded Kafka was not stopped with stopKeepingData()");
    }
    try {
      server = new KafkaRaftServer(config, Time.SYSTEM);
      server.startup();
      stopped = false;
      awaitReady();
    } catch (Exception e) {
      throw new IllegalStateException("embedded Kafka did not start again on " + bootstrap + ": " + e, e);
    }
  }

  public String bootstrapServers() {
    if (bootstrap == null) {
      throw new IllegalStateException("embedded Kafka is not started");
    }
    return bootstrap;
  }

  /** How long the last {@link #start()} took, from formatting to the first metadata answer. */
  public long startMillis() {
    return startMillis;
  }

  /** Creates a topic (replication factor 1) and waits until every partition has a leader. */
  public void createTopic(String name, int partitions) {
    try (Admin admin = admin()) {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all()
          .get(30, TimeUnit.SECONDS);
      // created means committed by the controller; a partition takes writes once the broker leads it
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      String state = describe(admin, name);
      while (state.contains("leader=none") || state.startsWith("unknown")) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("topic " + name + " has partitions without a leader after 60 s: " + state);
        }
        Thread.sleep(100);
        state = describe(admin, name);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot create topic " + name + ": " + e, e);
    }
  }

  public Admin admin() {
    return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()));
  }

  /** The transactions the broker still has open (id, state, partitions): why a read-committed read stalls. */
  public String openTransactions() {
    try (Admin admin = admin()) {
      var listed = admin.listTransactions().all().get(30, TimeUnit.SECONDS);
      List<String> ids = listed.stream()
          .filter(t -> t.state() != org.apache.kafka.clients.admin.TransactionState.COMPLETE_COMMIT
              && t.state() != org.apache.kafka.clients.admin.TransactionState.COMPLETE_ABORT
              && t.state() != org.apache.kafka.clients.admin.TransactionState.EMPTY)
          .map(org.apache.kafka.clients.admin.TransactionListing::transactionalId).toList();
      if (ids.isEmpty()) {
        return "none";
      }
      return admin.describeTransactions(ids).all().get(30, TimeUnit.SECONDS).toString();
    } catch (Exception e) {
      return "unknown (" + e + ")";
    }
  }

  /** Producer settings for this broker (byte[] keys and values); add or override freely. */
  public Map<String, Object> producerConfig() {
    Map<String, Object> c = new HashMap<>();
    c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    return c;
  }

  /** Consumer settings for this broker (byte[] keys and values, from the earliest offset). */
  public Map<String, Object> consumerConfig() {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    return c;
  }

  /** Sends records (key may be null) and waits until every one is acknowledged. */
  public void produce(String topic, List<Map.Entry<byte[], byte[]>> records) {
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig())) {
      List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
      for (Map.Entry<byte[], byte[]> r : records) {
        acks.add(producer.send(new ProducerRecord<>(topic, r.getKey(), r.getValue())));
      }
      for (java.util.concurrent.Future<?> ack : acks) {
        // generous: a busy 2-core machine (CI, a job beside it) can hold acks back for long
        ack.get(120, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      String state;
      try (Admin admin = admin()) {
        state = describe(admin, topic);
      }
      throw new IllegalStateException("produce to " + topic + " failed: " + e + "; partitions: " + state, e);
    }
  }

  /** The topic's partitions as "0: leader=1 isr=1; ..." (leader=none when it has none), or why not known. */
  private static String describe(Admin admin, String topic) {
    try {
      var description = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS)
          .get(topic);
      StringBuilder out = new StringBuilder();
      for (var p : description.partitions()) {
        out.append(p.partition()).append(": leader=")
            .append(p.leader() == null || p.leader().isEmpty() ? "none" : p.leader().idString())
            .append(" isr=").append(p.isr().size()).append("; ");
      }
      return out.toString();
    } catch (Exception e) {
      return "unknown (" + e + ")";
    }
  }

  /** Sends string records: {@code produce(topic, "key1", "value1", "key2", "value2", ...)}. */
  public void produceStrings(String topic, String... keysAndValues) {
    List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
    for (int i = 0; i + 1 < keysAndValues.length; i += 2) {
      records.add(new java.util.AbstractMap.SimpleEntry<>(bytes(keysAndValues[i]),
          bytes(keysAndValues[i + 1])));
    }
    produce(topic, records);
  }

  /**
   * Reads the topic from the beginning (all partitions, no consumer group) until {@code expected}
   * records arrived or the timeout passed; returns what it got, ordered by (partition, offset).
   */
  public List<ConsumerRecord<byte[], byte[]>> consume(
      String topic, int expected, Duration timeout, Map<String, Object> extraConsumerConfig) {
    Map<String, Object> config = consumerConfig();
    config.putAll(extraConsumerConfig);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (out.size() < expected && System.nanoTime() < deadline) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(200));
        batch.forEach(out::add);
      }
    }
    out.sort(Comparator.<ConsumerRecord<byte[], byte[]>>comparingInt(ConsumerRecord::partition)
        .thenComparingLong(ConsumerRecord::offset));
    return out;
  }

  public List<ConsumerRecord<byte[], byte[]>> consume(String topic, int expected, Duration timeout) {
    return consume(topic, expected, timeout, Map.of());
  }

  /**
   * Reads the topic from the beginning up to its end offsets as of this call (all partitions, no
   * consumer group; for a read_committed consumer the end is the last stable offset, so an open
   * transaction stops it there): exactly what the topic holds, without waiting for a count or a
   * time. Ordered by (partition, offset).
   */
  public List<ConsumerRecord<byte[], byte[]>> readToEnd(String topic, Map<String, Object> extraConsumerConfig) {
    Map<String, Object> config = consumerConfig();
    config.putAll(extraConsumerConfig);
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, p.partition()));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("could not read " + topic + " up to " + end + " in 60 s");
        }
        consumer.poll(Duration.ofMillis(200)).forEach(out::add);
      }
    }
    out.sort(Comparator.<ConsumerRecord<byte[], byte[]>>comparingInt(ConsumerRecord::partition)
        .thenComparingLong(ConsumerRecord::offset));
    return out;
  }

  /** Stops the server and deletes its data. Safe to call twice. */
  @Override
  public synchronized void close() {
    try {
      if (server != null && !stopped) {
        server.shutdown();
        server.awaitShutdown();
      }
    } finally {
      server = null;
      stopped = false;
      bootstrap = null;
      Exit.resetExitProcedure();
      Exit.resetHaltProcedure();
      if (logDir != null) {
        deleteRecursively(logDir);
        logDir = null;
      }
    }
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    close();
  }

  public static byte[] bytes(String s) {
    return s == null ? null : s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  public static String string(byte[] b) {
    return b == null ? null : new String(b, java.nio.charset.StandardCharsets.UTF_8);
  }

  static Properties brokerProperties(int port, int controllerPort, Path logDir) {
    Properties p = new Properties();
    p.setProperty("process.roles", "broker,controller");
    p.setProperty("node.id", "1");
    p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
    p.setProperty("listeners",
        "PLAINTEXT://127.0.0.1:" + port + "," + CONTROLLER_LISTENER + "://127.0.0.1:" + controllerPort);
    p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
    p.setProperty("controller.listener.names", CONTROLLER_LISTENER);
    p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    p.setProperty("inter.broker.listener.name", "PLAINTEXT");
    p.setProperty("log.dirs", logDir.toString());
    // One node: every internal topic must accept replication 1, or groups and transactions hang.
    p.setProperty("offsets.topic.replication.factor", "1");
    p.setProperty("offsets.topic.num.partitions", "4");
    p.setProperty("transaction.state.log.replication.factor", "1");
    p.setProperty("transaction.state.log.min.isr", "1");
    p.setProperty("transaction.state.log.num.partitions", "4");
    p.setProperty("share.coordinator.state.topic.replication.factor", "1");
    p.setProperty("share.coordinator.state.topic.min.isr", "1");
    p.setProperty("min.insync.replicas", "1");
    p.setProperty("default.replication.factor", "1");
    p.setProperty("num.partitions", "2");
    p.setProperty("auto.create.topics.enable", "true");
    p.setProperty("group.initial.rebalance.delay.ms", "0");
    p.setProperty("transaction.max.timeout.ms", "3600000");
    // Its own controller fences a broker that misses heartbeats this long, and a fenced broker leads
    // no partition: at the default 9 s that can happen while a job saturates both cores.
    p.setProperty("broker.session.timeout.ms", "60000");
    // Tests are short-lived: small buffers and few threads on a shared 2-core machine.
    p.setProperty("num.network.threads", "2");
    p.setProperty("num.io.threads", "2");
    p.setProperty("log.segment.bytes", String.valueOf(64 * 1024 * 1024));
    // Retention applied from the start and every second (Kafka: after 30 s, then every 5 min): a
    // record whose timestamp is older than the retention (7 days) disappears within a test, every
    // time, rather than whenever a test happens to run across the broker's first check.
    p.setProperty("log.initial.task.delay.ms", "0");
    p.setProperty("log.retention.check.interval.ms", "1000");
    return p;
  }

  private static void format(KafkaConfig config, Path logDir) throws Exception {
    new Formatter()
        .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
        .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
        .setNodeId(config.nodeId())
        .setClusterId(Uuid.randomUuid().toString())
        .setDirectories(Set.of(logDir.toString()))
        .setMetadataLogDirectory(logDir.toString())
        .setReleaseVersion(MetadataVersion.latestProduction())
        .setControllerListenerName(CONTROLLER_LISTENER)
        .run();
  }

  private void awaitReady() throws Exception {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    Exception last = null;
    try (Admin admin = admin()) {
      while (System.nanoTime() < deadline) {
        try {
          if (!admin.describeCluster(new DescribeClusterOptions().timeoutMs(5_000)).nodes()
              .get(6, TimeUnit.SECONDS).isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          last = e;
        }
        Thread.sleep(100);
      }
    }
    throw new TimeoutException("broker did not answer within " + START_TIMEOUT + ": " + last);
  }

  private static void installThrowingExit() {
    Exit.setExitProcedure((code, message) -> {
      throw new IllegalStateException("Kafka called exit(" + code + "): " + message);
    });
    Exit.setHaltProcedure((code, message) -> {
      throw new IllegalStateException("Kafka called halt(" + code + "): " + message);
    });
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String toString() {
    return "EmbeddedKafka[" + (bootstrap == null ? "stopped" : bootstrap) + "]";
  }
}
