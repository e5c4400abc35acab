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
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * A daily stage, keyed by a user or product id: the daily snapshot sets (docs/features.md, Daily
 * sets), each counted by its {@link DailyCounter}. The user stage also computes the user-product
 * set: a user-product key is a sub-key of its user, whose days the stage already walks in order,
 * its state one entry of the user's map state.
 *
 * <p>The same code runs in both modes. An event of day D is emitted once the watermark has passed
 * D 00:00 (so no earlier day of this key can still arrive in order); before that it waits for an
 * event-time timer at D 00:00. In STREAMING mode only events in the first seconds after midnight
 * wait (bounded out-of-orderness). In BATCH mode the watermark stays at its minimum while a key's
 * events arrive and the runtime fires the key's timers in time order at the end of the key, which
 * yields the exact snapshots. Order within a day does not matter: the snapshot excludes the day.
 * The mode decides the gold rows only: one per change in STREAMING, one per key and its final
 * state at the end of input in BATCH.
 */
public final class DailyFeatureFunction extends KeyedProcessFunction<Long, FeaturedEvent, FeaturedEvent>
    implements GoldRows.Source {
  private static final long serialVersionUID = 1L;
  private static final long END_OF_INPUT = Long.MAX_VALUE;
  private static final long MILLIS_PER_DAY = 86_400_000L;

  private final ExecutionMode mode;
  private final DailyCounter counter;
  private final OutputTag<KeyMetrics> rows;
  /** The user stage's user-product set; null in the product stage. */
  private final DailyCounter userProduct;
  private final OutputTag<KeyMetrics> userProductRows;
  /** Built once: Types.POJO runs the type extractor, far too slow to call per key. */
  private final OutputTag<DailySeed> finalStates;

  private transient ValueState<DailyState> state;
  /** Events waiting for the watermark to pass their day's midnight, by epoch day. */
  private transient MapState<Long, List<FeaturedEvent>> waiting;
  /** User stage: the user's user-product keys, by product id. */
  private transient MapState<Long, DailyState> userProducts;
  /** STREAMING, in a {@link GoldRows} operator: where the gold rows go (null = emitted at once). */
  private transient GoldRows.Buffer goldRows;

  private DailyFeatureFunction(ExecutionMode mode, FeatureSet set, OutputTag<KeyMetrics> rows,
      FeatureSet subKeySet, OutputTag<KeyMetrics> subKeyRows) {
    this.mode = mode;
    this.counter = new DailyCounter(set);
    this.rows = rows;
    this.userProduct = subKeySet == null ? null : new DailyCounter(subKeySet);
    this.userProductRows = subKeyRows;
    this.finalStates = finalStateTag(set);
  }

  /**
   * The user stage, keyed by user id: gold rows of users on {@code userRows}, of user-products on
   * {@code userProductRows}; in BATCH also the final states of both on {@code finalStateTag(USER)}.
   */
  public static DailyFeatureFunction user(ExecutionMode mode, OutputTag<KeyMetrics> userRows,
      OutputTag<KeyMetrics> userProductRows) {
    return new DailyFeatureFunction(
        mode, FeatureSet.USER, userRows, FeatureSet.USER_PRODUCT, userProductRows);
  }

  /**
   * The product stage, keyed by product id: gold rows on {@code productRows}; in BATCH also the
   * final states on {@code finalStateTag(PRODUCT)}.
   */
  public static DailyFeatureFunction product(ExecutionMode mode, OutputTag<KeyMetrics> productRows) {
    return new DailyFeatureFunction(mode, FeatureSet.PRODUCT, productRows, null, null);
  }

  // The streaming state, declared once: the warm start (StateBootstrap.Daily) writes the same.

  static ValueStateDescriptor<DailyState> stateDescriptor(FeatureSet set) {
    return new ValueStateDescriptor<>(set.prefix() + "-daily", FeatureSerializers.DAILY_STATE);
  }

  static MapStateDescriptor<Long, DailyState> userProductsDescriptor() {
    return new MapStateDescriptor<>(FeatureSet.USER_PRODUCT.prefix() + "-daily", Types.LONG,
        FeatureSerializers.DAILY_STATE);
  }

  /** Side output of the final state of every key of the stage (BATCH): the warm start's input. */
  public static OutputTag<DailySeed> finalStateTag(FeatureSet set) {
    return new OutputTag<>(set.prefix() + "-final-state", Types.POJO(DailySeed.class));
  }

  @Override
  public void open(OpenContext openContext) {
    FeatureSet set = counter.set();
    state = getRuntimeContext().getState(stateDescriptor(set));
    waiting = getRuntimeContext().getMapState(new MapStateDescriptor<>(set.prefix() + "-waiting",
        Types.LONG, new ListTypeInfo<>(FeatureSerializers.FEATURED_EVENT)));
    counter.open(getRuntimeContext().getMetricGroup());
    if (userProduct != null) {
      userProducts = getRuntimeContext().getMapState(userProductsDescriptor());
      userProduct.open(getRuntimeContext().getMetricGroup());
    }
  }

  @Override
  public void bufferGoldRows(GoldRows.Buffer buffer) {
    this.goldRows = buffer;
  }

  @Override
  public void processElement(FeaturedEvent value, Context ctx, Collector<FeaturedEvent> out)
      throws Exception {
    long day = FeatureRules.epochDay(value.event.eventTime);
    long midnight = day * MILLIS_PER_DAY;
    if (ctx.timerService().currentWatermark() >= midnight) {
      DailyState s = current();
      count(ctx, s, day, value);
      out.collect(value);
      state.update(s);
      if (mode == ExecutionMode.STREAMING) {
        GoldRows.emit(goldRows, ctx, rows, counter.row(s), null);
      }
    } else {
      List<FeaturedEvent> days = waiting.get(day);
      if (days == null) {
        days = new ArrayList<>();
      }
      days.add(value);
      waiting.put(day, days);
      ctx.timerService().registerEventTimeTimer(midnight);
      if (mode == ExecutionMode.BATCH) {
        ctx.timerService().registerEventTimeTimer(END_OF_INPUT);
      }
    }
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeaturedEvent> out)
      throws Exception {
    DailyState s = current();
    if (timestamp == END_OF_INPUT) {
      emitFinal(ctx, s);
      return;
    }
    long day = Math.floorDiv(timestamp, MILLIS_PER_DAY);
    List<FeaturedEvent> events = waiting.get(day);
    if (events == null) {
      return;
    }
    waiting.remove(day);
    for (FeaturedEvent e : events) {
      count(ctx, s, day, e);
      out.collect(e);
    }
    state.update(s);
    if (mode == ExecutionMode.STREAMING) {
      GoldRows.emit(goldRows, ctx, rows, counter.row(s), null);
    }
  }

  /** BATCH, end of input: the key's gold row and final state, and those of its sub-keys. */
  private void emitFinal(OnTimerContext ctx, DailyState s) throws Exception {
    ctx.output(rows, counter.row(s));
    ctx.output(finalStates, counter.seed(s));
    state.clear();
    if (userProduct != null) {
      for (DailyState up : userProducts.values()) {
        ctx.output(userProductRows, userProduct.row(up));
        ctx.output(finalStates, userProduct.seed(up));
      }
      userProducts.clear();
    }
  }

  /** Counts {@code e} in the stage's set and (user stage) in its user-product key. */
  private void count(Context ctx, DailyState s, long day, FeaturedEvent e) throws Exception {
    counter.count(s, day, e);
    if (userProduct != null) {
      long product = e.event.productId;
      DailyState up = userProducts.get(product);
      if (up == null) {
        up = new DailyState();
      }
      userProduct.count(up, day, e);
      userProducts.put(product, up);
      if (mode == ExecutionMode.STREAMING) {
        GoldRows.emit(goldRows, ctx, userProductRows, userProduct.row(up), product);
      }
    }
  }

  private DailyState current() throws Exception {
    DailyState s = state.value();
    return s != null ? s : new DailyState();
  }
}
