package io.clickstream.propensity.jobs;

import io.clickstream.propensity.events.serde.PipelineSerializers;
import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.CsvClickstreamFormat;
import io.clickstream.propensity.events.IngestedRecord;
import io.clickstream.propensity.events.InputLimits;
import io.clickstream.propensity.features.ExecutionMode;
import io.clickstream.propensity.features.SessionPolicy;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.lakehouse.TableReplacement;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.legacy.DiscardingSink;

/**
 * The bounded half: historical clickstream CSV files to the Iceberg medallion tables in BATCH
 * runtime mode. A backfill rebuilds every table from the given input (the features need
 * the whole history), so re-running it over the same input leaves the same content. The new
 * content replaces the old in one commit per table once the job has finished ({@link #publish});
 * a failed run leaves the tables as they were.
 */
public final class BackfillJob {
  /** Accumulator: records read from the files (progress). */
  public static final String RECORDS_READ = "records-read";
  /** Accumulator: exact duplicates removed. */
  public static final String DUPLICATES_REMOVED = "duplicates-removed";

  /** The tables a backfill writes ({@link TableSinks#BACKFILL_TABLES}). */
  public static final List<LakehouseTable> TABLES = TableSinks.BACKFILL_TABLES;

  private final List<Path> inputs;
  private final Lakehouse lakehouse;
  private final SessionPolicy policy;
  private final long ingestedAt;
  private final boolean replaceStreamedData;
  private TableReplacement replacement;
  private final InputLimits limits;

  private BackfillJob(Builder b) {
    this.inputs = InputFiles.expand(b.inputs);
    this.lakehouse = Objects.requireNonNull(b.lakehouse, "lakehouse");
    this.policy = b.policy;
    this.ingestedAt = b.ingestedAt;
    this.replaceStreamedData = b.replaceStreamedData;
    this.limits = b.limits;
  }

  public static Builder builder() {
    return new Builder();
  }

  public List<Path> inputs() {
    return inputs;
  }

  /**
   * Creates the missing tables and stages an empty new content on each; the current content stays
   * readable until {@link #publish} (or is kept by {@link #abandon}). Call before {@link #addTo}.
   *
   * @throws TableReplacement.StreamedDataException when a stream has written to the tables since
   *     the last backfill and the builder did not allow replacing streamed data
   */
  public void prepareTables() {
    if (replacement != null) {
      throw new IllegalStateException("the tables are already prepared for this backfill");
    }
    replacement = lakehouse.beginReplacement(TABLES, replaceStreamedData);
  }

  /**
   * Adds the job to {@code env} (from {@link #batchEnvironment}); its sinks write the content
   * staged by {@link #prepareTables}.
   */
  public void addTo(StreamExecutionEnvironment env) {
    if (replacement == null) {
      throw new IllegalStateException("the backfill's tables are not prepared: call prepareTables first");
    }
    if (env.getConfiguration().get(ExecutionOptions.RUNTIME_MODE) != RuntimeExecutionMode.BATCH) {
      throw new IllegalArgumentException(
          "a backfill runs in BATCH mode: create its environment with batchEnvironment(conf)");
    }
    FeaturePipeline.Outputs out = FeaturePipeline.build(readFiles(env), policy, ExecutionMode.BATCH);
    TableSinks.TableSink staged = replacement::write;
    TableSinks.addPipelineSinks(out, staged, staged);
    TableSinks.addTrainingSink(out.featured, staged);
    out.duplicates
        .map(new Count<ClickEvent>(DUPLICATES_REMOVED)).name("count-duplicates").uid("count-duplicates")
        .addSink(new DiscardingSink<>()).name("duplicates").uid("duplicates-sink");
  }

  /** After the job succeeded: makes the new content current, one atomic commit per table. */
  public void publish() {
    if (replacement == null) {
      throw new IllegalStateException("the backfill was not added to an environment: call addTo first");
    }
    replacement.publish();
    replacement = null;
  }

  /** After the job failed: drops the staged content; the tables keep what they had. */
  public void abandon() {
    if (replacement != null) {
      replacement.abandon();
      replacement = null;
    }
  }

