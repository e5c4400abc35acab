package io.clickstream.propensity.cli;

import io.clickstream.propensity.events.serde.StateFormatException;
import io.clickstream.propensity.jobs.StateFormatCheck;
import io.clickstream.propensity.jobs.StreamingJob;
import io.clickstream.propensity.jobs.WarmStartJob;
import io.clickstream.propensity.kafka.KafkaNames;
import io.clickstream.propensity.scoring.ModelContract;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.ExceptionUtils;
import org.apache.flink.util.Preconditions;
import org.apache.flink.util.StateMigrationException;
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

  @Option(names = "--checkpoint-dir", paramLabel = "DIR",
      description = "Where checkpoints are kept, retained on cancel (default: work/checkpoints; "
          + "under `flink run` a URI every Flink process reaches, unless the cluster sets "
          + "execution.checkpointing.dir)")
  String checkpointDir;

  @Option(names = "--restore", paramLabel = "PATH",
      description = "Start from this checkpoint or savepoint")
  String restore;

  @Option(names = "--web-ui-port", defaultValue = "8081",
      description = "Port of the local Flink web UI (default: ${DEFAULT-VALUE})")
  int webUiPort;

  @Option(names = {"-p", "--parallelism"}, defaultValue = "0",
      description = "Flink parallelism (default: number of cores when run locally, the cluster's "
          + "under `flink run`)")
  int parallelism;


  @picocli.CommandLine.Mixin SessionOptions session;

  @picocli.CommandLine.Mixin InputLimitOptions input = new InputLimitOptions();

  @Option(names = "--max-future-skew", defaultValue = "1h", converter = DurationConverter.class,
      description = "Events stamped more than this ahead of the processing clock are rejected "
          + "(event_time_in_future): one would push the watermark ahead (default: ${DEFAULT-VALUE})")
  Duration maxFutureSkew;

  @Option(names = "--warm-start", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Without --restore: start from the state of silver.clickstream_events (the "
          + "backfilled history) via a savepoint built with the State Processor API "
          + "(default: ${DEFAULT-VALUE})")
  boolean warmStart;

  @Option(names = "--warm-start-dir", defaultValue = "work/warm-start", paramLabel = "DIR",
      description = "Where warm-start savepoints go (default: ${DEFAULT-VALUE})")
  String warmStartDir;

  @Mixin KafkaOptions kafka;

  @Option(names = "--kafka-check-timeout", defaultValue = "15s", converter = DurationConverter.class,
      description = "At start-up, how long to wait for Kafka to answer before giving up "
          + "(default: ${DEFAULT-VALUE})")
  Duration kafkaCheckTimeout;

  @Mixin MaintenanceOptions maintenance = new MaintenanceOptions();

  @Override
  public Integer call() throws Exception {
    boolean onCluster = ClickstreamCli.submittedToFlink();
    ModelContract contract = checkStartup(onCluster);
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
        .inputLimits(input.limits(maxFutureSkew))
        .lakehouse(catalog.lakehouse())
        .model(contract)
        .maintenance(maintenance.plan())
        .build();
    Configuration conf = LocalFlink.streamingJobConfiguration(parallelism);
    if (!onCluster) {
      conf.set(RestOptions.PORT, webUiPort);
    }
    String from = restore;
    if (from == null && warmStart) {
      // a savepoint built here would sit on this client's disk and use this client's cores
      Preconditions.checkArgument(!onCluster, "stream under `flink run` does not build the warm "
          + "start in the client: run `clickstream bootstrap --savepoint-dir URI` and submit with "
          + "`flink run -s <its savepoint> ... stream --no-warm-start`, or pass --no-warm-start");
      from = new WarmStartJob(catalog.lakehouse(), session.policy())
          .prepareSavepoint(warmStartDir, LocalFlink.configuration(
              conf.get(CoreOptions.DEFAULT_PARALLELISM)), System.err);
    }
    configure(conf, checkpointDir, from);
    StreamExecutionEnvironment env = job.environment(conf);
    // the checkpoints must outlive the client and be reachable from every TaskManager
    Preconditions.checkArgument(!onCluster
            || env.getConfiguration().getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY).isPresent(),
        "stream under `flink run` needs a checkpoint directory every Flink process reaches: set "
            + "--checkpoint-dir URI (s3://..., hdfs://..., file:///shared/...) or "
            + "execution.checkpointing.dir in the cluster's config");
    job.prepareTables();
    try {
      job.createScoresTopic();
    } catch (IllegalStateException e) {
      throw new IllegalStateException(e.getMessage()
          + " (--bootstrap-servers, --kafka-property, --kafka-properties)", e);
    }
    job.addTo(env);
    if (restore != null) {
      checkOperators(restore, env);
    }
    if (!onCluster) {
      System.out.println("Flink web UI: http://localhost:" + webUiPort + " (local MiniCluster)");
    }
    System.out.println("Model: " + contract.modelName() + " " + contract.modelVersion()
        + ", scores to topic " + scoresTopic + " and gold.session_scores");
    System.out.println(bounded ? "Table maintenance: off (bounded run)" : maintenance.plan().describe());
    try {
      env.execute("clickstream-stream");
    } catch (Exception e) {
      java.util.Optional<? extends Exception> format =
          ExceptionUtils.findThrowable(e, StateFormatException.class);
      if (format.isEmpty()) {
        format = ExceptionUtils.findThrowable(e, StateMigrationException.class);
      }
      if (format.isPresent()) {
        throw new IllegalStateException("the restored state is not in this build's format ("
            + format.get().getMessage() + "): " + REBUILD_STATE, e);
      }
      throw e;
    }
    return 0;
  }

  /**
   * Start-up checks, before anything starts and cheapest first; each fails with one line naming
   * the option to change. Returns the checked model.
   */
  private ModelContract checkStartup(boolean onCluster) {
    if (restore != null) {
      checkStateFormat(restore);
    }
    ModelContract contract = loadModel("--model", model);
    if (!onCluster) {
      // under `flink run` these are the cluster's paths, which this process may not see
      StartupCheck.writableDirectory("--checkpoint-dir",
          checkpointDir != null ? checkpointDir : DEFAULT_CHECKPOINT_DIR, "checkpoint directory");
      if (restore == null && warmStart) {
        StartupCheck.writableDirectory("--warm-start-dir", warmStartDir, "warm-start directory");
      }
    }
    StartupCheck.writableWarehouse(catalog);
    StartupCheck.kafka(bootstrapServers, kafka.merged(), topic, kafkaCheckTimeout);
    return contract;
  }

  /**
   * Refuses a checkpoint or savepoint with state of operators the job does not have (another job's,
   * or one whose operator uids differ): Flink would refuse it only once the job is submitted.
   */
  static void checkOperators(String path, StreamExecutionEnvironment env) {
    List<String> foreign;
    try {
      foreign = StateFormatCheck.foreignOperators(path, env.getStreamGraph(false).getJobGraph());
    } catch (IOException e) {
      throw new IllegalArgumentException("--restore " + path + ": no checkpoint or savepoint "
          + "readable there (" + e.getMessage() + ")", e);
    }
    Preconditions.checkState(foreign.isEmpty(),
        "--restore %s holds state of %s operator(s) this job does not have (operator ids %s): it "
            + "is not a checkpoint or savepoint of this stream job (or of a build with other "
            + "operator uids); %s", path, foreign.size(), String.join(", ", foreign), REBUILD_STATE);
  }

  private static final String DEFAULT_CHECKPOINT_DIR = "work/checkpoints";

  /** The model in {@code dir}; a problem with it is reported against {@code option}. */
  static ModelContract loadModel(String option, Path dir) {
    try {
      return ModelContract.load(dir);
    } catch (ModelContract.ModelContractException e) {
      throw new IllegalArgumentException(option + " " + dir + ": " + e.getMessage(), e);
    }
  }

  private static final String REBUILD_STATE = "rebuild the warm start from the tables with "
      + "`clickstream bootstrap --savepoint-dir URI` and restore that, or start without state "
      + "(--no-warm-start and no --restore)";

  /**
   * Refuses a checkpoint or savepoint with state of another layout before the job starts: Flink
   * would only fail its tasks on restore, once per restart.
   */
  static void checkStateFormat(String path) {
    List<String> unreadable;
    try {
      unreadable = StateFormatCheck.unreadable(path);
    } catch (IOException e) {
      throw new IllegalArgumentException("--restore " + path + ": no checkpoint or savepoint "
          + "readable there (" + e.getMessage() + ")", e);
    }
    Preconditions.checkState(unreadable.isEmpty(),
        "--restore %s holds state this build does not read (%s): %s",
        path, String.join("; ", unreadable), REBUILD_STATE);
  }

  static Configuration configuration(int parallelism, String checkpointDir, String restore) {
    Configuration conf = LocalFlink.streamingConfiguration(parallelism);
    configure(conf, checkpointDir, restore);
    return conf;
  }

  /**
   * Checkpoint storage and restore path. Locally the directory defaults to work/checkpoints; under
   * {@code flink run} only a URI given explicitly is set (a folder of the client is no place for
   * them), else the cluster's own setting applies.
   */
  static void configure(Configuration conf, String checkpointDir, String restore) {
    String dir = checkpointDir;
    if (dir == null && !ClickstreamCli.submittedToFlink()) {
      dir = DEFAULT_CHECKPOINT_DIR;
    }
    if (dir != null) {
      Preconditions.checkArgument(!ClickstreamCli.submittedToFlink() || dir.contains(":/"),
          "stream under `flink run`: --checkpoint-dir %s is a path on this client; give a URI every "
              + "Flink process reaches (s3://..., hdfs://..., file:///shared/...)", dir);
      conf.setString("execution.checkpointing.dir", dir.contains(":/") ? dir
          : new File(dir).getAbsoluteFile().toURI().toString());
    }
    conf.setString("execution.checkpointing.externalized-checkpoint-retention",
        "RETAIN_ON_CANCELLATION");
    if (restore != null) {
      conf.setString("execution.state-recovery.path", restore);
    }
  }
}
