package io.clickstream.propensity.jobs;

import io.clickstream.propensity.events.serde.PipelineSerializers;
import io.clickstream.propensity.events.serde.StateSerializers;
import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.IngestedRecord;
import io.clickstream.propensity.features.DailyFeatureFunction;
import io.clickstream.propensity.features.DailySeed;
import io.clickstream.propensity.features.SessionSeed;
import io.clickstream.propensity.features.FeatureSet;
import io.clickstream.propensity.features.FeaturedEvent;
import io.clickstream.propensity.features.GoldRows;
import io.clickstream.propensity.features.KeyMetrics;
import io.clickstream.propensity.features.SessionFeatureFunction;
import io.clickstream.propensity.features.SessionPolicy;
import io.clickstream.propensity.features.SetKey;
import java.util.EnumMap;
import java.util.Map;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFilterFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.OutputTag;

/**
 * The one pipeline both modes run: ingested records in; bronze, rejected, featured silver events
 * and the five sets' current state out. Sources and sinks are the caller's (files or Kafka in,
 * Iceberg or test collectors out).
 *
 * <p>Stage order matters for streaming: the cart stage is keyed right after the source, so a cart's
 * events reach it in Kafka offset order (the topic is keyed by user_id); the cart-product stage has
 * one upstream subtask per cart; the daily sets are order-insensitive within a day.
 *
 * <p>In BATCH the sub-key sets ride along with their parent key's stage (cart-product with cart,
 * user-product with user): three keyed stages instead of five, the same rules, the same outputs.
 */
public final class FeaturePipeline {
  private FeaturePipeline() {}

  /** The streams the pipeline produces. */
  public static final class Outputs {
    /** Every record as received. */
    public final DataStream<IngestedRecord> bronze;
    /** Records that failed parsing or validation, with their reason. */
    public final DataStream<IngestedRecord> rejected;
    /** Distinct valid events with all 20 counts (50 features), late flag and (batch) label. */
    public final DataStream<FeaturedEvent> featured;
    /** Extra copies of exact duplicates, removed from silver. */
    public final DataStream<ClickEvent> duplicates;
    /** Current state per key of each set (gold metric rows). */
    public final Map<FeatureSet, DataStream<KeyMetrics>> metrics;
    /** Canonical (BATCH) mode: the final state of every key of the session sets (warm start). */
    public final Map<FeatureSet, DataStream<SessionSeed>> sessionSeeds = new EnumMap<>(FeatureSet.class);
    /** Canonical (BATCH) mode: the final state of every key of the daily sets (warm start). */
    public final Map<FeatureSet, DataStream<DailySeed>> dailySeeds = new EnumMap<>(FeatureSet.class);

    Outputs(DataStream<IngestedRecord> bronze, DataStream<IngestedRecord> rejected,
        DataStream<FeaturedEvent> featured, DataStream<ClickEvent> duplicates,
        Map<FeatureSet, DataStream<KeyMetrics>> metrics) {
      this.bronze = bronze;
      this.rejected = rejected;
      this.featured = featured;
      this.duplicates = duplicates;
      this.metrics = metrics;
    }
  }

  /**
   * @param canonicalOrder true for BATCH (each session key sorted into canonical order, one gold row
   *     per key at the end), false for STREAMING (arrival order, no waiting)
   */
  public static Outputs build(
      DataStream<IngestedRecord> ingested, SessionPolicy policy, boolean canonicalOrder) {
    return build(ingested, policy, canonicalOrder, 0);
  }

