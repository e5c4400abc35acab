package io.clickstream.propensity.jobs;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.IngestedRecord;
import io.clickstream.propensity.events.RejectReason;
import io.clickstream.propensity.events.serde.PipelineSerializers;
import io.clickstream.propensity.features.BatchUserStage;
import io.clickstream.propensity.features.DailyFeatureFunction;
import io.clickstream.propensity.features.DailySeed;
import io.clickstream.propensity.features.ExecutionMode;
import io.clickstream.propensity.features.FeatureSerializers;
import io.clickstream.propensity.features.FeatureSet;
import io.clickstream.propensity.features.FeaturedEvent;
import io.clickstream.propensity.features.GoldRows;
import io.clickstream.propensity.features.KeyMetrics;
import io.clickstream.propensity.features.MetricsBySet;
import io.clickstream.propensity.features.SessionFeatureFunction;
import io.clickstream.propensity.features.SessionPolicy;
import io.clickstream.propensity.features.SessionSeed;
import io.clickstream.propensity.features.SetKey;
import java.util.Arrays;
import java.util.HashMap;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFilterFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.KeyedStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.OutputTag;

/**
 * The one pipeline both modes run: ingested records in; bronze, rejected, featured silver events
 * and the five sets' current state out. Sources and sinks are the caller's (files or Kafka in,
 * Iceberg or test collectors out).
 *
 * <p>In STREAMING three keyed stages compute the five sets: the sub-key sets ride along with their
 * parent key's stage (cart-product with cart, user-product with user), the same rules with two
 * shuffles fewer. Stage order matters for streaming: the cart stage is keyed right after the
 * source, so a cart's events reach it in Kafka offset order (the topic is keyed by user_id); the
 * daily sets are order-insensitive within a day. In BATCH a cart is also a sub-key of its user:
 * one stage keyed by user ({@link BatchUserStage}) computes the four user and cart sets, then the
 * product stage; one sort of the whole input fewer.
 */
public final class FeaturePipeline {
  private FeaturePipeline() {}

  /** The keyed stages of the streaming job, in pipeline order, each named by the set it is keyed by. */
  public static final List<FeatureSet> STAGES =
      List.of(FeatureSet.CART, FeatureSet.USER, FeatureSet.PRODUCT);

  /** The streams the pipeline produces. */
  public static final class Outputs {
    /** Every record as received. */
    public final DataStream<IngestedRecord> bronze;
    /** Records that failed parsing or validation, with their reason. */
    public final DataStream<IngestedRecord> rejected;
    /** Distinct valid events with all 20 counts (50 features), late flag and (batch) label. */
    public final DataStream<FeaturedEvent> featured;
    /**
     * The same distinct events for silver, which needs none of their counts: in BATCH as they
     * leave the user stage, grouped by user and day, so silver's writer (one open file per day
     * partition) writes each file in runs, not a row at a time in turn as the product stage's
     * output would have it; in STREAMING as they leave the last stage, like {@link #featured}
     * (the stages before it flush their output every few milliseconds for the scores, which
     * would hand silver's writer tiny buffers).
     */
    public final DataStream<FeaturedEvent> silver;
    /** Extra copies of exact duplicates, removed from silver. */
    public final DataStream<ClickEvent> duplicates;
    /** Current state per key of each set (gold metric rows). */
    public final Map<FeatureSet, DataStream<KeyMetrics>> metrics;
    /** Canonical (BATCH) mode: the final state of every cart and cart-product key (warm start). */
    public DataStream<SessionSeed> cartSeeds;
    /** Canonical (BATCH) mode: the final state of every key of the user and product stages. */
    public final Map<FeatureSet, DataStream<DailySeed>> dailySeeds = new EnumMap<>(FeatureSet.class);

    Outputs(DataStream<IngestedRecord> bronze, DataStream<IngestedRecord> rejected,
        DataStream<FeaturedEvent> featured, DataStream<FeaturedEvent> silver,
        DataStream<ClickEvent> duplicates, Map<FeatureSet, DataStream<KeyMetrics>> metrics) {
      this.bronze = bronze;
      this.rejected = rejected;
      this.featured = featured;
      this.silver = silver;
      this.duplicates = duplicates;
      this.metrics = metrics;
    }
  }

  /** The pipeline of {@code mode}; in STREAMING each gold row goes out with every change. */
  public static Outputs build(
      DataStream<IngestedRecord> ingested, SessionPolicy policy, ExecutionMode mode) {
    return build(ingested, policy, mode, 0, -1);
  }

