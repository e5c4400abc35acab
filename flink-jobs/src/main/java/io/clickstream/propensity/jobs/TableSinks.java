package io.clickstream.propensity.jobs;

import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.features.FeatureSet;
import io.clickstream.propensity.features.FeaturedEvent;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.lakehouse.TableRows;
import io.clickstream.propensity.scoring.Score;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.table.data.RowData;

/**
 * Which tables the jobs write and which stream and row conversion feeds each: the one mapping of
 * the {@link FeaturePipeline}'s outputs to the medallion tables. The jobs differ only in how a
 * table is written ({@link TableSink}): the backfill stages its rows for an atomic replacement,
 * the stream appends them and upserts each key's gold metric row.
 */
public final class TableSinks {
  private TableSinks() {}

  /** The tables both jobs write from the pipeline's outputs. */
  public static final List<LakehouseTable> PIPELINE_TABLES = List.of(
      LakehouseTable.BRONZE_RAW, LakehouseTable.SILVER_EVENTS, LakehouseTable.SILVER_REJECTED,
      LakehouseTable.GOLD_CART_METRICS, LakehouseTable.GOLD_CART_PRODUCT_METRICS,
      LakehouseTable.GOLD_USER_METRICS, LakehouseTable.GOLD_PRODUCT_METRICS,
      LakehouseTable.GOLD_USER_PRODUCT_METRICS);

  /** The tables a backfill writes: the pipeline's, plus the training rows. */
  public static final List<LakehouseTable> BACKFILL_TABLES =
      with(PIPELINE_TABLES, LakehouseTable.GOLD_TRAINING_FEATURES);

  /** The tables the streaming job writes: the pipeline's, plus the scores. */
  public static final List<LakehouseTable> STREAM_TABLES =
      with(PIPELINE_TABLES, LakehouseTable.GOLD_SESSION_SCORES);

  /** Adds a sink of {@code stream}, converted by {@code toRow}, to {@code table}. */
  @FunctionalInterface
  public interface TableSink {
    <T> void write(DataStream<T> stream, MapFunction<T, RowData> toRow, LakehouseTable table);
  }

  /**
   * Adds the sinks of the pipeline's tables: bronze, rejected and silver rows through {@code
   * rows}, each set's gold metric rows through {@code metricRows}.
   */
  public static void addPipelineSinks(
      FeaturePipeline.Outputs out, TableSink rows, TableSink metricRows) {
    rows.write(out.bronze, new TableRows.Bronze(), LakehouseTable.BRONZE_RAW);
    rows.write(out.rejected, new TableRows.Rejected(), LakehouseTable.SILVER_REJECTED);
    rows.write(out.silver, new TableRows.Silver(), LakehouseTable.SILVER_EVENTS);
    for (FeatureSet set : FeatureSet.values()) {
      metricRows.write(out.metrics.get(set), new TableRows.Metrics(), LakehouseTable.metricsOf(set));
    }
  }

  /** Adds the sink of the training rows: the featured non-purchase events. */
  public static void addTrainingSink(DataStream<FeaturedEvent> featured, TableSink rows) {
    rows.write(featured.filter(new IsTrainingRow()).name("training-rows").uid("training-rows"),
        new TableRows.Training(), LakehouseTable.GOLD_TRAINING_FEATURES);
  }

  /** Adds the sink of the scores. */
  public static void addScoresSink(DataStream<Score> scores, TableSink rows) {
    rows.write(scores, new TableRows.Scores(), LakehouseTable.GOLD_SESSION_SCORES);
  }

  /** Training rows are the non-purchase events (docs/features.md, Training rows and labels). */
  public static final class IsTrainingRow implements FilterFunction<FeaturedEvent> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean filter(FeaturedEvent f) {
      return f.event.eventType != EventType.PURCHASE;
    }
  }

  private static List<LakehouseTable> with(List<LakehouseTable> tables, LakehouseTable extra) {
    List<LakehouseTable> all = new ArrayList<>(tables);
    all.add(extra);
    return List.copyOf(all);
  }
}
