package io.clickstream.propensity.jobs;

import io.clickstream.propensity.events.serde.PipelineSerializers;
import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.CsvClickstreamFormat;
import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.events.IngestedRecord;
import io.clickstream.propensity.features.ExecutionMode;
import io.clickstream.propensity.features.FeatureSet;
import io.clickstream.propensity.features.FeaturedEvent;
import io.clickstream.propensity.features.SessionPolicy;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.lakehouse.TableRows;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.legacy.DiscardingSink;

/**
 * The bounded half: historical clickstream CSV files to the Iceberg medallion tables in BATCH
 * runtime mode. A backfill rebuilds every table from the given input (the features need the
 * whole history), so re-running it over the same input leaves the same content.
 */
public final class BackfillJob {
  /** Accumulator: records read from the files (progress). */
  public static final String RECORDS_READ = "records-read";
  /** Accumulator: exact duplicates removed. */
  public static final String DUPLICATES_REMOVED = "duplicates-removed";

  /** The tables a backfill writes. */
  public static final List<LakehouseTable> TABLES = List.of(
      LakehouseTable.BRONZE_RAW, LakehouseTable.SILVER_EVENTS, LakehouseTable.SILVER_REJECTED,
      LakehouseTable.GOLD_CART_METRICS, LakehouseTable.GOLD_CART_PRODUCT_METRICS,
      LakehouseTable.GOLD_USER_METRICS, LakehouseTable.GOLD_PRODUCT_METRICS,
      LakehouseTable.GOLD_USER_PRODUCT_METRICS, LakehouseTable.GOLD_TRAINING_FEATURES);

  private final List<Path> inputs;
  private final Lakehouse lakehouse;
  private final SessionPolicy policy;
  private final long ingestedAt;

  private BackfillJob(Builder b) {
    this.inputs = InputFiles.expand(b.inputs);
    this.lakehouse = Objects.requireNonNull(b.lakehouse, "lakehouse");
    this.policy = b.policy;
    this.ingestedAt = b.ingestedAt;
  }

  public static Builder builder() {
    return new Builder();
  }

  public List<Path> inputs() {
    return inputs;
  }

  /**
   * Prepares the tables (created if missing, emptied: the backfill replaces their content) and adds
   * the job to {@code env}, which must be in BATCH mode.
   */
  public void addTo(StreamExecutionEnvironment env) {
    lakehouse.ensureTables(TABLES);
    for (LakehouseTable t : TABLES) {
      lakehouse.truncate(t);
    }
    FeaturePipeline.Outputs out = FeaturePipeline.build(readFiles(env), policy, ExecutionMode.BATCH);
    lakehouse.append(out.bronze, new TableRows.Bronze(), LakehouseTable.BRONZE_RAW);
    lakehouse.append(out.rejected, new TableRows.Rejected(), LakehouseTable.SILVER_REJECTED);
    lakehouse.append(out.featured, new TableRows.Silver(), LakehouseTable.SILVER_EVENTS);
    lakehouse.append(
        out.featured.filter(new IsTrainingRow()).name("training-rows").uid("training-rows"),
        new TableRows.Training(), LakehouseTable.GOLD_TRAINING_FEATURES);
    for (FeatureSet set : FeatureSet.values()) {
      lakehouse.append(out.metrics.get(set), new TableRows.Metrics(), LakehouseTable.metricsOf(set));
    }
    out.duplicates
        .map(new Count<ClickEvent>(DUPLICATES_REMOVED)).name("count-duplicates").uid("count-duplicates")
        .addSink(new DiscardingSink<>()).name("duplicates").uid("duplicates-sink");
  }

  private DataStream<IngestedRecord> readFiles(StreamExecutionEnvironment env) {
    DataStream<IngestedRecord> all = null;
    for (int i = 0; i < inputs.size(); i++) {
      Path file = inputs.get(i);
      FileSource<IngestedRecord> source = FileSource
          .forRecordStreamFormat(new CsvClickstreamFormat(i, file.toString(), ingestedAt), file)
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

  /** Training rows are the non-purchase events (docs/features.md, Training rows and labels). */
  public static final class IsTrainingRow implements FilterFunction<FeaturedEvent> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean filter(FeaturedEvent f) {
      return f.event.eventType != EventType.PURCHASE;
    }
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
