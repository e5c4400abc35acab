package io.clickstream.propensity.features;

import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;

/**
 * When a streaming feature stage emits a key's gold row: with every event, or at most once per
 * flush interval (a processing-time timer one interval after the key's first change since its last
 * row, rounded up to a 250 ms tick). Each gold row becomes an Iceberg upsert (an equality delete
 * and an insert): per event, the five gold tables were the streaming job's main cost. The ticks
 * spread the flushes: aligned to interval boundaries, every changed key of a stage would fire at
 * the same instant; one timer time per key (no tick) measured worse tail latency, since every
 * distinct time is a scheduled task and a mailbox action.
 */
final class GoldRows {
  private GoldRows() {}

  /**
   * Flush times are rounded up to this tick: few distinct timer times (each is a scheduled task
   * and a mailbox action) and small bursts.
   */
  static final long TICK_MILLIS = 250;

  interface Emit {
    void run() throws Exception;
  }

  static void emitOrDefer(KeyedProcessFunction<?, ?, ?>.Context ctx, long flushMillis,
      ValueState<Boolean> dirty, Emit emit) throws Exception {
    if (flushMillis <= 0) {
      emit.run();
      return;
    }
    if (dirty.value() == null) {
      long due = ctx.timerService().currentProcessingTime() + flushMillis;
      ctx.timerService().registerProcessingTimeTimer(
          (due + TICK_MILLIS - 1) / TICK_MILLIS * TICK_MILLIS);
      dirty.update(Boolean.TRUE);
    }
  }
}
