package io.clickstream.propensity.features;

import io.clickstream.propensity.events.serde.PipelineSerializers;
import java.util.ArrayList;
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
import org.apache.flink.streaming.api.TimeDomain;
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
 */
public class DailyFeatureFunction<K>
    extends KeyedProcessFunction<K, FeaturedEvent, FeaturedEvent> {
  private static final long serialVersionUID = 1L;
  private static final long END_OF_INPUT = Long.MAX_VALUE;
  private static final long MILLIS_PER_DAY = 86_400_000L;

  private final FeatureSet set;
  private final boolean emitMetricsAtEnd;
  private final OutputTag<KeyMetrics> metricsTag;
  private final long metricsFlushMillis;

  private transient ValueState<DailyState> state;
  /** Counts of days not yet folded into the snapshot, by epoch day. */
  private transient MapState<Long, int[]> pending;
  /** Events waiting for the watermark to pass their day's midnight, by epoch day. */
  private transient MapState<Long, List<FeaturedEvent>> waiting;
  private transient Counter lateEvents;
  private transient ValueState<Boolean> metricsDirty;

  /**
   * @param emitMetricsAtEnd true in BATCH mode: one gold metric row per key at the end of input
   *     instead of one per event
   */
  public DailyFeatureFunction(FeatureSet set, boolean emitMetricsAtEnd, OutputTag<KeyMetrics> metricsTag) {
    this(set, emitMetricsAtEnd, metricsTag, 0);
  }

  /**
   * @param metricsFlushMillis streaming: emit a key's gold row at most once per this interval
   *     (processing time) instead of with every event; 0 = with every event
   */
  public DailyFeatureFunction(FeatureSet set, boolean emitMetricsAtEnd,
      OutputTag<KeyMetrics> metricsTag, long metricsFlushMillis) {
    if (set.isSession()) {
      throw new IllegalArgumentException(set + " is a session set: use SessionFeatureFunction");
    }
    this.set = set;
    this.emitMetricsAtEnd = emitMetricsAtEnd;
    this.metricsTag = metricsTag;
    this.metricsFlushMillis = metricsFlushMillis;
  }

  // The streaming state, declared once: the warm start (DailyStateBootstrap) writes the same.

  static ValueStateDescriptor<DailyState> stateDescriptor(FeatureSet set) {
    return new ValueStateDescriptor<>(set.prefix() + "-daily", Types.POJO(DailyState.class));
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
    waiting = getRuntimeContext().getMapState(new MapStateDescriptor<>(
        set.prefix() + "-waiting", Types.LONG, new ListTypeInfo<>(PipelineSerializers.FEATURED_EVENT)));
    lateEvents = getRuntimeContext().getMetricGroup().counter(set.prefix() + "LateEvents");
    metricsDirty = getRuntimeContext().getState(
        new ValueStateDescriptor<>(set.prefix() + "-metrics-dirty", Types.BOOLEAN));
  }

  @Override
  public void processElement(FeaturedEvent value, Context ctx, Collector<FeaturedEvent> out)
      throws Exception {
    long day = FeatureRules.epochDay(value.event.eventTime);
    long midnight = day * MILLIS_PER_DAY;
    if (ctx.timerService().currentWatermark() >= midnight) {
      DailyState s = current();
      emit(s, day, value, ctx, out);
      state.update(s);
      if (!emitMetricsAtEnd) {
        GoldRows.emitOrDefer(ctx, metricsFlushMillis, metricsDirty, () -> ctx.output(metricsTag, metrics(s)));
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
    if (ctx.timeDomain() == TimeDomain.PROCESSING_TIME) {
      DailyState flushed = state.value();
      if (Boolean.TRUE.equals(metricsDirty.value()) && flushed != null) {
        ctx.output(metricsTag, metrics(flushed));
      }
      metricsDirty.clear();
      return;
    }
    DailyState s = current();
    if (timestamp == END_OF_INPUT) {
      ctx.output(metricsTag, metrics(s));
      ctx.output(finalStateTag(set), seed(String.valueOf(ctx.getCurrentKey()), s));
      state.clear();
      pending.clear();
      return;
    }
    long day = Math.floorDiv(timestamp, MILLIS_PER_DAY);
    List<FeaturedEvent> events = waiting.get(day);
    if (events == null) {
      return;
    }
    waiting.remove(day);
    for (FeaturedEvent e : events) {
      emit(s, day, e, ctx, out);
    }
    state.update(s);
    if (!emitMetricsAtEnd) {
      GoldRows.emitOrDefer(ctx, metricsFlushMillis, metricsDirty, () -> ctx.output(metricsTag, metrics(s)));
    }
  }

  /** Scores {@code e} of {@code day} against the snapshot as of that day's midnight, then counts it. */
  private void emit(DailyState s, long day, FeaturedEvent e, Context ctx, Collector<FeaturedEvent> out)
      throws Exception {
    if (day < s.snapshotDay) {
      // its day's snapshot was taken already: late, it counts from the next snapshot on
      e.late = true;
      lateEvents.inc();
    } else {
      foldDaysBefore(s, day);
    }
    e.setCounts(set, s.base);
    int[] dayCounts = pending.get(day);
    if (dayCounts == null) {
      dayCounts = new int[FeatureRules.COUNTS_PER_SET];
    }
    FeatureRules.count(dayCounts, 0, e.event.eventType);
    pending.put(day, dayCounts);
    s.newestEventTime = Math.max(s.newestEventTime, e.event.eventTime);
    s.userId = e.event.userId;
    s.productId = e.event.productId;
    out.collect(e);
  }

  /** Moves the pending counts of every day before {@code day} into the snapshot. */
  private void foldDaysBefore(DailyState s, long day) throws Exception {
    Iterator<Map.Entry<Long, int[]>> it = pending.iterator();
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

  private KeyMetrics metrics(DailyState s) throws Exception {
    int[] total = s.base.clone();
    for (int[] c : pending.values()) {
      for (int i = 0; i < c.length; i++) {
        total[i] += c[i];
      }
    }
    return KeyMetrics.of(set, s.userId, null, s.productId, total, s.newestEventTime);
  }

  private DailySeed seed(String key, DailyState s) throws Exception {
    List<Long> days = new ArrayList<>();
    List<int[]> counts = new ArrayList<>();
    for (Map.Entry<Long, int[]> e : pending.entries()) {
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

  private DailyState current() throws Exception {
    DailyState s = state.value();
    return s != null ? s : new DailyState();
  }
}
