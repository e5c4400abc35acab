package io.clickstream.propensity.jobs;

import java.util.List;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventFields;
import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.events.IngestedRecord;
import io.clickstream.propensity.events.serde.PipelineSerializers;
import io.clickstream.propensity.features.ExecutionMode;
import io.clickstream.propensity.features.FeatureSet;
import io.clickstream.propensity.features.SessionPolicy;
import io.clickstream.propensity.features.StateBootstrap;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.OperatorTransformation;
import org.apache.flink.state.api.SavepointWriter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.flink.source.IcebergSource;

/**
 * Warm start of the streaming job (BATCH mode, State Processor API): replays
 * {@code silver.clickstream_events} at one snapshot through the same feature functions in
 * canonical order and writes their final per-key state into a savepoint under the streaming
 * operators' uids. A streaming job started from that savepoint has the user/product/user-product
 * history and the open carts exactly as if it had streamed the backfilled history itself.
 */
public final class WarmStartJob {
  /** Max parallelism of the keyed state; the streaming job must use the same. */
  public static final int MAX_PARALLELISM = 128;

  private final Lakehouse lakehouse;
  private final SessionPolicy policy;

  public WarmStartJob(Lakehouse lakehouse, SessionPolicy policy) {
    this.lakehouse = lakehouse;
    this.policy = policy;
  }

  /** The silver snapshot the savepoint is built from, or null when silver is empty or missing. */
  public Snapshot silverSnapshot() {
    return lakehouse.loadIfExists(LakehouseTable.SILVER_EVENTS)
        .map(Table::currentSnapshot)
        .orElse(null);
  }

  /**
   * The environment of the savepoint-writing job: {@code conf} in BATCH mode with one subtask.
   * At higher parallelism the State Processor API's bootstrap runners (Flink 2.1,
   * state-processor-api 2.1.0) can stop taking input and hang the job without an error. The
   * savepoint does not depend on this parallelism: its key groups are fixed by MAX_PARALLELISM.
   */
  public static StreamExecutionEnvironment environment(
      org.apache.flink.configuration.Configuration conf) {
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    env.setParallelism(1);
    return env;
  }

  /**
   * Builds (or reuses) the savepoint of the current silver snapshot under {@code baseDir} (a local
   * folder or any URI Flink's file systems reach), running the bootstrap job on the environment
   * {@code conf} gives (a MiniCluster locally, the cluster under {@code flink run}); returns its
   * URI, or null when silver is empty (nothing to warm from).
   */
  public String prepareSavepoint(String baseDir, org.apache.flink.configuration.Configuration conf,
      java.io.PrintStream log) throws Exception {
    Snapshot snapshot = silverSnapshot();
    if (snapshot == null) {
      log.println("Warm start: silver.clickstream_events is empty, starting from empty state");
      return null;
    }
    org.apache.flink.core.fs.Path dir = new org.apache.flink.core.fs.Path(
        new org.apache.flink.core.fs.Path(directoryUri(baseDir)),
        "silver-" + snapshot.snapshotId() + "-ttl-" + policy.ttlAfterPurchaseSeconds() + "-"
            + policy.ttlOpenSeconds());
    org.apache.flink.core.fs.Path metadata = new org.apache.flink.core.fs.Path(dir, "_metadata");
    if (metadata.getFileSystem().exists(metadata)) {
      log.println("Warm start: reusing " + dir);
    } else {
      log.printf("Warm start: building keyed state from silver snapshot %d into %s%n",
          snapshot.snapshotId(), dir);
      StreamExecutionEnvironment env = environment(conf);
      addTo(env, snapshot.snapshotId(), dir.toString());
      env.execute("clickstream-warm-start");
    }
    return dir.toString();
  }

  /** A local folder as an absolute file URI; URIs (s3://, hdfs://, file:/...) as they are. */
  static java.net.URI directoryUri(String dir) {
    return dir.contains(":/") ? java.net.URI.create(dir)
        : new java.io.File(dir).getAbsoluteFile().toURI();
  }

