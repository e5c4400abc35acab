package io.clickstream.propensity.jobs;

import io.clickstream.propensity.events.IngestedRecord;
import io.clickstream.propensity.events.InputLimits;
import io.clickstream.propensity.events.KafkaClickstreamDeserializer;
import io.clickstream.propensity.features.ExecutionMode;
import io.clickstream.propensity.features.SessionPolicy;
import io.clickstream.propensity.kafka.KafkaNames;
import io.clickstream.propensity.lakehouse.EndAfterCheckpointSource;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.lakehouse.TableMaintenancePlan;
import io.clickstream.propensity.lakehouse.Writer;
import io.clickstream.propensity.scoring.ModelContract;
import io.clickstream.propensity.scoring.Score;
import io.clickstream.propensity.scoring.ScoreFunction;
import io.clickstream.propensity.scoring.ScoreRecords;
import io.clickstream.propensity.scoring.ScoreSerializer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.apache.flink.api.common.eventtime.SerializableTimestampAssigner;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * The unbounded half: Kafka to the same Iceberg tables in STREAMING mode, through the same
 * {@link FeaturePipeline}, plus real-time ONNX scores to a Kafka topic and gold.session_scores.
 * Iceberg commits happen on checkpoints (exactly once); scores go to Kafka at least once (keyed by
 * event_id) or, as an option, exactly once with Kafka transactions.
 */
public final class StreamingJob {
  /** The tables the streaming job writes ({@link TableSinks#STREAM_TABLES}). */
  public static final List<LakehouseTable> TABLES = TableSinks.STREAM_TABLES;

  private static final Logger LOG = LoggerFactory.getLogger(StreamingJob.class);

  private final Builder b;