  /**
   * @param goldFlushMillis STREAMING: emit each key's gold row at most once per this interval
   *     (0 = with every change); BATCH emits one row per key at the end and ignores it
   * @param bufferTimeoutMillis STREAMING: network buffer timeout of the operators whose output
   *     is shuffled into the next keyed stage, the path of an event to its score (negative = the
   *     environment's); the last stage and everything else keep the environment's
   */
  public static Outputs build(DataStream<IngestedRecord> ingested, SessionPolicy policy,
      ExecutionMode mode, long goldFlushMillis, long bufferTimeoutMillis) {
    DataStream<IngestedRecord> rejected =
        ingested.filter(new IsRejected()).name("rejected").uid("rejected");
    SingleOutputStreamOperator<FeaturedEvent> stream = ingested
        .filter(new IsValid()).name("valid").uid("valid")
        .map(new ToFeaturedEvent()).name("to-featured").uid("to-featured")
        .returns(FeatureSerializers.FEATURED_EVENT);
    boolean batch = mode == ExecutionMode.BATCH;
    long flushMillis = batch ? 0 : goldFlushMillis;
    boolean fastHops = !batch && bufferTimeoutMillis >= 0;
    if (fastHops) {
      stream.setBufferTimeout(bufferTimeoutMillis);
    }

    OutputTag<KeyMetrics> cartRows = metricsTag(FeatureSet.CART);
    OutputTag<KeyMetrics> cartProductRows = metricsTag(FeatureSet.CART_PRODUCT);
    OutputTag<KeyMetrics> userRows = metricsTag(FeatureSet.USER);
    OutputTag<KeyMetrics> userProductRows = metricsTag(FeatureSet.USER_PRODUCT);
    SingleOutputStreamOperator<FeaturedEvent> cart;
    SingleOutputStreamOperator<FeaturedEvent> user;
    SingleOutputStreamOperator<KeyMetrics> userStageRows = null;
    if (batch) {
      // one stage keyed by user computes the cart sets too: one sort of the input fewer
      OutputTag<KeyMetrics> allRows = new OutputTag<>(
          FeatureSet.USER.prefix() + "-stage-metrics", FeatureSerializers.KEY_METRICS);
      cart = named(stream.keyBy(new SetKey.Id(FeatureSet.USER), Types.LONG)
              .process(new BatchUserStage(policy, allRows, allRows, allRows, allRows)),
          FeatureSet.CART, FeatureSet.CART_PRODUCT, FeatureSet.USER, FeatureSet.USER_PRODUCT);
      user = cart;
      // its four sets' rows leave through one output and part by set in a task of their own,
      // where their writers run: one BATCH result partition (512 network buffers) on the stage
      // instead of four
      userStageRows = cart.getSideOutput(allRows)
          .process(new MetricsBySet(Map.of(FeatureSet.CART, cartRows,
              FeatureSet.CART_PRODUCT, cartProductRows, FeatureSet.USER, userRows,
              FeatureSet.USER_PRODUCT, userProductRows)))
          .name("cart+cart_product+user+user_product-metrics").uid("user-stage-metrics")
          .returns(FeatureSerializers.KEY_METRICS);
      userStageRows.startNewChain();
    } else {
      cart = stage(stream.keyBy(new SetKey(FeatureSet.CART), PipelineSerializers.STRING_KEY),
          SessionFeatureFunction.streaming(policy, cartRows, cartProductRows),
          flushMillis, FeatureSet.CART, FeatureSet.CART_PRODUCT);
      if (fastHops) {
        cart.setBufferTimeout(bufferTimeoutMillis);
      }
      user = stage(cart.keyBy(new SetKey.Id(FeatureSet.USER), Types.LONG),
          DailyFeatureFunction.user(mode, userRows, userProductRows),
          flushMillis, FeatureSet.USER, FeatureSet.USER_PRODUCT);
      if (fastHops) {
        user.setBufferTimeout(bufferTimeoutMillis);
      }
    }
    SingleOutputStreamOperator<FeaturedEvent> product = stage(
        user.keyBy(new SetKey.Id(FeatureSet.PRODUCT), Types.LONG),
        DailyFeatureFunction.product(mode, metricsTag(FeatureSet.PRODUCT)),
        flushMillis, FeatureSet.PRODUCT);

    Map<FeatureSet, DataStream<KeyMetrics>> metrics = new EnumMap<>(FeatureSet.class);
    SingleOutputStreamOperator<?> cartRowsFrom = batch ? userStageRows : cart;
    SingleOutputStreamOperator<?> userRowsFrom = batch ? userStageRows : user;
    metrics.put(FeatureSet.CART, cartRowsFrom.getSideOutput(cartRows));
    metrics.put(FeatureSet.CART_PRODUCT, cartRowsFrom.getSideOutput(cartProductRows));
    metrics.put(FeatureSet.USER, userRowsFrom.getSideOutput(userRows));
    metrics.put(FeatureSet.USER_PRODUCT, userRowsFrom.getSideOutput(userProductRows));
    metrics.put(FeatureSet.PRODUCT, product.getSideOutput(metricsTag(FeatureSet.PRODUCT)));
    Outputs outputs = new Outputs(ingested, rejected, product, batch ? user : product,
        cart.getSideOutput(SessionFeatureFunction.DUPLICATES), metrics);
    if (batch) {
      outputs.cartSeeds = cart.getSideOutput(SessionFeatureFunction.finalStateTag());
      outputs.dailySeeds.put(FeatureSet.USER,
          user.getSideOutput(DailyFeatureFunction.finalStateTag(FeatureSet.USER)));
      outputs.dailySeeds.put(FeatureSet.PRODUCT,
          product.getSideOutput(DailyFeatureFunction.finalStateTag(FeatureSet.PRODUCT)));
    }
    return outputs;
  }

