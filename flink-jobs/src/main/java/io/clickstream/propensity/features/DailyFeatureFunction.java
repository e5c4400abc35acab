package io.clickstream.propensity.features;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.ListTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * A daily snapshot set (user, product, user-product; FEATURES.md §3): the value for an event of
 * day D is the count of the key's events with event time before D 00:00 UTC.
 *
 * <p>The same code runs in both modes. An event of day D is emitted once the watermark has passed
 * D 00:00 (so no earlier day of this key can still arrive in order); before that it waits for an
 * event-time timer at D 00:00. In STREAMING mode only events in the first seconds after midnight
 * wait (bounded out-of-orderness). In BATCH mode the watermark stays at its minimum while a key's
 * events arrive and the runtime fires the key's timers in time order at the end of the key, which
 * yields the exact snapshots. Order within a day does not matter: the snapshot excludes the day.
 *
 * <p>An event of a day older than the key's latest snapshot arrived after that snapshot was taken:
 * it is flagged late, gets the current snapshot, and counts from the next snapshot on.
 *
 * <p>The user stage carries the user-product set too ({@link #userWithUserProduct}): a
 * user-product key is a sub-key of its user, whose days the stage already walks in order, so one
 * shuffle (and in BATCH one sort) is saved. Each user-product key is counted by the same rule,
 * its state one entry of the user's map state.
 */
public class DailyFeatureFunction<K>
    extends KeyedProcessFunction<K, FeaturedEvent, FeaturedEvent> implements GoldRows.Source {
  private static final long serialVersionUID = 1L;
  private static final long END_OF_INPUT = Long.MAX_VALUE;
  private static final long MILLIS_PER_DAY = 86_400_000L;

  private final FeatureSet set;
  private final boolean emitMetricsAtEnd;
  private final OutputTag<KeyMetrics> metricsTag;
  /** Built once: Types.POJO runs the type extractor, far too slow to call per key. */
  private final OutputTag<DailySeed> finalStateTag;
  /** User stage only: also compute the user-product set (null = not). */
  private final OutputTag<KeyMetrics> userProductMetricsTag;

  private transient ValueState<DailyState> state;
  /** Events waiting for the watermark to pass their day's midnight, by epoch day. */
  private transient MapState<Long, List<FeaturedEvent>> waiting;
  /** User stage with user-product: the user's user-product keys, by product id. */
  private transient MapState<Long, DailyState> userProducts;
  private transient Counter lateEvents;
  private transient Counter userProductLateEvents;
  /** Streaming, in a {@link GoldRows} operator: where the gold rows go (null = emitted at once). */
  private transient GoldRows.Buffer goldRows;

  /**
   * @param emitMetricsAtEnd true in BATCH mode: one gold metric row per key at the end of input
   *     instead of one per event
   */
  public DailyFeatureFunction(FeatureSet set, boolean emitMetricsAtEnd, OutputTag<KeyMetrics> metricsTag) {
    this(set, emitMetricsAtEnd, metricsTag, null);
  }

  /**
   * The user stage that also computes the user-product set (features, gold rows on
   * {@code userProductMetricsTag}, final states with the user's on {@code finalStateTag(USER)}).
   */
  public static DailyFeatureFunction<Long> userWithUserProduct(boolean emitMetricsAtEnd,
      OutputTag<KeyMetrics> userMetricsTag, OutputTag<KeyMetrics> userProductMetricsTag) {
    return new DailyFeatureFunction<>(
        FeatureSet.USER, emitMetricsAtEnd, userMetricsTag, userProductMetricsTag);
  }

  private DailyFeatureFunction(FeatureSet set, boolean emitMetricsAtEnd,
      OutputTag<KeyMetrics> metricsTag, OutputTag<KeyMetrics> userProductMetricsTag) {
    if (set.isSession()) {
      throw new IllegalArgumentException(set + " is a session set: use SessionFeatureFunction");
    }
    this.set = set;
    this.emitMetricsAtEnd = emitMetricsAtEnd;
    this.metricsTag = metricsTag;
    this.finalStateTag = finalStateTag(set);
    this.userProductMetricsTag = userProductMetricsTag;
  }

  // The streaming state, declared once: the warm start (StateBootstrap.Daily) writes the same.

  static ValueStateDescriptor<DailyState> stateDescriptor(FeatureSet set) {
    return new ValueStateDescriptor<>(set.prefix() + "-daily", FeatureSerializers.DAILY_STATE);
  }

  static MapStateDescriptor<Long, DailyState> userProductsDescriptor() {
    return new MapStateDescriptor<>(
        FeatureSet.USER_PRODUCT.prefix() + "-daily", Types.LONG, FeatureSerializers.DAILY_STATE);
  }

  /** Side output of the final state of every key of the stage (batch mode): the warm start's input. */
  public static OutputTag<DailySeed> finalStateTag(FeatureSet set) {
    return new OutputTag<>(set.prefix() + "-final-state", Types.POJO(DailySeed.class));
  }

  @Override
  public void open(OpenContext openContext) {
    state = getRuntimeContext().getState(stateDescriptor(set));
    waiting = getRuntimeContext().getMapState(new MapStateDescriptor<>(
        set.prefix() + "-waiting", Types.LONG, new ListTypeInfo<>(FeatureSerializers.FEATURED_EVENT)));
    lateEvents = getRuntimeContext().getMetricGroup().counter(set.prefix() + "LateEvents");
    if (userProductMetricsTag != null) {
      userProducts = getRuntimeContext().getMapState(userProductsDescriptor());
      userProductLateEvents = getRuntimeContext().getMetricGroup()
          .counter(FeatureSet.USER_PRODUCT.prefix() + "LateEvents");
    }
  }

  @Override
  public void processElement(FeaturedEvent value, Context ctx, Collector<FeaturedEvent> out)
      throws Exception {
    long day = FeatureRules.epochDay(value.event.eventTime);
    long midnight = day * MILLIS_PER_DAY;
    if (ctx.timerService().currentWatermark() >= midnight) {
      DailyState s = current();
      countAll(ctx, s, day, value);
      out.collect(value);
      state.update(s);
      if (!emitMetricsAtEnd) {
        emitGoldRow(ctx, metricsTag, metrics(set, s), null);
      }
    } else {
      List<FeaturedEvent> days = waiting.get(day);
      if (days == null) {
        days = new ArrayList<>();
      }
      days.add(value);
      waiting.put(day, days);
      ctx.timerService().registerEventTimeTimer(midnight);
      if (emitMetricsAtEnd) {
        ctx.timerService().registerEventTimeTimer(END_OF_INPUT);
      }
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeaturedEvent> out)
      throws Exception {
    DailyState s = current();
    if (timestamp == END_OF_INPUT) {
      ctx.output(metricsTag, metrics(set, s));
      ctx.output(finalStateTag, DailySeed.of(set, s));
      state.clear();
      if (userProducts != null) {
        for (DailyState up : userProducts.values()) {
          ctx.output(userProductMetricsTag, metrics(FeatureSet.USER_PRODUCT, up));
          ctx.output(finalStateTag, DailySeed.of(FeatureSet.USER_PRODUCT, up));
        }
        userProducts.clear();
      }
      return;
    }
    long day = Math.floorDiv(timestamp, MILLIS_PER_DAY);
    List<FeaturedEvent> events = waiting.get(day);
    if (events == null) {
      return;
    }
    waiting.remove(day);
    for (FeaturedEvent e : events) {
      countAll(ctx, s, day, e);
      out.collect(e);
    }
    state.update(s);
    if (!emitMetricsAtEnd) {
      emitGoldRow(ctx, metricsTag, metrics(set, s), null);
    }
  }

  /** Counts {@code e} in the stage's set and (user stage) in its user-product key. */
  private void countAll(Context ctx, DailyState s, long day, FeaturedEvent e) throws Exception {
    if (count(set, s, day, e)) {
      lateEvents.inc();
    }
    if (userProducts != null) {
      long product = e.event.productId;
      DailyState up = userProducts.get(product);
      if (up == null) {
        up = new DailyState();
      }
      if (count(FeatureSet.USER_PRODUCT, up, day, e)) {
        userProductLateEvents.inc();
      }
      userProducts.put(product, up);
      if (!emitMetricsAtEnd) {
        emitGoldRow(ctx, userProductMetricsTag, metrics(FeatureSet.USER_PRODUCT, up), product);
      }
    }
  }

  @Override
  public void bufferGoldRows(GoldRows.Buffer buffer) {
    this.goldRows = buffer;
  }

  private void emitGoldRow(Context ctx, OutputTag<KeyMetrics> tag, KeyMetrics row, Long subKey) {
    GoldRows.emit(goldRows, ctx, tag, row, subKey);
  }

  /**
   * The rule: {@code e} of {@code day} gets the key's snapshot as of that day's midnight (set
   * {@code s}'s four counts), then counts towards the snapshots of later days. Returns whether
   * {@code e} came after its day's snapshot was taken (late).
   */
  private static boolean count(FeatureSet s, DailyState st, long day, FeaturedEvent e) {
    boolean late = day < st.snapshotDay;
    if (late) {
      // its day's snapshot was taken already: it counts from the next snapshot on
      e.late = true;
    } else {
      st.foldDaysBefore(day);
    }
    e.setCounts(s, st.base);
    st.count(day, e.event.eventType);
    st.newestEventTime = Math.max(st.newestEventTime, e.event.eventTime);
    st.userId = e.event.userId;
    st.productId = e.event.productId;
    return late;
  }

  private static KeyMetrics metrics(FeatureSet set, DailyState s) {
    return KeyMetrics.of(set, s.userId, null, s.productId, s.total(), s.newestEventTime);
  }

  private DailyState current() throws Exception {
    DailyState s = state.value();
    return s != null ? s : new DailyState();
  }
}
