package io.clickstream.propensity.features;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.state.api.functions.KeyedStateBootstrapFunction;

/**
 * Writes the backfill's final per-key state into a savepoint with exactly the state descriptors
 * and timers the streaming feature functions use, so a streaming job started from it continues
 * where the backfill ended (warm start).
 */
public final class StateBootstrap {
  private StateBootstrap() {}

  /** Session sets: state, expiry timer and (cart) the event ids seen. */
  public static final class Session extends KeyedStateBootstrapFunction<String, SessionSeed> {
    private static final long serialVersionUID = 1L;
    private final FeatureSet set;
    private final SessionPolicy policy;
    private transient ValueState<SessionState> state;
    private transient MapState<String, Boolean> seenIds;

    public Session(FeatureSet set, SessionPolicy policy) {
      this.set = set;
      this.policy = policy;
    }

    @Override
    public void open(OpenContext openContext) {
      state = getRuntimeContext().getState(SessionFeatureFunction.stateDescriptor(set));
      if (set == FeatureSet.CART) {
        seenIds = getRuntimeContext().getMapState(SessionFeatureFunction.seenIdsDescriptor(set));
      }
    }

    @Override
    public void processElement(SessionSeed seed, Context ctx) throws Exception {
      state.update(seed.state);
      ctx.timerService().registerEventTimeTimer(
          SessionFeatureFunction.expiryTimerAt(seed.state, policy));
      if (seenIds != null) {
        for (String id : seed.seenIds) {
          seenIds.put(id, Boolean.TRUE);
        }
      }
    }
  }

  /** Daily sets: snapshot state and the counts of days not folded yet. */
  public static final class Daily<K> extends KeyedStateBootstrapFunction<K, DailySeed> {
    private static final long serialVersionUID = 1L;
    private final FeatureSet set;
    private transient ValueState<DailyState> state;
    private transient MapState<Long, int[]> pending;

    public Daily(FeatureSet set) {
      this.set = set;
    }

    @Override
    public void open(OpenContext openContext) {
      state = getRuntimeContext().getState(DailyFeatureFunction.stateDescriptor(set));
      pending = getRuntimeContext().getMapState(DailyFeatureFunction.pendingDescriptor(set));
    }

    @Override
    public void processElement(DailySeed seed, Context ctx) throws Exception {
      state.update(seed.state);
      for (int i = 0; i < seed.pendingDays.length; i++) {
        int[] c = new int[FeatureRules.COUNTS_PER_SET];
        System.arraycopy(seed.pendingCounts, i * FeatureRules.COUNTS_PER_SET, c, 0, c.length);
        pending.put(seed.pendingDays[i], c);
      }
    }
  }

  /** Key of a seed: the same string key the feature stage uses ({@link SetKey}). */
  public static final class SessionSeedKey implements KeySelector<SessionSeed, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(SessionSeed seed) {
      return seed.key;
    }
  }

  /** Key of a daily seed of a single-id set (user, product): the same Long the stage keys by. */
  public static final class DailySeedIdKey implements KeySelector<DailySeed, Long> {
    private static final long serialVersionUID = 1L;
    private final FeatureSet set;

    public DailySeedIdKey(FeatureSet set) {
      this.set = set;
    }

    @Override
    public Long getKey(DailySeed seed) {
      return SetKey.idOf(set, seed.state.userId, seed.state.productId);
    }
  }

  /** Key of a daily seed. */
  public static final class DailySeedKey implements KeySelector<DailySeed, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(DailySeed seed) {
      return seed.key;
    }
  }
}