  /**
   * @param goldFlushMillis streaming: emit each key's gold row at most once per this interval
   *     (0 = with every event)
   */
  public static Outputs build(DataStream<IngestedRecord> ingested, SessionPolicy policy,
      boolean canonicalOrder, long goldFlushMillis) {
    DataStream<IngestedRecord> rejected =
        ingested.filter(new IsRejected()).name("rejected").uid("rejected");
    DataStream<FeaturedEvent> stream = ingested
        .filter(new IsValid()).name("valid").uid("valid")
        .map(new ToFeaturedEvent()).name("to-featured").uid("to-featured")
        .returns(PipelineSerializers.FEATURED_EVENT);

    // BATCH emits one gold row per key at the end: no coalescing
    long streamingFlushMillis = canonicalOrder ? 0 : goldFlushMillis;
    Map<FeatureSet, DataStream<KeyMetrics>> metrics = new EnumMap<>(FeatureSet.class);
    Map<FeatureSet, SingleOutputStreamOperator<FeaturedEvent>> stages = new EnumMap<>(FeatureSet.class);
    DataStream<ClickEvent> duplicates = null;
    for (FeatureSet set : FeatureSet.values()) {
      OutputTag<KeyMetrics> tag = metricsTag(set);
      SingleOutputStreamOperator<FeaturedEvent> stage;
      if (canonicalOrder && (set == FeatureSet.CART_PRODUCT || set == FeatureSet.USER_PRODUCT)) {
        continue; // computed by the cart and user stages (below): a sort and a shuffle fewer each
      }
      if (canonicalOrder && set == FeatureSet.CART) {
        stage = stream.keyBy(new SetKey(set), StateSerializers.STRING_KEY).process(SessionFeatureFunction
            .cartWithCartProduct(policy, tag, metricsTag(FeatureSet.CART_PRODUCT)));
        metrics.put(FeatureSet.CART_PRODUCT, stage.getSideOutput(metricsTag(FeatureSet.CART_PRODUCT)));
        stages.put(FeatureSet.CART_PRODUCT, stage);
      } else if (canonicalOrder && set == FeatureSet.USER) {
        stage = stream.keyBy(new SetKey.Id(set), Types.LONG).process(DailyFeatureFunction
            .userWithUserProduct(tag, metricsTag(FeatureSet.USER_PRODUCT)));
        metrics.put(FeatureSet.USER_PRODUCT, stage.getSideOutput(metricsTag(FeatureSet.USER_PRODUCT)));
        stages.put(FeatureSet.USER_PRODUCT, stage);
      } else if (set.isSession()) {
        stage = stage(stream.keyBy(new SetKey(set), StateSerializers.STRING_KEY),
            new SessionFeatureFunction(set, policy, canonicalOrder, tag), tag,
            streamingFlushMillis);
      } else if (SetKey.isId(set)) {
        stage = stage(stream.keyBy(new SetKey.Id(set), Types.LONG),
            new DailyFeatureFunction<Long>(set, canonicalOrder, tag), tag,
            streamingFlushMillis);
      } else {
        stage = stage(stream.keyBy(new SetKey(set), StateSerializers.STRING_KEY),
            new DailyFeatureFunction<String>(set, canonicalOrder, tag), tag,
            streamingFlushMillis);
      }
      String name = !canonicalOrder ? stageUid(set)
          : set == FeatureSet.CART ? "cart+cart_product-features"
          : set == FeatureSet.USER ? "user+user_product-features" : stageUid(set);
      stage.name(name).uid(stageUid(set)).returns(PipelineSerializers.FEATURED_EVENT);
      metrics.put(set, stage.getSideOutput(tag));
      stages.put(set, stage);
      if (set == FeatureSet.CART) {
        duplicates = stage.getSideOutput(SessionFeatureFunction.DUPLICATES);
      }
      stream = stage;
    }
    Outputs outputs = new Outputs(ingested, rejected, stream, duplicates, metrics);
    if (canonicalOrder) {
      stages.forEach((set, stage) -> {
        if (set.isSession()) {
          outputs.sessionSeeds.put(set, stage.getSideOutput(SessionFeatureFunction.finalStateTag(set)));
        } else {
          outputs.dailySeeds.put(set, stage.getSideOutput(DailyFeatureFunction.finalStateTag(set)));
        }
      });
    }
    return outputs;
  }

  /**
   * A feature stage: the function on its own (gold rows emitted with every change, or at the end
   * in BATCH), or in a {@link GoldRows} operator that coalesces them per key and interval.
   */
  private static <K, F extends KeyedProcessFunction<K, FeaturedEvent, FeaturedEvent> & GoldRows.Source>
      SingleOutputStreamOperator<FeaturedEvent> stage(KeyedStream<FeaturedEvent, K> keyed, F function,
          OutputTag<KeyMetrics> tag, long goldFlushMillis) {
    if (goldFlushMillis <= 0) {
      return keyed.process(function);
    }
    return keyed.transform("features", PipelineSerializers.FEATURED_EVENT,
        new GoldRows<>(function, tag, goldFlushMillis));
  }

  /** Operator uid of a set's stage: keyed state lives under it (checkpoints, warm start). */
  public static String stageUid(FeatureSet set) {
    return set.prefix() + "-features";
  }

  static OutputTag<KeyMetrics> metricsTag(FeatureSet set) {
    return new OutputTag<>(set.prefix() + "-metrics", PipelineSerializers.KEY_METRICS);
  }

  /** Keeps the records that parsed into a valid event. */
  public static final class IsValid implements FilterFunction<IngestedRecord> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean filter(IngestedRecord r) {
      return r.isValid();
    }
  }

  /** Keeps the records that were rejected; counts every record in and every rejection. */
  public static final class IsRejected extends RichFilterFunction<IngestedRecord> {
    private static final long serialVersionUID = 1L;
    private transient Counter eventsIn;
    private transient Counter rejected;

    @Override
    public void open(OpenContext openContext) {
      eventsIn = getRuntimeContext().getMetricGroup().counter("eventsIn");
      rejected = getRuntimeContext().getMetricGroup().counter("eventsRejected");
    }

    @Override
    public boolean filter(IngestedRecord r) {
      eventsIn.inc();
      if (r.isValid()) {
        return false;
      }
      rejected.inc();
      return true;
    }
  }

  /** Starts a valid record's trip through the feature stages. */
  public static final class ToFeaturedEvent implements MapFunction<IngestedRecord, FeaturedEvent> {
    private static final long serialVersionUID = 1L;

    @Override
    public FeaturedEvent map(IngestedRecord r) {
      return FeaturedEvent.of(r.event);
    }
  }
}