  /** Adds the savepoint-writing job to {@code env}, which must come from {@link #environment}. */
  public void addTo(StreamExecutionEnvironment env, long snapshotId, String savepointPath) {
    if (env.getConfiguration().get(ExecutionOptions.RUNTIME_MODE) != RuntimeExecutionMode.BATCH
        || env.getParallelism() != 1) {
      throw new IllegalArgumentException("the warm-start job runs in BATCH mode with one subtask: "
          + "create its environment with environment(conf)");
    }
    Table silver = lakehouse.load(LakehouseTable.SILVER_EVENTS);
    Schema schema = silver.schema();
    IcebergSource<RowData> source = IcebergSource.forRowData()
        .tableLoader(lakehouse.tableLoader(LakehouseTable.SILVER_EVENTS))
        .useSnapshotId(snapshotId)
        .streaming(false)
        .build();
    DataStream<IngestedRecord> history = env
        .fromSource(source, WatermarkStrategy.noWatermarks(), "silver-history",
            InternalTypeInfo.of(FlinkSchemaUtil.convert(schema)))
        .map(new SilverToRecord(schema)).name("to-history-event")
        .returns(PipelineSerializers.INGESTED_RECORD);
    FeaturePipeline.Outputs out = FeaturePipeline.build(history, policy, ExecutionMode.BATCH);

    SavepointWriter writer =
        SavepointWriter.newSavepoint(env, new HashMapStateBackend(), MAX_PARALLELISM);
    writer = writer.withOperator(
        OperatorIdentifier.forUid(FeaturePipeline.stageUid(FeatureSet.CART)),
        OperatorTransformation.bootstrapWith(out.cartSeeds)
            .keyBy(new StateBootstrap.CartSeedKey(), PipelineSerializers.STRING_KEY)
            .transform(new StateBootstrap.Cart(policy)));
    for (FeatureSet stage : List.of(FeatureSet.USER, FeatureSet.PRODUCT)) {
      writer = writer.withOperator(OperatorIdentifier.forUid(FeaturePipeline.stageUid(stage)),
          OperatorTransformation.bootstrapWith(out.dailySeeds.get(stage))
              .keyBy(new StateBootstrap.DailySeedKey(stage), Types.LONG)
              .transform(new StateBootstrap.Daily(stage)));
    }
    writer.write(savepointPath);
  }

  /** A silver row back into a valid record with its canonical position. */
  static final class SilverToRecord implements MapFunction<RowData, IngestedRecord> {
    private static final long serialVersionUID = 1L;
    private final int[] pos = new int[13];
    private static final String[] COLUMNS = {"event_id", EventFields.EVENT_TIME,
        EventFields.EVENT_TYPE, EventFields.PRODUCT_ID, EventFields.CATEGORY_ID,
        EventFields.CATEGORY_CODE, EventFields.BRAND, EventFields.PRICE, EventFields.USER_ID,
        EventFields.USER_SESSION, "source_partition", "source_offset", "ingested_at"};

    SilverToRecord(Schema schema) {
      for (int i = 0; i < COLUMNS.length; i++) {
        pos[i] = schema.columns().indexOf(schema.findField(COLUMNS[i]));
      }
    }

    @Override
    public IngestedRecord map(RowData row) {
      ClickEvent e = new ClickEvent();
      e.eventId = row.getString(pos[0]).toString();
      e.eventTime = row.getTimestamp(pos[1], 6).getMillisecond() / 1000L;
      e.eventType = EventType.fromWireName(row.getString(pos[2]).toString());
      e.productId = row.getLong(pos[3]);
      e.categoryId = row.isNullAt(pos[4]) ? null : row.getLong(pos[4]);
      e.categoryCode = row.isNullAt(pos[5]) ? null : row.getString(pos[5]).toString();
      e.brand = row.isNullAt(pos[6]) ? null : row.getString(pos[6]).toString();
      e.price = row.getDecimal(pos[7], EventFields.PRICE_PRECISION, EventFields.PRICE_SCALE)
          .toBigDecimal();
      e.userId = row.getLong(pos[8]);
      e.userSession = row.getString(pos[9]).toString();
      e.sourceOrder = row.getInt(pos[10]);
      e.sourceOffset = row.getLong(pos[11]);
      e.ingestedAt = row.getTimestamp(pos[12], 6).getMillisecond();
      IngestedRecord r = new IngestedRecord();
      r.source = "silver";
      r.sourceOrder = e.sourceOrder;
      r.sourceOffset = e.sourceOffset;
      r.ingestedAt = e.ingestedAt;
      r.event = e;
      return r;
    }
  }
}
