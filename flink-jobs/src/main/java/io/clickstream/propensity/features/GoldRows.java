package io.clickstream.propensity.features;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.api.common.operators.ProcessingTimeService.ProcessingTimeCallback;
import org.apache.flink.util.OutputTag;

/**
 * A streaming feature stage whose gold rows are coalesced per key: the stage's function hands
 * every new row of a key to this operator, which keeps the latest one per key and emits it one
 * flush interval after the key's first change since its last row (on ticks of
 * {@link #TICK_MILLIS}, so that rows go out in small batches), and every pending row at the end
 * of input.
 *
 * <p>Each gold row becomes an Iceberg upsert (an equality delete and an insert), so one per event
 * would make the gold tables the streaming job's main cost. One processing-time callback per
 * subtask does the coalescing, rather than a timer and a dirty flag per key (which would add two
 * entries per key to every checkpoint). The pending rows are operator state: emitting them all
 * before each barrier instead would push a burst through the gold writers at every checkpoint
 * and stall the scoring path.
 * Restored rows are emitted at the first tick; after a rescale a key's restored row and its new
 * rows may come from two subtasks, but the restored one leaves within a tick of the start, the
 * new ones a flush interval after their change.
 */
public final class GoldRows<K> extends KeyedProcessOperator<K, FeaturedEvent, FeaturedEvent>
    implements ProcessingTimeCallback {
  private static final long serialVersionUID = 1L;

  /** Flushes run on this tick: a few scheduled callbacks a second per subtask, small bursts. */
  static final long TICK_MILLIS = 250;

  /** A feature function whose gold rows this operator can take over. */
  public interface Source {
    /** From now on, hand every gold row to {@code buffer} instead of emitting it. */
    void bufferGoldRows(Buffer buffer);
  }

  /** Where a function hands its rows (a key's latest row replaces an earlier one). */
  public interface Buffer {
    void put(Object key, KeyMetrics row);
  }

  /**
   * A function's gold row: to its buffer when in this operator, else emitted at once.
   *
   * @param subKey null for the row of the current key, else the id (product) of the current key's
   *     sub-key whose row this is (cart-product of a cart, user-product of a user)
   */
  static void emit(Buffer buffer, KeyedProcessFunction<?, ?, ?>.Context ctx,
      OutputTag<KeyMetrics> tag, KeyMetrics row, Long subKey) {
    if (buffer == null) {
      ctx.output(tag, row);
    } else if (subKey == null) {
      buffer.put(ctx.getCurrentKey(), row);
    } else {
      buffer.put(new SubKey(ctx.getCurrentKey(), subKey), row);
    }
  }

  private record SubKey(Object key, long subKey) {}

  /** The side output of each set's rows. */
  private final Map<FeatureSet, OutputTag<KeyMetrics>> tags;
  private final long flushMillis;
  /**
   * Latest row per key in order of the key's first change, i.e. of due time. Rows restored from a
   * checkpoint come first, each under a key of its own, due at once.
   */
  private transient LinkedHashMap<Object, Pending> pending;
  private transient ListState<KeyMetrics> pendingState;

  private static final class Pending {
    final long due;
    KeyMetrics row;

    Pending(long due, KeyMetrics row) {
      this.due = due;
      this.row = row;
    }
  }

  /**
   * @param function a {@link Source} feature function (streaming, arrival order)
   * @param tags the side output of the gold rows of each set the stage computes
   * @param flushMillis a key's row is emitted at most once per this interval (positive)
   */
  public <F extends KeyedProcessFunction<K, FeaturedEvent, FeaturedEvent> & Source> GoldRows(
      F function, Map<FeatureSet, OutputTag<KeyMetrics>> tags, long flushMillis) {
    super(function);
    if (flushMillis <= 0) {
      throw new IllegalArgumentException("gold flush interval must be positive, got "
          + flushMillis + " ms (emit with every event by using the function on its own)");
    }
    this.tags = new EnumMap<>(tags);
    this.flushMillis = flushMillis;
  }

  @Override
  public void initializeState(StateInitializationContext context) throws Exception {
    super.initializeState(context);
    pendingState = context.getOperatorStateStore().getListState(
        new ListStateDescriptor<>("gold-rows-pending", FeatureSerializers.KEY_METRICS));
    pending = new LinkedHashMap<>();
    if (context.isRestored()) {
      for (KeyMetrics row : pendingState.get()) {
        pending.put(new Object(), new Pending(Long.MIN_VALUE, row));
      }
    }
  }

  @Override
  public void snapshotState(StateSnapshotContext context) throws Exception {
    super.snapshotState(context);
    List<KeyMetrics> rows = new ArrayList<>(pending.size());
    for (Pending p : pending.values()) {
      rows.add(p.row);
    }
    pendingState.update(rows);
  }

  @Override
  public void open() throws Exception {
    ((Source) userFunction).bufferGoldRows(this::put);
    super.open();
    scheduleTick();
  }

  private void put(Object key, KeyMetrics row) {
    Pending p = pending.get(key);
    if (p != null) {
      p.row = row;
    } else {
      long now = getProcessingTimeService().getCurrentProcessingTime();
      pending.put(key, new Pending(now + flushMillis, row));
    }
  }

  @Override
  public void onProcessingTime(long time) {
    // the clock, not the tick's time: a late callback emits all that is due by now
    long now = Math.max(time, getProcessingTimeService().getCurrentProcessingTime());
    Iterator<Map.Entry<Object, Pending>> it = pending.entrySet().iterator();
    while (it.hasNext()) {
      Pending p = it.next().getValue();
      if (p.due > now) {
        break; // in due order: the rest is later
      }
      collect(p.row);
      it.remove();
    }
    scheduleTick();
  }

  private void scheduleTick() {
    long now = getProcessingTimeService().getCurrentProcessingTime();
    getProcessingTimeService().registerTimer((now / TICK_MILLIS + 1) * TICK_MILLIS, this);
  }

  @Override
  public void finish() throws Exception {
    super.finish();
    emitAll();
  }

  private void emitAll() {
    for (Pending p : pending.values()) {
      collect(p.row);
    }
    pending.clear();
  }

  private void collect(KeyMetrics row) {
    output.collect(tags.get(row.set), new StreamRecord<>(row));
  }
}
