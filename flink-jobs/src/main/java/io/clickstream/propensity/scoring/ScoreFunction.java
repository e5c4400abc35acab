package io.clickstream.propensity.scoring;

import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.features.FeatureRules;
import io.clickstream.propensity.features.FeaturedEvent;
import java.util.EnumMap;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.util.Collector;

/**
 * Scores every non-purchase event (docs/features.md, Scores) with the ONNX model, one event at a time so a
 * click is scored as soon as its features are known (no batching wait). The model was checked
 * against the job's feature contract when the job was built, so a wrong model never starts.
 */
public class ScoreFunction extends RichFlatMapFunction<FeaturedEvent, Score> {
  private static final long serialVersionUID = 1L;

  private final ModelContract model;
  private transient OnnxScorer scorer;
  private transient float[] input;
  private transient float[] output;
  private transient Counter scored;
  private transient EnumMap<Action, Counter> scoredByAction;
  private transient Counter lateScored;
  private transient Histogram latency;

  public ScoreFunction(ModelContract model) {
    this.model = model;
  }

  @Override
  public void open(OpenContext openContext) {
    scorer = model.openScorer(1);
    input = new float[FeatureRules.MODEL_FEATURE_COUNT];
    output = new float[1];
    var metrics = getRuntimeContext().getMetricGroup();
    scored = metrics.counter("eventsScored");
    scoredByAction = new EnumMap<>(Action.class);
    for (Action a : Action.values()) {
      scoredByAction.put(a, metrics.addGroup("action", a.wireName()).counter("eventsScored"));
    }
    lateScored = metrics.counter("lateEventsScored");
    latency = metrics.histogram("ingestToScoreLatencyMs", new DescriptiveStatisticsHistogram(10_000));
  }

  @Override
  public void flatMap(FeaturedEvent f, Collector<Score> out) {
    if (f.event.eventType == EventType.PURCHASE) {
      return;
    }
    FeatureRules.modelVector(f.counts, input, 0);
    scorer.score(input, 1, output);
    double p = output[0];
    long now = System.currentTimeMillis();
    Action action = model.action(p);
    out.collect(Score.of(f, p, action.wireName(), model.modelName(), model.modelVersion(), now));
    scored.inc();
    scoredByAction.get(action).inc();
    if (f.late) {
      lateScored.inc();
    }
    latency.update(now - f.event.ingestedAt);
  }

  @Override
  public void close() throws Exception {
    if (scorer != null) {
      scorer.close();
    }
  }
}
