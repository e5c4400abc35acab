package io.clickstream.propensity.features;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.serde.PipelineSerializers;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The cart stage, keyed by cart: the live session sets cart and cart-product (docs/features.md,
 * Session sets), each counted by its {@link SessionCounter}. A cart-product key is a sub-key of
 * its cart, so one stage computes both. The stage also removes exact duplicates (same event_id),
 * which always share a cart. {@link Streaming} counts and emits each event on arrival; each
 * cart-product's state is one entry of its cart's map state, and one expiry timer per cart clears
 * what expired. In BATCH the cart sets are counted by {@link BatchUserStage}, keyed by user.
 */
public abstract class SessionFeatureFunction
    extends KeyedProcessFunction<String, FeaturedEvent, FeaturedEvent> {
  private static final long serialVersionUID = 1L;

  /** Exact duplicates removed by the cart stage (one per extra copy). */
  public static final OutputTag<ClickEvent> DUPLICATES =
      new OutputTag<>("duplicates", PipelineSerializers.CLICK_EVENT);

  final SessionCounter cart;
  final SessionCounter cartProduct;
  final OutputTag<KeyMetrics> cartRows;
  final OutputTag<KeyMetrics> cartProductRows;
  transient Counter duplicates;

  SessionFeatureFunction(SessionPolicy policy, OutputTag<KeyMetrics> cartRows,
      OutputTag<KeyMetrics> cartProductRows) {
    this.cart = new SessionCounter(FeatureSet.CART, policy);
    this.cartProduct = new SessionCounter(FeatureSet.CART_PRODUCT, policy);
    this.cartRows = cartRows;
    this.cartProductRows = cartProductRows;
  }

  /**
   * The STREAMING cart stage: gold rows of carts on {@code cartRows}, of cart-products on
   * {@code cartProductRows}.
   */
  public static Streaming streaming(SessionPolicy policy, OutputTag<KeyMetrics> cartRows,
      OutputTag<KeyMetrics> cartProductRows) {
    return new Streaming(policy, cartRows, cartProductRows);
  }

  // The streaming state, declared once: the warm start (StateBootstrap.Cart) writes the same.

  static ValueStateDescriptor<SessionState> stateDescriptor() {
    return new ValueStateDescriptor<>(
        FeatureSet.CART.prefix() + "-session", FeatureSerializers.SESSION_STATE);
  }

  static MapStateDescriptor<Long, SessionState> cartProductsDescriptor() {
    return new MapStateDescriptor<>(FeatureSet.CART_PRODUCT.prefix() + "-session", Types.LONG,
        FeatureSerializers.SESSION_STATE);
  }

  /**
   * Event time (ms) of the timer that clears a key's streaming state after its expiry. A function
   * of the state, so the scheduled timer is never kept in state of its own (one entry per key
   * fewer in every checkpoint).
   */
  static long expiryTimerAt(SessionState s, SessionPolicy policy) {
    return Math.multiplyExact(s.expiresAfter(policy), 1000L) + 1;
  }

  /**
   * Side output of the final state of every cart and cart-product key (BATCH, {@link
   * BatchUserStage}): the warm start's input.
   */
  public static OutputTag<SessionSeed> finalStateTag() {
    return new OutputTag<>(
        FeatureSet.CART.prefix() + "-final-state", Types.POJO(SessionSeed.class));
  }

  @Override
  public void open(OpenContext openContext) {
    cart.open(getRuntimeContext().getMetricGroup());
    cartProduct.open(getRuntimeContext().getMetricGroup());
    duplicates = getRuntimeContext().getMetricGroup().counter("duplicatesRemoved");
  }

  /** STREAMING: counts each event on arrival, no waiting. */
  public static final class Streaming extends SessionFeatureFunction implements GoldRows.Source {
    private static final long serialVersionUID = 1L;

    private final SessionPolicy policy;
    private transient ValueState<SessionState> state;
    /** The cart's cart-product keys, by product id. */
    private transient MapState<Long, SessionState> cartProducts;
    /** In a {@link GoldRows} operator: where the gold rows go (null = emitted at once). */
    private transient GoldRows.Buffer goldRows;

    private Streaming(SessionPolicy policy, OutputTag<KeyMetrics> cartRows,
        OutputTag<KeyMetrics> cartProductRows) {
      super(policy, cartRows, cartProductRows);
      this.policy = policy;
    }

    @Override
    public void open(OpenContext openContext) {
      super.open(openContext);
      state = getRuntimeContext().getState(stateDescriptor());
      cartProducts = getRuntimeContext().getMapState(cartProductsDescriptor());
    }

    @Override
    public void bufferGoldRows(GoldRows.Buffer buffer) {
      this.goldRows = buffer;
    }

    @Override
    public void processElement(FeaturedEvent value, Context ctx, Collector<FeaturedEvent> out)
        throws Exception {
      SessionState stored = state.value();
      SessionState s = stored != null ? stored : new SessionState();
      if (s.seenIds == null) {
        s.seenIds = new SeenIds();
      }
      if (!s.seenIds.add(value.event.eventId)) {
        ctx.output(DUPLICATES, value.event);
        duplicates.inc();
        return;
      }
      // the timer the key has now (counting mutates the state in place)
      long scheduled = stored != null ? expiryTimerAt(stored, policy) : Long.MIN_VALUE;
      cart.count(s, value);
      state.update(s);
      GoldRows.emit(goldRows, ctx, cartRows, cart.row(s), null);
      long at = expiryTimerAt(s, policy);
      if (at != scheduled) {
        if (scheduled != Long.MIN_VALUE) {
          ctx.timerService().deleteEventTimeTimer(scheduled);
        }
        ctx.timerService().registerEventTimeTimer(at);
      }

      long product = value.event.productId;
      SessionState cp = cartProducts.get(product);
      if (cp == null) {
        cp = new SessionState();
      }
      cartProduct.count(cp, value);
      cartProducts.put(product, cp);
      GoldRows.emit(goldRows, ctx, cartProductRows, cartProduct.row(cp), product);
      long cpAt = expiryTimerAt(cp, policy);
      if (cpAt > at) {
        // a cart-product can outlive its cart (a purchase of another product shortens the cart's
        // TTL only): its own timer, which the cart's timer does not replace
        ctx.timerService().registerEventTimeTimer(cpAt);
      }
      out.collect(value);
    }

    /**
     * The watermark passed the expiry of the cart or of one of its cart-products. Any in-order
     * event would restart an expired key from zero anyway: drop its state, which can no longer
     * matter, and make sure what is left has a timer (under this run's session policy, which may
     * differ from that of the run a restored timer came from).
     */
    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeaturedEvent> out)
        throws Exception {
      SessionState s = state.value();
      if (s != null) {
        if (expiryTimerAt(s, policy) <= timestamp) {
          state.clear();
        } else {
          ctx.timerService().registerEventTimeTimer(expiryTimerAt(s, policy));
        }
      }
      long latest = Long.MIN_VALUE;
      var it = cartProducts.values().iterator();
      while (it.hasNext()) {
        long cpAt = expiryTimerAt(it.next(), policy);
        if (cpAt <= timestamp) {
          it.remove();
        } else {
          latest = Math.max(latest, cpAt);
        }
      }
      if (latest != Long.MIN_VALUE) {
        ctx.timerService().registerEventTimeTimer(latest);
      } else {
        cartProducts.clear(); // an emptied map would otherwise stay an entry of the state
      }
    }
  }
}