  /**
   * A STREAMING-capable feature stage keyed by {@code sets[0]} that computes {@code sets}: the
   * function on its own (gold rows emitted with every change, or at the end in BATCH), or in a
   * {@link GoldRows} operator that coalesces them per key and interval.
   */
  private static <K, F extends KeyedProcessFunction<K, FeaturedEvent, FeaturedEvent> & GoldRows.Source>
      SingleOutputStreamOperator<FeaturedEvent> stage(KeyedStream<FeaturedEvent, K> keyed, F function,
          long goldFlushMillis, FeatureSet... sets) {
    if (goldFlushMillis <= 0) {
      return stage(keyed, function, sets);
    }
    Map<FeatureSet, OutputTag<KeyMetrics>> tags = new EnumMap<>(FeatureSet.class);
    for (FeatureSet set : sets) {
      tags.put(set, metricsTag(set));
    }
    return named(keyed.transform("features", FeatureSerializers.FEATURED_EVENT,
        new GoldRows<>(function, tags, goldFlushMillis)), sets);
  }

  /** A feature stage keyed by {@code sets[0]} that computes {@code sets}, gold rows as emitted. */
  private static <K> SingleOutputStreamOperator<FeaturedEvent> stage(
      KeyedStream<FeaturedEvent, K> keyed,
      KeyedProcessFunction<K, FeaturedEvent, FeaturedEvent> function, FeatureSet... sets) {
    return named(keyed.process(function), sets);
  }

  private static SingleOutputStreamOperator<FeaturedEvent> named(
      SingleOutputStreamOperator<FeaturedEvent> stage, FeatureSet... sets) {
    String name = Arrays.stream(sets).map(FeatureSet::prefix).collect(Collectors.joining("+"))
        + "-features";
    return stage.name(name).uid(stageUid(sets[0])).returns(FeatureSerializers.FEATURED_EVENT);
  }

  /** Operator uid of a stage (keyed by {@code set}): its keyed state lives under it. */
  public static String stageUid(FeatureSet set) {
    return set.prefix() + "-features";
  }

  static OutputTag<KeyMetrics> metricsTag(FeatureSet set) {
    return new OutputTag<>(set.prefix() + "-metrics", FeatureSerializers.KEY_METRICS);
  }

  /** Keeps the records that parsed into a valid event. */
  public static final class IsValid implements FilterFunction<IngestedRecord> {
    private static final long serialVersionUID = 1L;

    @Override
    public boolean filter(IngestedRecord r) {
      return r.isValid();
    }
  }

  /**
   * Keeps the records that were rejected; counts every record in, every rejection, and the
   * rejections per reason (group {@code reason} = the reason without its {@code :<field>}).
   */
  public static final class IsRejected extends RichFilterFunction<IngestedRecord> {
    private static final long serialVersionUID = 1L;
    private transient Counter eventsIn;
    private transient Counter rejected;
    private transient Map<String, Counter> rejectedByReason;

    @Override
    public void open(OpenContext openContext) {
      eventsIn = getRuntimeContext().getMetricGroup().counter("eventsIn");
      rejected = getRuntimeContext().getMetricGroup().counter("eventsRejected");
      rejectedByReason = new HashMap<>();
    }

    @Override
    public boolean filter(IngestedRecord r) {
      eventsIn.inc();
      if (r.isValid()) {
        return false;
      }
      rejected.inc();
      rejectedByReason.computeIfAbsent(RejectReason.label(String.valueOf(r.reason)),
          label -> getRuntimeContext().getMetricGroup().addGroup("reason", label)
              .counter("eventsRejected")).inc();
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