  /**
   * The whole backfill: {@link #prepareTables}, {@link #addTo} {@code env}, run with progress
   * lines on {@code progress}, then {@link #publish} the new content if the job succeeded (else
   * {@link #abandon} it).
   */
  public JobExecutionResult run(StreamExecutionEnvironment env, String jobName, PrintStream progress)
      throws Exception {
    // a local cluster starts while the tables are prepared
    try (JobRunner.Target target = JobRunner.target(env)) {
      prepareTables();
      JobExecutionResult result;
      try {
        addTo(env);
        result = target.run(env, jobName, RECORDS_READ, progress);
      } catch (Exception | Error e) {
        abandon();
        throw e;
      }
      publish();
      return result;
    }
  }

  private DataStream<IngestedRecord> readFiles(StreamExecutionEnvironment env) {
    DataStream<IngestedRecord> all = null;
    for (int i = 0; i < inputs.size(); i++) {
      Path file = inputs.get(i);
      FileSource<IngestedRecord> source = FileSource
          .forRecordStreamFormat(new CsvClickstreamFormat(i, file.toString(), ingestedAt, limits), file)
          .build();
      DataStream<IngestedRecord> records = env
          .fromSource(source, WatermarkStrategy.noWatermarks(), "csv-" + i + "-" + file.getName())
          .uid("csv-source-" + i)
          .map(new Count<IngestedRecord>(RECORDS_READ)).name("count-read-" + i).uid("count-read-" + i)
          .returns(PipelineSerializers.INGESTED_RECORD);
      all = all == null ? records : all.union(records);
    }
    return all;
  }

  /** Counts records into a job accumulator, passing them through. */
  static final class Count<T> extends RichMapFunction<T, T> {
    private static final long serialVersionUID = 1L;
    private final String name;
    private transient LongCounter counter;

    Count(String name) {
      this.name = name;
    }

    @Override
    public void open(OpenContext openContext) {
      counter = new LongCounter();
      getRuntimeContext().addAccumulator(name, counter);
    }

    @Override
    public T map(T value) {
      counter.add(1L);
      return value;
    }
  }

  /** Builder with clear names; every option but the inputs and warehouse has a default. */
  public static final class Builder {
    private List<String> inputs;
    private Lakehouse lakehouse;
    private SessionPolicy policy = SessionPolicy.DEFAULT;
    private long ingestedAt = System.currentTimeMillis();
    private boolean replaceStreamedData;
    private InputLimits limits = InputLimits.DEFAULT;

    public Builder inputs(List<String> paths) {
      this.inputs = paths;
      return this;
    }

    public Builder inputs(String... paths) {
      return inputs(Arrays.asList(paths));
    }

    public Builder lakehouse(Lakehouse lakehouse) {
      this.lakehouse = lakehouse;
      return this;
    }

    public Builder sessionPolicy(SessionPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The ingest time stamped on every record of this run (epoch ms); default: now. */
    public Builder ingestedAt(long epochMillis) {
      this.ingestedAt = epochMillis;
      return this;
    }

    /**
     * Replace the tables even if a stream has written to them since the last backfill (those rows
     * are lost unless the input holds them too). Default: refuse.
     */
    public Builder replaceStreamedData(boolean replace) {
      this.replaceStreamedData = replace;
      return this;
    }

    /** Maximum record size and event-time range (the future skew applies to streaming only). */
    public Builder inputLimits(InputLimits limits) {
      this.limits = Objects.requireNonNull(limits, "limits");
      return this;
    }

    public BackfillJob build() {
      return new BackfillJob(this);
    }
  }

  /** A BATCH-mode environment (local MiniCluster unless submitted to a cluster). */
  public static StreamExecutionEnvironment batchEnvironment(org.apache.flink.configuration.Configuration conf) {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    // chained operators pass records on without a defensive copy: no function here keeps or
    // mutates a record it has passed on (the keyed stages buffer what they deserialize themselves)
    env.getConfig().enableObjectReuse();
    return env;
  }
}
