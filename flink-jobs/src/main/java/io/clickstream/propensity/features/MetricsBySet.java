package io.clickstream.propensity.features;

import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.apache.flink.util.Preconditions;

/**
 * Parts one stream of gold rows of several sets into one side output per set (each row carries
 * its set). A stage that computes several sets can then send all their rows out through one
 * output: in BATCH every output of a task is a result partition holding 512 network buffers
 * while the task runs, which a default TaskManager (4,096 buffers for all its tasks) cannot give
 * a stage with many.
 */
public final class MetricsBySet extends ProcessFunction<KeyMetrics, KeyMetrics> {
  private static final long serialVersionUID = 1L;

  private final Map<FeatureSet, OutputTag<KeyMetrics>> tags;

  public MetricsBySet(Map<FeatureSet, OutputTag<KeyMetrics>> tags) {
    Preconditions.checkArgument(!tags.isEmpty(), "no set to part the rows into");
    this.tags = new EnumMap<>(tags);
  }

  @Override
  public void processElement(KeyMetrics row, Context ctx, Collector<KeyMetrics> out) {
    OutputTag<KeyMetrics> tag = tags.get(row.set);
    if (tag == null) {
      throw new IllegalStateException("a gold row of set " + row.set + ", not one of " + tags.keySet());
    }
    ctx.output(tag, row);
  }
}
