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

  /**
   * The cart stage: each cart's state (with the event ids seen) and expiry timer, and its cart-products'
   * states (one entry each in the cart's map) with the timers of those that outlive the cart.
   */
  public static final class Cart extends KeyedStateBootstrapFunction<String, SessionSeed> {
    private static final long serialVersionUID = 1L;
    private final SessionPolicy policy;
    private transient ValueState<SessionState> state;
    private transient MapState<Long, SessionState> cartProducts;

    public Cart(SessionPolicy policy) {
      this.policy = policy;
    }

    @Override
    public void open(OpenContext openContext) {
      state = getRuntimeContext().getState(SessionFeatureFunction.stateDescriptor());
      cartProducts = getRuntimeContext().getMapState(SessionFeatureFunction.cartProductsDescriptor());
    }

    @Override
    public void processElement(SessionSeed seed, Context ctx) throws Exception {
      // a timer per seed: the streaming function drops the extra ones when they fire
      ctx.timerService().registerEventTimeTimer(
          SessionFeatureFunction.expiryTimerAt(seed.state, policy));
      if (seed.set == FeatureSet.CART_PRODUCT) {
        cartProducts.put(seed.state.productId, seed.state);
        return;
      }
      state.update(seed.state); // with the cart's event ids seen
    }
  }

  /** A daily stage: each key's snapshot state and (user stage) its user-products' states. */
  public static final class Daily extends KeyedStateBootstrapFunction<Long, DailySeed> {
    private static final long serialVersionUID = 1L;
    private final FeatureSet set;
    private transient ValueState<DailyState> state;
    private transient MapState<Long, DailyState> userProducts;

    public Daily(FeatureSet set) {
      this.set = set;
    }

    @Override
    public void open(OpenContext openContext) {
      state = getRuntimeContext().getState(DailyFeatureFunction.stateDescriptor(set));
      if (set == FeatureSet.USER) {
        userProducts = getRuntimeContext().getMapState(DailyFeatureFunction.userProductsDescriptor());
      }
    }

    @Override
    public void processElement(DailySeed seed, Context ctx) throws Exception {
      if (seed.set == FeatureSet.USER_PRODUCT) {
        userProducts.put(seed.state.productId, seed.state);
      } else {
        state.update(seed.state);
      }
    }
  }

  /** Key of a cart-stage seed: its cart, as the stage keys it ({@link SetKey}). */
  public static final class CartSeedKey implements KeySelector<SessionSeed, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String getKey(SessionSeed seed) {
      return SetKey.cartKey(seed.state.userId, seed.state.userSession);
    }
  }

  /** Key of a daily stage's seed (user or product stage): the same Long the stage keys by. */
  public static final class DailySeedKey implements KeySelector<DailySeed, Long> {
    private static final long serialVersionUID = 1L;
    private final FeatureSet stage;

    public DailySeedKey(FeatureSet stage) {
      this.stage = stage;
    }

    @Override
    public Long getKey(DailySeed seed) {
      return SetKey.idOf(stage, seed.state.userId, seed.state.productId);
    }
  }
}
