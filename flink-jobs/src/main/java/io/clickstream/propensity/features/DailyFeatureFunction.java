package io.clickstream.propensity.features;

import io.clickstream.propensity.events.serde.PipelineSerializers;
import io.clickstream.propensity.events.serde.StateSerializers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
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
 * <p>In BATCH the user stage can carry the user-product set too ({@link #userWithUserProduct}):
 * a user-product key is a sub-key of its user, whose days the stage already walks in order, so
 * one sort and one shuffle are saved; each user-product key is counted by the same rule, its
 * pending days kept in memory while the runtime is on its user.
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
  /** BATCH user stage only: also compute the user-product set (null = not). */
  private final OutputTag<KeyMetrics> userProductMetricsTag;
  private final OutputTag<DailySeed> userProductFinalStateTag;

  private transient ValueState<DailyState> state;
  /** Counts of days not yet folded into the snapshot, by epoch day. */
  private transient MapState<Long, int[]> pending;
  private transient PendingDays ownPending;
  /** Events waiting for the watermark to pass their day's midnight, by epoch day. */
  private transient MapState<Long, List<FeaturedEvent>> waiting;
  private transient Counter lateEvents;
  /** Streaming, in a {@link GoldRows} operator: where the gold rows go (null = emitted at once). */
  private transient GoldRows.Buffer goldRows;
  /**
   * BATCH user stage with user-product: each open user's user-product keys by product id. The
   * batch runtime has one user open at a time; keying by user keeps it right in any order.
   */
  private transient Map<K, Map<Long, SubKey>> userProducts;

  /**
   * @param emitMetricsAtEnd true in BATCH mode: one gold metric row per key at the end of input
   *     instead of one per event
   */
  public DailyFeatureFunction(FeatureSet set, boolean emitMetricsAtEnd, OutputTag<KeyMetrics> metricsTag) {
    this(set, emitMetricsAtEnd, metricsTag, null);
  }

  /**
   * The BATCH user stage that also computes the user-product set (features, gold rows on
   * {@code userProductMetricsTag}, final states on {@code finalStateTag(USER_PRODUCT)}).
   */
  public static DailyFeatureFunction<Long> userWithUserProduct(
      OutputTag<KeyMetrics> userMetricsTag, OutputTag<KeyMetrics> userProductMetricsTag) {
    return new DailyFeatureFunction<>(FeatureSet.USER, true, userMetricsTag, userProductMetricsTag);
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
    this.userProductFinalStateTag =
        userProductMetricsTag == null ? null : finalStateTag(FeatureSet.USER_PRODUCT);
  }

  // The streaming state, declared once: the warm start (DailyStateBootstrap) writes the same.

  static ValueStateDescriptor<DailyState> stateDescriptor(FeatureSet set) {
    return new ValueStateDescriptor<>(set.prefix() + "-daily", StateSerializers.DAILY_STATE);
  }

  static MapStateDescriptor<Long, int[]> pendingDescriptor(FeatureSet set) {
    return new MapStateDescriptor<>(
        set.prefix() + "-pending", Types.LONG, PrimitiveArrayTypeInfo.INT_PRIMITIVE_ARRAY_TYPE_INFO);
  }

  /** Side output of the final state of every key (batch mode): the warm start's input. */
  public static OutputTag<DailySeed> finalStateTag(FeatureSet set) {
    return new OutputTag<>(set.prefix() + "-final-state", Types.POJO(DailySeed.class));
  }

  @Override
  public void open(OpenContext openContext) {
    state = getRuntimeContext().getState(stateDescriptor(set));
    pending = getRuntimeContext().getMapState(pendingDescriptor(set));
    ownPending = PendingDays.of(pending);
    waiting = getRuntimeContext().getMapState(new MapStateDescriptor<>(
        set.prefix() + "-waiting", Types.LONG, new ListTypeInfo<>(PipelineSerializers.FEATURED_EVENT)));
    lateEvents = getRuntimeContext().getMetricGroup().counter(set.prefix() + "LateEvents");
    if (userProductMetricsTag != null) {
      userProducts = new HashMap<>();
    }
  }

  @Override
  public void processElement(FeaturedEvent value, Context ctx, Collector<FeaturedEvent> out)
      throws Exception {
    long day = FeatureRules.epochDay(value.event.eventTime);
    long midnight = day * MILLIS_PER_DAY;
    if (ctx.timerService().currentWatermark() >= midnight) {
      DailyState s = current();
      count(set, s, ownPending, day, value);
      out.collect(value);
      state.update(s);
      if (!emitMetricsAtEnd) {
        emitGoldRow(ctx, metrics(set, s, ownPending));
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
      ctx.output(metricsTag, metrics(set, s, ownPending));
      ctx.output(finalStateTag, seed(String.valueOf(ctx.getCurrentKey()), s, ownPending));
      state.clear();
      pending.clear();
      Map<Long, SubKey> products =
          userProducts == null ? null : userProducts.remove(ctx.getCurrentKey());
      if (products != null) {
        for (SubKey up : products.values()) {
          ctx.output(userProductMetricsTag, metrics(FeatureSet.USER_PRODUCT, up.state, up.pending));
          ctx.output(userProductFinalStateTag, seed(
              SetKey.userProductKey(up.state.userId, up.state.productId), up.state, up.pending));
        }
      }
      return;
    }
    long day = Math.floorDiv(timestamp, MILLIS_PER_DAY);
    List<FeaturedEvent> events = waiting.get(day);
    if (events == null) {
      return;
    }
    waiting.remove(day);
    Map<Long, SubKey> products = userProducts == null ? null
        : userProducts.computeIfAbsent(ctx.getCurrentKey(), u -> new HashMap<>());
    for (FeaturedEvent e : events) {
      count(set, s, ownPending, day, e);
      if (products != null) {
        SubKey up = products.computeIfAbsent(e.event.productId, p -> new SubKey());
        count(FeatureSet.USER_PRODUCT, up.state, up.pending, day, e);
      }
      out.collect(e);
    }
    state.update(s);
    if (!emitMetricsAtEnd) {
      emitGoldRow(ctx, metrics(set, s, ownPending));
    }
  }

  @Override
  public void bufferGoldRows(GoldRows.Buffer buffer) {
    this.goldRows = buffer;
  }

  private void emitGoldRow(Context ctx, KeyMetrics row) {
    GoldRows.emit(goldRows, ctx, metricsTag, row);
  }

  /**
   * The rule: {@code e} of {@code day} gets the key's snapshot as of that day's midnight (set
   * {@code s}'s four counts), then counts towards the snapshots of later days.
   */
  private void count(FeatureSet s, DailyState st, PendingDays pendingDays, long day, FeaturedEvent e)
      throws Exception {
    if (day < st.snapshotDay) {
      // its day's snapshot was taken already: late, it counts from the next snapshot on
      e.late = true;
      lateEvents.inc();
    } else {
      foldDaysBefore(st, pendingDays, day);
    }
    e.setCounts(s, st.base);
    int[] dayCounts = pendingDays.get(day);
    if (dayCounts == null) {
      dayCounts = new int[FeatureRules.COUNTS_PER_SET];
    }
    FeatureRules.count(dayCounts, 0, e.event.eventType);
    pendingDays.put(day, dayCounts);
    st.newestEventTime = Math.max(st.newestEventTime, e.event.eventTime);
    st.userId = e.event.userId;
    st.productId = e.event.productId;
  }

  /** Moves the pending counts of every day before {@code day} into the snapshot. */
  private static void foldDaysBefore(DailyState s, PendingDays pendingDays, long day)
      throws Exception {
    Iterator<Map.Entry<Long, int[]>> it = pendingDays.iterator();
    while (it.hasNext()) {
      Map.Entry<Long, int[]> entry = it.next();
      if (entry.getKey() < day) {
        int[] c = entry.getValue();
        for (int i = 0; i < c.length; i++) {
          s.base[i] += c[i];
        }
        it.remove();
      }
    }
    s.snapshotDay = day;
  }

  private static KeyMetrics metrics(FeatureSet set, DailyState s, PendingDays pendingDays)
      throws Exception {
    int[] total = s.base.clone();
    Iterator<Map.Entry<Long, int[]>> it = pendingDays.iterator();
    while (it.hasNext()) {
      int[] c = it.next().getValue();
      for (int i = 0; i < c.length; i++) {
        total[i] += c[i];
      }
    }
    return KeyMetrics.of(set, s.userId, null, s.productId, total, s.newestEventTime);
  }

  private static DailySeed seed(String key, DailyState s, PendingDays pendingDays) throws Exception {
    List<Long> days = new ArrayList<>();
    List<int[]> counts = new ArrayList<>();
    Iterator<Map.Entry<Long, int[]>> it = pendingDays.iterator();
    while (it.hasNext()) {
      Map.Entry<Long, int[]> e = it.next();
      days.add(e.getKey());
      counts.add(e.getValue());
    }
    DailySeed seed = new DailySeed();
    seed.key = key;
    seed.state = s;
    seed.pendingDays = days.stream().mapToLong(Long::longValue).toArray();
    seed.pendingCounts = new int[days.size() * FeatureRules.COUNTS_PER_SET];
    for (int i = 0; i < counts.size(); i++) {
      System.arraycopy(counts.get(i), 0, seed.pendingCounts, i * FeatureRules.COUNTS_PER_SET,
          FeatureRules.COUNTS_PER_SET);
    }
    return seed;
  }

  /**
   * A key's per-day counts not folded into its snapshot yet: the stage's keyed MapState, or a plain
   * map for the user-product sub-keys of the BATCH user stage.
   */
  private interface PendingDays {
    int[] get(long day) throws Exception;

    void put(long day, int[] counts) throws Exception;

    /** All entries; supports remove. */
    Iterator<Map.Entry<Long, int[]>> iterator() throws Exception;

    static PendingDays of(MapState<Long, int[]> m) {
      return new PendingDays() {
        @Override
        public int[] get(long day) throws Exception {
          return m.get(day);
        }

        @Override
        public void put(long day, int[] counts) throws Exception {
          m.put(day, counts);
        }

        @Override
        public Iterator<Map.Entry<Long, int[]>> iterator() throws Exception {
          return m.iterator();
        }
      };
    }

    static PendingDays of(Map<Long, int[]> m) {
      return new PendingDays() {
        @Override
        public int[] get(long day) {
          return m.get(day);
        }

        @Override
        public void put(long day, int[] counts) {
          m.put(day, counts);
        }

        @Override
        public Iterator<Map.Entry<Long, int[]>> iterator() {
          return m.entrySet().iterator();
        }
      };
    }
  }

  /** A user-product key of the BATCH user stage, kept while the runtime is on its user. */
  private static final class SubKey {
    final DailyState state = new DailyState();
    final PendingDays pending = PendingDays.of(new HashMap<Long, int[]>());
  }

  private DailyState current() throws Exception {
    DailyState s = state.value();
    return s != null ? s : new DailyState();
  }
}
