package io.clickstream.propensity.features;

/**
 * How a keyed feature stage sees its input; the same as the job's Flink runtime mode.
 *
 * <ul>
 *   <li>{@link #BATCH}: bounded input, each key's events handed over together at the end of the
 *       key. Session keys are replayed in canonical order (ties broken by source position), the
 *       training label is set, and each key emits one gold row and its final state (the warm
 *       start's seed) at the end of input.
 *   <li>{@link #STREAMING}: unbounded input in arrival order. Session sets count each event at
 *       once and flag those older than their key's newest as late; every change of a key emits its
 *       gold row; expiry timers clear the session state.
 * </ul>
 *
 * <p>Daily sets run the same code in both modes (an event waits for its day's snapshot); only the
 * gold rows and seeds differ.
 */
public enum ExecutionMode {
  BATCH,
  STREAMING
}
