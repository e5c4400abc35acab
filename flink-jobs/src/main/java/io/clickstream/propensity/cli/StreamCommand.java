package io.clickstream.propensity.cli;

import io.clickstream.propensity.jobs.StreamingJob;
import io.clickstream.propensity.jobs.WarmStartJob;
import io.clickstream.propensity.kafka.KafkaNames;
import io.clickstream.propensity.scoring.ModelContract;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "stream",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the unbounded job in STREAMING mode: Kafka -> bronze/silver/rejected (append), gold "
          + "metrics (upsert), ONNX scores to a Kafka topic and gold.session_scores.",
      "Locally it runs on a MiniCluster with the Flink web UI; submitted with `flink run` it runs "
          + "on that cluster."
    })
public final class StreamCommand implements Callable<Integer> {
  @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT")
  String bootstrapServers;

  @picocli.CommandLine.Mixin CatalogOptions catalog = new CatalogOptions();

  @Option(names = "--model", defaultValue = "model-artifacts", paramLabel = "DIR",
      description = "Folder with propensity.onnx and model-card.json (default: ${DEFAULT-VALUE})")
  Path model;

  @Option(names = "--topic", defaultValue = KafkaNames.EVENTS_TOPIC,
      description = "Input topic (default: ${DEFAULT-VALUE})")
  String topic;

  @Option(names = "--scores-topic", defaultValue = KafkaNames.SCORES_TOPIC,
      description = "Output topic of the scores (default: ${DEFAULT-VALUE})")
  String scoresTopic;

  @Option(names = "--group-id", defaultValue = KafkaNames.CONSUMER_GROUP,
      description = "Kafka consumer group id (default: ${DEFAULT-VALUE})")
  String groupId;

  @Option(names = "--starting-offsets", defaultValue = "committed",
      description = "earliest, latest, committed (falling back to earliest) or an epoch-ms "
          + "timestamp; used when not restoring from a checkpoint (default: ${DEFAULT-VALUE})")
  String startingOffsets;

  @Option(names = "--bounded",
      description = "Stop at the offsets that are the latest at start (finite runs, demo, tests)")
  boolean bounded;

  @Option(names = "--exactly-once-scores",
      description = "Write scores to Kafka with transactions (visible to read_committed "
          + "consumers on checkpoints) instead of at-least-once")
  boolean exactlyOnceScores;

  @Option(names = "--out-of-orderness", defaultValue = "5s", converter = DurationConverter.class,
      description = "Watermark bound: daily snapshots wait this long after midnight (default: ${DEFAULT-VALUE})")
  Duration outOfOrderness;

  @Option(names = "--idleness", defaultValue = "30s", converter = DurationConverter.class,
      description = "Idle Kafka partitions stop holding the watermark after (default: ${DEFAULT-VALUE})")
  Duration idleness;

  @Option(names = "--checkpoint-interval", defaultValue = "30s", converter = DurationConverter.class,
      description = "Checkpoint interval; Iceberg commits on checkpoints. Shorter = fresher tables, "
          + "but more small files and more (full) state snapshots (default: ${DEFAULT-VALUE})")
  Duration checkpointInterval;

  @Option(names = "--gold-flush-interval", defaultValue = "5s", converter = DurationConverter.class,
      description = "Upsert each key's gold metric row at most once per interval, 0s = with every "
          + "event (default: ${DEFAULT-VALUE})")
  Duration goldFlushInterval;

  @Option(names = "--checkpoint-dir", defaultValue = "work/checkpoints", paramLabel = "DIR",
      description = "Where checkpoints are kept, retained on cancel (default: ${DEFAULT-VALUE})")
  String checkpointDir;

  @Option(names = "--restore", paramLabel = "PATH",
      description = "Start from this checkpoint or savepoint")
  String restore;

  @Option(names = "--web-ui-port", defaultValue = "8081",
      description = "Port of the local Flink web UI (default: ${DEFAULT-VALUE})")
  int webUiPort;

  @Option(names = {"-p", "--parallelism"}, defaultValue = "0",
      description = "Flink parallelism (default: number of cores when run locally)")
  int parallelism;


  @picocli.CommandLine.Mixin SessionOptions session;

  @Option(names = "--warm-start", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Without --restore: start from the state of silver.clickstream_events (the "
          + "backfilled history) via a savepoint built with the State Processor API "
          + "(default: ${DEFAULT-VALUE})")
  boolean warmStart;

  @Option(names = "--warm-start-dir", defaultValue = "work/warm-start", paramLabel = "DIR",
      description = "Where warm-start savepoints go (default: ${DEFAULT-VALUE})")
  String warmStartDir;

  @Mixin KafkaOptions kafka;

  @Override
  public Integer call() throws Exception {
    // fail fast on a missing or mismatching model, before anything starts
    ModelContract contract = ModelContract.load(model);
    StreamingJob job = StreamingJob.builder()
        .bootstrapServers(bootstrapServers)
        .topic(topic)
        .scoresTopic(scoresTopic)
        .groupId(groupId)
        .kafkaProperties(kafka.merged())
        .startingOffsets(startingOffsets)
        .bounded(bounded)
        .exactlyOnceScores(exactlyOnceScores)
        .outOfOrderness(outOfOrderness)
        .idleness(idleness)
        .checkpointInterval(checkpointInterval)
        .goldFlushInterval(goldFlushInterval)
        .sessionPolicy(session.policy())
        .lakehouse(catalog.lakehouse())
        .model(contract)
        .build();
    int p = parallelism > 0 ? parallelism : LocalFlink.defaultParallelism();
    String from = restore;
    if (from == null && warmStart) {
      from = new WarmStartJob(catalog.lakehouse(), session.policy())
          .prepareSavepoint(new File(warmStartDir), LocalFlink.configuration(p), System.err);
    }
    Configuration conf = configuration(p, checkpointDir, from);
    conf.set(RestOptions.PORT, webUiPort);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    job.addTo(env);
    System.out.println("Flink web UI: http://localhost:" + webUiPort
        + " (local MiniCluster; on a cluster, use its own UI)");
    System.out.println("Model: " + contract.modelName() + " " + contract.modelVersion()
        + ", scores to topic " + scoresTopic + " and gold.session_scores");
    env.execute("clickstream-stream");
    return 0;
  }

  static Configuration configuration(int parallelism, String checkpointDir, String restore) {
    Configuration conf = LocalFlink.configuration(parallelism);
    String dir = checkpointDir.contains("://") ? checkpointDir
        : new File(checkpointDir).getAbsoluteFile().toURI().toString();
    conf.setString("execution.checkpointing.dir", dir);
    conf.setString("execution.checkpointing.externalized-checkpoint-retention",
        "RETAIN_ON_CANCELLATION");
    if (restore != null) {
      conf.setString("execution.state-recovery.path", restore);
    }
    return conf;
  }
}