  private StreamingJob(Builder b) {
    this.b = b;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Creates the tables the job writes that do not exist yet. Call before {@link #addTo}. */
  public void prepareTables() {
    b.lakehouse.ensureTables(TABLES);
  }

  /**
   * The job's environment: {@code conf} (a MiniCluster locally, the cluster under {@code flink
   * run}) with exactly-once checkpoints at the job's interval and the job's runtime settings.
   */
  public StreamExecutionEnvironment environment(Configuration conf) {
    return configure(StreamExecutionEnvironment.getExecutionEnvironment(conf));
  }

  /** Applies the job's checkpointing and runtime settings to {@code env} (see {@link #environment}). */
  public StreamExecutionEnvironment configure(StreamExecutionEnvironment env) {
    env.enableCheckpointing(b.checkpointInterval.toMillis(), CheckpointingMode.EXACTLY_ONCE);
    // keyed state must be laid out as the warm-start savepoint writes it
    env.setMaxParallelism(WarmStartJob.MAX_PARALLELISM);
    // No job-wide buffer timeout: only the shuffles a click takes to its score flush early (see
    // addTo). Most other edges (to the table writers, table maintenance) keep the cluster's
    // timeout (Flink's default: 100 ms); a short one everywhere put a flusher thread waking every
    // few ms on each of ~300 edges, and tiny buffers through the writers.
    // as in BATCH (BackfillJob#batchEnvironment): no function keeps or mutates a record it has
    // passed on, so chained operators can skip the defensive copy (notably of each RowData before
    // its Iceberg writer)
    env.getConfig().enableObjectReuse();
    return env;
  }

  /**
   * Adds the job to {@code env}, which must come from {@link #environment} (or {@link
   * #configure}). The tables must exist
   * ({@link #prepareTables}); the scores topic should ({@link #createScoresTopic}).
   */
  public void addTo(StreamExecutionEnvironment env) {
    addTo(env, source(env));
  }

  /**
   * The job's Kafka source with its watermarks, for {@link #addTo(StreamExecutionEnvironment,
   * DataStream)}; {@code env} as for {@link #addTo(StreamExecutionEnvironment)}.
   */
  public DataStream<IngestedRecord> source(StreamExecutionEnvironment env) {
    checkReady(env);
    var sourceBuilder = KafkaSource.<IngestedRecord>builder()
        .setBootstrapServers(b.bootstrapServers)
        .setTopics(b.topic)
        .setGroupId(b.groupId)
        .setStartingOffsets(b.startingOffsets)
        .setDeserializer(new KafkaClickstreamDeserializer(b.limits))
        .setProperties(kafkaProperties())
        .setProperty("partition.discovery.interval.ms", "60000");
    if (b.bounded) {
      // the end offsets of now, fixed in the job: with OffsetsInitializer.latest() a split
      // assigned again after a failure would run to the end of that later moment instead
      sourceBuilder.setBounded(OffsetsInitializer.offsets(endOffsets()));
    }
    KafkaSource<IngestedRecord> kafka = sourceBuilder.build();
    // bounded: else Iceberg's sinks can drop the last files of a run restored near its end
    Source<IngestedRecord, ?, ?> source = b.bounded
        ? new EndAfterCheckpointSource<>(kafka, kafka.getProducedType())
        : kafka;
    WatermarkStrategy<IngestedRecord> watermarks = WatermarkStrategy
        .<IngestedRecord>forBoundedOutOfOrderness(b.outOfOrderness)
        .withTimestampAssigner(new EventTimeOrMin())
        .withIdleness(b.idleness);
    return env.fromSource(source, watermarks, "kafka-" + b.topic).uid("kafka-source");
  }

  /**
   * Adds the pipeline, its sinks and the table maintenance to {@code env}, fed by {@code records}:
   * the stream of {@link #source}, or one derived from it record for record in the same order
   * (same parallelism, no re-partitioning: a cart's events must reach its stage in offset order).
   */
  public void addTo(StreamExecutionEnvironment env, DataStream<IngestedRecord> records) {
    checkReady(env);
    b.lakehouse.decoupleWriters(true).markWrites(Writer.STREAM);
    FeaturePipeline.Outputs out = FeaturePipeline.build(records, b.policy,
        ExecutionMode.STREAMING, b.goldFlushInterval.toMillis(), b.bufferTimeoutMillis);
    TableSinks.addPipelineSinks(out, b.lakehouse::append, b.lakehouse::upsert);
    DataStream<Score> scores = out.featured
        .flatMap(new ScoreFunction(b.model)).name("score").uid("score")
        .returns(ScoreSerializer.TYPE);
    TableSinks.addScoresSink(scores, b.lakehouse::append);
    scores.sinkTo(scoresSink()).name("kafka-" + b.scoresTopic).uid("kafka-scores-sink");
    addTableMaintenance(env);
  }

  private void checkReady(StreamExecutionEnvironment env) {
    if (!env.getCheckpointConfig().isCheckpointingEnabled()
        || env.getMaxParallelism() != WarmStartJob.MAX_PARALLELISM) {
      throw new IllegalArgumentException("the streaming job needs its checkpointing and state "
          + "layout: create its environment with environment(conf) or configure(env)");
    }
    List<String> missing = new ArrayList<>();
    for (LakehouseTable t : TABLES) {
      if (!b.lakehouse.catalog().tableExists(t.identifier())) {
        missing.add(t.qualifiedName());
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException("tables " + missing + " do not exist: create them first "
          + "(prepareTables)");
    }
  }

  /**
   * Compaction, snapshot expiry and orphan cleanup of the tables this job writes, in the same job.
   * Unbounded runs only: the maintenance monitors never finish, so a bounded run would not end.
   */
  private void addTableMaintenance(StreamExecutionEnvironment env) {
    if (!b.bounded) {
      b.maintenance.addTo(env, b.lakehouse, TABLES);
    }
  }

  private KafkaSink<Score> scoresSink() {
    var builder = KafkaSink.<Score>builder()
        .setBootstrapServers(b.bootstrapServers)
        .setKafkaProducerConfig(kafkaProperties())
        .setRecordSerializer(new ScoreRecords(b.scoresTopic));
    if (b.exactlyOnceScores) {
      builder.setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
          .setTransactionalIdPrefix(b.groupId + "-scores")
          .setProperty("transaction.timeout.ms", "900000");
    } else {
      // Kafka's default linger (5 ms since 4.0): a score waits at most that long for others to
      // share its request, so the producer sends fewer, fuller requests than with 0. A score's
      // latency (scored_at) is taken before the send.
      builder.setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
          .setProperty("linger.ms", "5");
    }
    return builder.build();
  }

  /**
   * Creates the scores topic (as many partitions as the input topic) when it is missing: a
   * producer that makes the broker auto-create it can loop on sequence errors on a fresh broker.
   * Call before the job starts.
   *
   * @throws IllegalStateException when Kafka does not answer within 30 s
   */
  public void createScoresTopic() {
    try (Admin admin = admin()) {
      var names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      if (names.contains(b.scoresTopic)) {
        return;
      }
      int partitions = names.contains(b.topic)
          ? admin.describeTopics(List.of(b.topic)).allTopicNames().get(30, TimeUnit.SECONDS)
              .get(b.topic).partitions().size()
          : 1;
      admin.createTopics(List.of(new NewTopic(b.scoresTopic, Optional.of(partitions), Optional.empty())))
          .all().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        LOG.warn("could not create scores topic {} (create it yourself): {}", b.scoresTopic,
            e.getCause().getMessage());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (TimeoutException e) {
      throw noAnswer(e);
    }
  }

  /**
   * The input topic's end offset per partition, for a bounded run.
   *
   * @throws IllegalStateException when Kafka does not answer within 30 s or the topic is missing
   */
  private Map<TopicPartition, Long> endOffsets() {
    try (Admin admin = admin()) {
      Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
      admin.describeTopics(List.of(b.topic)).allTopicNames().get(30, TimeUnit.SECONDS)
          .get(b.topic).partitions()
          .forEach(info -> latest.put(new TopicPartition(b.topic, info.partition()), OffsetSpec.latest()));
      Map<TopicPartition, Long> ends = new HashMap<>();
      admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS)
          .forEach((tp, info) -> ends.put(tp, info.offset()));
      return ends;
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot read the end offsets of topic " + b.topic + " at "
          + b.bootstrapServers + ": " + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while reading the end offsets of " + b.topic, e);
    } catch (TimeoutException e) {
      throw noAnswer(e);
    }
  }

  /** An admin client with the job's Kafka properties; its calls here wait up to 30 s. */
  private Admin admin() {
    Properties p = kafkaProperties();
    p.put("bootstrap.servers", b.bootstrapServers);
    return Admin.create(p);
  }

  private IllegalStateException noAnswer(TimeoutException e) {
    return new IllegalStateException("Kafka at " + b.bootstrapServers + " did not answer within "
        + "30 s: check the bootstrap servers and the Kafka client's security properties", e);
  }

  private Properties kafkaProperties() {
    Properties p = new Properties();
    p.putAll(b.kafkaProperties);
    return p;
  }

  /** Event time for valid records; rejected ones must not move the watermark. */
  static final class EventTimeOrMin implements SerializableTimestampAssigner<IngestedRecord> {
    private static final long serialVersionUID = 1L;

    @Override
    public long extractTimestamp(IngestedRecord r, long recordTimestamp) {
      return r.isValid() ? r.event.eventTime * 1000L : Long.MIN_VALUE;
    }
  }

  /** Builder; bootstrap servers, lakehouse and model are required. */
  public static final class Builder {
    private String bootstrapServers;
    private String topic = KafkaNames.EVENTS_TOPIC;
    private String scoresTopic = KafkaNames.SCORES_TOPIC;
    private String groupId = KafkaNames.CONSUMER_GROUP;
    private final Map<String, String> kafkaProperties = new HashMap<>();
    private OffsetsInitializer startingOffsets =
        OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
    private boolean bounded;
    private Lakehouse lakehouse;
    private ModelContract model;
    private SessionPolicy policy = SessionPolicy.DEFAULT;
    private Duration outOfOrderness = Duration.ofSeconds(5);
    private Duration idleness = Duration.ofSeconds(30);
    private Duration checkpointInterval = Duration.ofSeconds(30);
    private boolean exactlyOnceScores;
    private long bufferTimeoutMillis = 5;
    private Duration goldFlushInterval = Duration.ofSeconds(5);
    private TableMaintenancePlan maintenance = TableMaintenancePlan.defaults();
    private InputLimits limits = InputLimits.DEFAULT;

    public Builder bootstrapServers(String servers) {
      this.bootstrapServers = servers;
      return this;
    }

    public Builder topic(String topic) {
      this.topic = topic;
      return this;
    }

    public Builder scoresTopic(String topic) {
      this.scoresTopic = topic;
      return this;
    }

    public Builder groupId(String groupId) {
      this.groupId = groupId;
      return this;
    }

    /** Kafka client properties for source and sink (security.protocol, sasl.*, ...). */
    public Builder kafkaProperties(Map<String, String> props) {
      this.kafkaProperties.putAll(props);
      return this;
    }

    /** earliest, latest, committed (falls back to earliest; default) or an epoch-ms timestamp. */
    public Builder startingOffsets(String spec) {
      String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
      switch (s) {
        case "earliest":
          startingOffsets = OffsetsInitializer.earliest();
          break;
        case "latest":
          startingOffsets = OffsetsInitializer.latest();
          break;
        case "committed":
          startingOffsets = OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
          break;
        default:
          try {
            startingOffsets = OffsetsInitializer.timestamp(Long.parseLong(s));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("starting offsets '" + spec
                + "' must be earliest, latest, committed or an epoch-millisecond timestamp");
          }
      }
      return this;
    }

    /** Stop at the offsets that are latest when the job starts (tests, demo). */
    public Builder bounded(boolean bounded) {
      this.bounded = bounded;
      return this;
    }

    public Builder lakehouse(Lakehouse lakehouse) {
      this.lakehouse = lakehouse;
      return this;
    }

    public Builder model(ModelContract model) {
      this.model = model;
      return this;
    }

    public Builder sessionPolicy(SessionPolicy policy) {
      this.policy = Objects.requireNonNull(policy);
      return this;
    }

    /** Watermark lag: how long daily snapshots wait for stragglers after midnight. */
    public Builder outOfOrderness(Duration d) {
      this.outOfOrderness = requirePositive(d, "out-of-orderness");
      return this;
    }

    /** After this long without records a Kafka partition stops holding the watermark back. */
    public Builder idleness(Duration d) {
      this.idleness = requirePositive(d, "idleness");
      return this;
    }

    public Builder checkpointInterval(Duration d) {
      this.checkpointInterval = requirePositive(d, "checkpoint interval");
      return this;
    }

    /**
     * Network buffer flush timeout of the hops between the source and the scorer: lower = less
     * latency, higher = more throughput. Other edges keep the cluster's timeout.
     */
    public Builder bufferTimeout(Duration d) {
      this.bufferTimeoutMillis = d.toMillis();
      return this;
    }

    /** Each key's gold metric row is upserted at most once per this interval (0 = every event). */
    public Builder goldFlushInterval(Duration d) {
      this.goldFlushInterval = d;
      return this;
    }

    /** Table maintenance of unbounded runs (default: {@link TableMaintenancePlan#defaults()}). */
    public Builder maintenance(TableMaintenancePlan plan) {
      this.maintenance = Objects.requireNonNull(plan);
      return this;
    }

    /** Maximum record size, event-time range and future skew from the processing clock. */
    public Builder inputLimits(InputLimits limits) {
      this.limits = Objects.requireNonNull(limits);
      return this;
    }

    public Builder exactlyOnceScores(boolean exactlyOnce) {
      this.exactlyOnceScores = exactlyOnce;
      return this;
    }

    public StreamingJob build() {
      List<String> missing = new ArrayList<>();
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        missing.add("Kafka bootstrap servers");
      }
      if (lakehouse == null) {
        missing.add("a lakehouse (the Iceberg catalog of the tables)");
      }
      if (model == null) {
        missing.add("a model");
      }
      if (!missing.isEmpty()) {
        throw new IllegalArgumentException("the streaming job needs " + String.join(", ", missing));
      }
      return new StreamingJob(this);
    }

    private static Duration requirePositive(Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be a positive duration, got " + d);
      }
      return d;
    }
  }
}
