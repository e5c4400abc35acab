package io.clickstream.propensity.features;

import io.clickstream.propensity.events.serde.PipelineSerializers;
import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * A live session set (cart or cart-product, FEATURES.md §3): counts the key's events up to and
 * including each event, restarting after the session TTL.
 *
 * <p>Two input orders, one rule ({@link SessionState#apply}):
 *
 * <ul>
 *   <li><b>arrival</b> (STREAMING): each event is counted and emitted at once, no waiting; an event
 *       older than the newest one of its key is flagged late.
 *   <li><b>canonical</b> (BATCH): Flink's batch shuffle does not order ties, so a key's events are
 *       buffered, sorted by (event time, source position) and then fed in that order; the batch
 *       runtime fires the end-of-key timer once all of the key's events are in.
 * </ul>
 *
 * <p>The cart stage also removes exact duplicates (same event_id), which always share a cart, and
 * the cart-product set in canonical mode also sets the training label. The cart stage carries the
 * cart-product set too ({@link #cartWithCartProduct}): a cart-product key is a sub-key of its
 * cart, so a shuffle (and in BATCH a sort) is saved. In canonical mode each cart-product key is
 * replayed through the same code as in its own stage; in arrival mode its state is one entry of
 * the cart's map state, and one expiry timer per cart clears what has expired.
 */
public class SessionFeatureFunction
    extends KeyedProcessFunction<String, FeaturedEvent, FeaturedEvent> implements GoldRows.Source {
  private static final long serialVersionUID = 1L;

  /** Exact duplicates removed by the cart stage (one per extra copy). */
  public static final OutputTag<ClickEvent> DUPLICATES =
      new OutputTag<>("duplicates", PipelineSerializers.CLICK_EVENT);

  private static final long END_OF_INPUT = Long.MAX_VALUE;

  private final FeatureSet set;
  private final SessionPolicy policy;
  private final boolean canonicalOrder;
  private final OutputTag<KeyMetrics> metricsTag;
  private final OutputTag<SessionSeed> finalStateTag;
  /** Cart stage only: also compute the cart-product set (null = not). */
  private final OutputTag<KeyMetrics> cartProductMetricsTag;

  private transient ValueState<SessionState> state;
  private transient ListState<FeaturedEvent> buffer;
  /** Arrival mode, cart stage with cart-product: the cart's cart-product keys by product id. */
  private transient MapState<Long, SessionState> cartProducts;
  private transient Counter lateEvents;
  private transient Counter cartProductLateEvents;
  private transient Counter duplicates;
  /** Streaming, in a {@link GoldRows} operator: where the gold rows go (null = emitted at once). */
  private transient GoldRows.Buffer goldRows;

  /**
   * @param set {@link FeatureSet#CART} or {@link FeatureSet#CART_PRODUCT}
   * @param canonicalOrder true in BATCH mode (buffer and sort each key), false in STREAMING mode
   * @param metricsTag side output for the key's current state (gold metric rows)
   */
  public SessionFeatureFunction(
      FeatureSet set, SessionPolicy policy, boolean canonicalOrder, OutputTag<KeyMetrics> metricsTag) {
    this(set, policy, canonicalOrder, metricsTag, null);
  }

  /**
   * The cart stage that also computes the cart-product set (features, in canonical mode the label,
   * gold rows on {@code cartProductMetricsTag}, final states with the cart's on
   * {@code finalStateTag(CART)}).
   */
  public static SessionFeatureFunction cartWithCartProduct(SessionPolicy policy,
      boolean canonicalOrder, OutputTag<KeyMetrics> cartMetricsTag,
      OutputTag<KeyMetrics> cartProductMetricsTag) {
    return new SessionFeatureFunction(
        FeatureSet.CART, policy, canonicalOrder, cartMetricsTag, cartProductMetricsTag);
  }

  private SessionFeatureFunction(FeatureSet set, SessionPolicy policy, boolean canonicalOrder,
      OutputTag<KeyMetrics> metricsTag, OutputTag<KeyMetrics> cartProductMetricsTag) {
    if (!set.isSession()) {
      throw new IllegalArgumentException(set + " is a daily set: use DailyFeatureFunction");
    }
    this.set = set;
    this.policy = policy;
    this.canonicalOrder = canonicalOrder;
    this.metricsTag = metricsTag;
    this.finalStateTag = finalStateTag(set);
    this.cartProductMetricsTag = cartProductMetricsTag;
  }

  // The streaming state, declared once: the warm start (SessionStateBootstrap) writes the same.

  static ValueStateDescriptor<SessionState> stateDescriptor(FeatureSet set) {
    return new ValueStateDescriptor<>(set.prefix() + "-session", FeatureSerializers.SESSION_STATE);
  }

  static MapStateDescriptor<Long, SessionState> cartProductsDescriptor() {
    return new MapStateDescriptor<>(
        FeatureSet.CART_PRODUCT.prefix() + "-session", Types.LONG, FeatureSerializers.SESSION_STATE);
  }

  /**
   * Event time (ms) of the timer that clears a key's streaming state after its expiry. A function
   * of the state, so the scheduled timer is never kept in state of its own (one entry per key
   * fewer in every checkpoint).
   */
  static long expiryTimerAt(SessionState s, SessionPolicy policy) {
    return Math.multiplyExact(s.expiresAfter(policy), 1000L) + 1;
  }

  /** Side output of the final state of every key of the stage (canonical mode): the warm start's input. */
  public static OutputTag<SessionSeed> finalStateTag(FeatureSet set) {
    return new OutputTag<>(set.prefix() + "-final-state", Types.POJO(SessionSeed.class));
  }

  private boolean deduplicates() {
    return set == FeatureSet.CART;
  }

  @Override
  public void open(OpenContext openContext) {
    state = getRuntimeContext().getState(stateDescriptor(set));
    if (canonicalOrder) {
      buffer = getRuntimeContext().getListState(
          new ListStateDescriptor<>(set.prefix() + "-buffer", FeatureSerializers.FEATURED_EVENT));
    } else {
      if (cartProductMetricsTag != null) {
        cartProducts = getRuntimeContext().getMapState(cartProductsDescriptor());
      }
    }
    lateEvents = getRuntimeContext().getMetricGroup().counter(set.prefix() + "LateEvents");
    if (cartProductMetricsTag != null) {
      cartProductLateEvents = getRuntimeContext().getMetricGroup()
          .counter(FeatureSet.CART_PRODUCT.prefix() + "LateEvents");
    }
    duplicates = getRuntimeContext().getMetricGroup().counter("duplicatesRemoved");
  }

  @Override
  public void processElement(FeaturedEvent value, Context ctx, Collector<FeaturedEvent> out)
      throws Exception {
    if (canonicalOrder) {
      buffer.add(value);
      ctx.timerService().registerEventTimeTimer(END_OF_INPUT);
      return;
    }
    SessionState stored = state.value();
    SessionState s = stored != null ? stored : new SessionState();
    if (deduplicates()) {
      if (s.seenIds == null) {
        s.seenIds = new SeenIds();
      }
      if (!s.seenIds.add(value.event.eventId)) {
        ctx.output(DUPLICATES, value.event);
        duplicates.inc();
        return;
      }
    }
    // the timer the key has now (counting mutates the state in place)
    long scheduled = stored != null ? expiryTimerAt(stored, policy) : Long.MIN_VALUE;
    apply(set, s, value);
    state.update(s);
    emitGoldRow(ctx, metricsTag, metrics(set, s), null);
    long at = expiryTimerAt(s, policy);
    if (at != scheduled) {
      if (scheduled != Long.MIN_VALUE) {
        ctx.timerService().deleteEventTimeTimer(scheduled);
      }
      ctx.timerService().registerEventTimeTimer(at);
    }
    if (cartProducts != null) {
      long product = value.event.productId;
      SessionState cp = cartProducts.get(product);
      if (cp == null) {
        cp = new SessionState();
      }
      apply(FeatureSet.CART_PRODUCT, cp, value);
      cartProducts.put(product, cp);
      emitGoldRow(ctx, cartProductMetricsTag, metrics(FeatureSet.CART_PRODUCT, cp), product);
      long cpAt = expiryTimerAt(cp, policy);
      if (cpAt > at) {
        // a cart-product can outlive its cart (a purchase of another product shortens the cart's
        // TTL only): its own timer, which the cart's timer does not replace
        ctx.timerService().registerEventTimeTimer(cpAt);
      }
    }
    out.collect(value);
  }

  @Override
  public void onTimer(long timestamp, OnTimerContext ctx, Collector<FeaturedEvent> out)
      throws Exception {
    if (canonicalOrder) {
      emitInCanonicalOrder(ctx, out);
      return;
    }
    // Streaming: the watermark passed the expiry of the cart or of one of its cart-products. Any
    // in-order event would restart an expired key from zero anyway: drop its state, which can no
    // longer matter, and make sure what is left has a timer (under this run's session policy,
    // which may differ from that of the run a restored timer came from).
    SessionState s = state.value();
    if (s != null) {
      if (expiryTimerAt(s, policy) <= timestamp) {
        state.clear();
      } else {
        ctx.timerService().registerEventTimeTimer(expiryTimerAt(s, policy));
      }
    }
    if (cartProducts != null) {
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

  private void emitInCanonicalOrder(OnTimerContext ctx, Collector<FeaturedEvent> out)
      throws Exception {
    List<FeaturedEvent> events = new ArrayList<>();
    for (FeaturedEvent e : buffer.get()) {
      events.add(e);
    }
    buffer.clear();
    state.clear();
    events.sort((a, b) -> ClickEvent.compareCanonical(a.event, b.event));

    if (deduplicates()) {
      Set<String> seen = new HashSet<>();
      List<FeaturedEvent> distinct = new ArrayList<>(events.size());
      for (FeaturedEvent e : events) {
        if (seen.add(e.event.eventId)) {
          distinct.add(e);
        } else {
          ctx.output(DUPLICATES, e.event);
          duplicates.inc();
        }
      }
      events = distinct;
    }
    if (events.isEmpty()) {
      return;
    }
    if (cartProductMetricsTag != null) {
      // each product's events, in the cart's canonical order, are exactly its cart-product key's
      Map<Long, List<FeaturedEvent>> byProduct = new LinkedHashMap<>();
      for (FeaturedEvent e : events) {
        byProduct.computeIfAbsent(e.event.productId, k -> new ArrayList<>()).add(e);
      }
      for (List<FeaturedEvent> product : byProduct.values()) {
        replay(FeatureSet.CART_PRODUCT, product, ctx, cartProductMetricsTag);
      }
    }
    replay(set, events, ctx, metricsTag);
    for (FeaturedEvent e : events) {
      out.collect(e);
    }
  }

  /**
   * Canonical mode: counts one key's events of {@code s} in canonical order (and the label for
   * cart-product), then emits the key's gold row and final state.
   */
  private void replay(FeatureSet s, List<FeaturedEvent> events, OnTimerContext ctx,
      OutputTag<KeyMetrics> metricsOut) {
    if (s == FeatureSet.CART_PRODUCT) {
      // label: a purchase of the same cart-product comes later in canonical order
      boolean purchaseLater = false;
      for (int i = events.size() - 1; i >= 0; i--) {
        events.get(i).label = purchaseLater ? 1 : 0;
        purchaseLater |= events.get(i).event.eventType == EventType.PURCHASE;
      }
    }
    SessionState st = new SessionState();
    for (FeaturedEvent e : events) {
      apply(s, st, e);
    }
    ctx.output(metricsOut,
        KeyMetrics.of(s, events.get(events.size() - 1).event, st.counts, st.newestEventTime));
    SessionSeed seed = new SessionSeed();
    seed.set = s;
    seed.state = st;
    if (s == FeatureSet.CART) {
      st.seenIds = new SeenIds();
      for (FeaturedEvent e : events) {
        st.seenIds.add(e.event.eventId);
      }
    }
    ctx.output(finalStateTag, seed);
  }

  @Override
  public void bufferGoldRows(GoldRows.Buffer buffer) {
    this.goldRows = buffer;
  }

  private void emitGoldRow(Context ctx, OutputTag<KeyMetrics> tag, KeyMetrics row, Long subKey) {
    GoldRows.emit(goldRows, ctx, tag, row, subKey);
  }

  private static KeyMetrics metrics(FeatureSet set, SessionState s) {
    return KeyMetrics.of(set, s.userId, s.userSession, s.productId, s.counts, s.newestEventTime);
  }

  /** Counts {@code e} into the key's state and copies the set's counts into {@code e}. */
  private void apply(FeatureSet s, SessionState st, FeaturedEvent e) {
    if (st.apply(e.event, policy)) {
      (s == set ? lateEvents : cartProductLateEvents).inc();
      e.late = true;
    }
    e.setCounts(s, st.counts);
  }

}
