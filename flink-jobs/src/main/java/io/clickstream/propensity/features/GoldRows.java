package io.clickstream.propensity.features;

import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;

/**
 * When a streaming feature stage emits a key's gold row: with every event, or at most once per
 * flush interval (a processing-time timer at the next interval boundary, so every key changed in
 * an interval is upserted once). Each gold row becomes an Iceberg upsert (an equality delete and an
 * insert): per event, the five gold tables were the streaming job's main cost.
 */
final class GoldRows {
  private GoldRows() {}

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
      long now = ctx.timerService().currentProcessingTime();
      ctx.timerService().registerProcessingTimeTimer((now / flushMillis + 1) * flushMillis);
      dirty.update(Boolean.TRUE);
    }
  }
}
