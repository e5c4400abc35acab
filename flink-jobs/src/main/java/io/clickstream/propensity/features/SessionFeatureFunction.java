package io.clickstream.propensity.features;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.serde.PipelineSerializers;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
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
 * which always share a cart. One implementation per {@link ExecutionMode}:
 *
 * <ul>
 *   <li>{@link Streaming}: each event is counted and emitted on arrival; each cart-product's state
 *       is one entry of its cart's map state, and one expiry timer per cart clears what expired.
 *   <li>{@link Batch}: Flink's batch shuffle does not order ties, so a cart's events are buffered
 *       until the end of the key, sorted into canonical order (event time, source position) and
 *       replayed: each cart-product key's events in that order, then the cart's. Sets the training
 *       label and emits each key's gold row and final state.
 * </ul>
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

  /**
   * The BATCH cart stage: gold rows of carts on {@code cartRows}, of cart-products on
   * {@code cartProductRows}, the final states of both on {@link #finalStateTag()}.
   */
  public static Batch batch(SessionPolicy policy, OutputTag<KeyMetrics> cartRows,
      OutputTag<KeyMetrics> cartProductRows) {
    return new Batch(policy, cartRows, cartProductRows);
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

  /** Side output of the final state of every cart and cart-product key (BATCH): the warm start's input. */
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

  /** BATCH: buffers each cart until the end of input, then replays it in canonical order. */
  public static final class Batch extends SessionFeatureFunction {
    private static final long serialVersionUID = 1L;
    private static final long END_OF_INPUT = Long.MAX_VALUE;

    /** Built once: Types.POJO runs the type extractor, far too slow to call per key. */
    private final OutputTag<SessionSeed> finalStates = finalStateTag();
    private transient ListState<FeaturedEvent> buffer;

    private Batch(SessionPolicy policy, OutputTag<KeyMetrics> cartRows,
        OutputTag<KeyMetrics> cartProductRows) {
      super(policy, cartRows, cartProductRows);
    }

    @Override
    public void open(OpenContext openContext) {
      super.open(openContext);
      buffer = getRuntimeContext().getListState(new ListStateDescriptor<>(
          FeatureSet.CART.prefix() + "-buffer", FeatureSerializers.FEATURED_EVENT));
    }

    @Override
    public void processElement(FeaturedEvent value, Context ctx, Collector<FeaturedEvent> out)
        throws Exception {
      buffer.add(value);
      ctx.timerService().registerEventTimeTimer(END_OF_INPUT);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeaturedEvent> out)
        throws Exception {
      List<FeaturedEvent> events = new ArrayList<>();
      for (FeaturedEvent e : buffer.get()) {
        events.add(e);
      }
      buffer.clear();
      events.sort((a, b) -> ClickEvent.compareCanonical(a.event, b.event));
      events = withoutDuplicates(events, ctx);
      if (events.isEmpty()) {
        return;
      }
      // each product's events, in the cart's canonical order, are exactly its cart-product key's
      Map<Long, List<FeaturedEvent>> byProduct = new LinkedHashMap<>();
      for (FeaturedEvent e : events) {
        byProduct.computeIfAbsent(e.event.productId, k -> new ArrayList<>()).add(e);
      }
      for (List<FeaturedEvent> productEvents : byProduct.values()) {
        TrainingLabel.label(productEvents);
        emit(cartProduct, replay(cartProduct, productEvents), ctx, cartProductRows);
      }
      SessionState cartState = replay(cart, events);
      // the streaming cart stage keeps the ids it has seen to remove later duplicates
      cartState.seenIds = new SeenIds();
      for (FeaturedEvent e : events) {
        cartState.seenIds.add(e.event.eventId);
      }
      emit(cart, cartState, ctx, cartRows);
      for (FeaturedEvent e : events) {
        out.collect(e);
      }
    }

    /** The first occurrence (canonical order) of each event id; the others go to DUPLICATES. */
    private List<FeaturedEvent> withoutDuplicates(List<FeaturedEvent> sorted, OnTimerContext ctx) {
      Set<String> seen = new HashSet<>();
      List<FeaturedEvent> distinct = new ArrayList<>(sorted.size());
      for (FeaturedEvent e : sorted) {
        if (seen.add(e.event.eventId)) {
          distinct.add(e);
        } else {
          ctx.output(DUPLICATES, e.event);
          duplicates.inc();
        }
      }
      return distinct;
    }

    /** Counts one key's events, given in canonical order. */
    private static SessionState replay(SessionCounter counter, List<FeaturedEvent> events) {
      SessionState state = new SessionState();
      for (FeaturedEvent e : events) {
        counter.count(state, e);
      }
      return state;
    }

    /** A key's gold row and final state. */
    private void emit(SessionCounter counter, SessionState state, OnTimerContext ctx,
        OutputTag<KeyMetrics> rows) {
      ctx.output(rows, counter.row(state));
      ctx.output(finalStates, counter.seed(state));
    }
  }
}
