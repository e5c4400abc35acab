package io.clickstream.propensity.features;

import io.clickstream.propensity.events.ClickEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * The BATCH cart and user stages in one, keyed by user: a cart (user, session) is a sub-key of its
 * user, so one sort of the input by user serves four sets (cart, cart-product, user,
 * user-product) where the streaming job shuffles and sorts twice. The same counters as the
 * streaming stages ({@link SessionCounter}, {@link DailyCounter}) apply the rules.
 *
 * <p>Flink's batch shuffle does not order ties, so a user's events are buffered until the end of
 * the key. Then, per cart: sorted into canonical order (event time, source position), exact
 * duplicates removed (first occurrence kept, the others on {@link
 * SessionFeatureFunction#DUPLICATES}), each cart-product's events labelled and counted, then the
 * cart's. Then the user's distinct events are counted into the user and user-product sets day by
 * day (the daily snapshots do not depend on the order within a day) and emitted. Gold rows and
 * final states (the warm start's input) go out once per key, at the end.
 */
public final class BatchUserStage extends KeyedProcessFunction<Long, FeaturedEvent, FeaturedEvent> {
  private static final long serialVersionUID = 1L;
  private static final long END_OF_INPUT = Long.MAX_VALUE;

  private final SessionCounter cart;
  private final SessionCounter cartProduct;
  private final DailyCounter user;
  private final DailyCounter userProduct;
  private final OutputTag<KeyMetrics> cartRows;
  private final OutputTag<KeyMetrics> cartProductRows;
  private final OutputTag<KeyMetrics> userRows;
  private final OutputTag<KeyMetrics> userProductRows;
  /** Built once: Types.POJO runs the type extractor, far too slow to call per key. */
  private final OutputTag<SessionSeed> sessionStates = SessionFeatureFunction.finalStateTag();
  private final OutputTag<DailySeed> dailyStates = DailyFeatureFunction.finalStateTag(FeatureSet.USER);

  private transient ListState<FeaturedEvent> buffer;
  private transient Counter duplicates;

  /** The side outputs of the four sets' gold rows may be one: each row names its set. */
  public BatchUserStage(SessionPolicy policy, OutputTag<KeyMetrics> cartRows,
      OutputTag<KeyMetrics> cartProductRows, OutputTag<KeyMetrics> userRows,
      OutputTag<KeyMetrics> userProductRows) {
    this.cart = new SessionCounter(FeatureSet.CART, policy);
    this.cartProduct = new SessionCounter(FeatureSet.CART_PRODUCT, policy);
    this.user = new DailyCounter(FeatureSet.USER);
    this.userProduct = new DailyCounter(FeatureSet.USER_PRODUCT);
    this.cartRows = cartRows;
    this.cartProductRows = cartProductRows;
    this.userRows = userRows;
    this.userProductRows = userProductRows;
  }

  @Override
  public void open(OpenContext openContext) {
    var metrics = getRuntimeContext().getMetricGroup();
    cart.open(metrics);
    cartProduct.open(metrics);
    user.open(metrics);
    userProduct.open(metrics);
    duplicates = metrics.counter("duplicatesRemoved");
    buffer = getRuntimeContext().getListState(new ListStateDescriptor<>(
        FeatureSet.USER.prefix() + "-buffer", FeatureSerializers.FEATURED_EVENT));
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
    Map<String, List<FeaturedEvent>> carts = new LinkedHashMap<>();
    for (FeaturedEvent e : buffer.get()) {
      carts.computeIfAbsent(e.event.userSession, k -> new ArrayList<>()).add(e);
    }
    buffer.clear();
    List<FeaturedEvent> distinct = new ArrayList<>();
    for (List<FeaturedEvent> events : carts.values()) {
      distinct.addAll(countCart(events, ctx));
    }
    countUser(distinct, ctx, out);
  }

  /** One cart's events: canonical order, duplicates out, cart-products and the cart counted. */
  private List<FeaturedEvent> countCart(List<FeaturedEvent> events, OnTimerContext ctx) {
    events.sort((a, b) -> ClickEvent.compareCanonical(a.event, b.event));
    events = withoutDuplicates(events, ctx);
    // each product's events, in the cart's canonical order, are exactly its cart-product key's
    Map<Long, List<FeaturedEvent>> byProduct = new LinkedHashMap<>();
    for (FeaturedEvent e : events) {
      byProduct.computeIfAbsent(e.event.productId, k -> new ArrayList<>()).add(e);
    }
    for (List<FeaturedEvent> productEvents : byProduct.values()) {
      TrainingLabel.label(productEvents);
      SessionState cp = new SessionState();
      for (FeaturedEvent e : productEvents) {
        cartProduct.count(cp, e);
      }
      ctx.output(cartProductRows, cartProduct.row(cp));
      ctx.output(sessionStates, cartProduct.seed(cp));
    }
    SessionState c = new SessionState();
    // the streaming cart stage keeps the ids it has seen to remove later duplicates
    c.seenIds = new SeenIds();
    for (FeaturedEvent e : events) {
      cart.count(c, e);
      c.seenIds.add(e.event.eventId);
    }
    ctx.output(cartRows, cart.row(c));
    ctx.output(sessionStates, cart.seed(c));
    return events;
  }

  /** The first occurrence (canonical order) of each event id; the others go to DUPLICATES. */
  private List<FeaturedEvent> withoutDuplicates(List<FeaturedEvent> sorted, OnTimerContext ctx) {
    Set<String> seen = new HashSet<>();
    List<FeaturedEvent> distinct = new ArrayList<>(sorted.size());
    for (FeaturedEvent e : sorted) {
      if (seen.add(e.event.eventId)) {
        distinct.add(e);
      } else {
        ctx.output(SessionFeatureFunction.DUPLICATES, e.event);
        duplicates.inc();
      }
    }
    return distinct;
  }

  /** The user's distinct events, day by day, into the user and user-product sets; then emitted. */
  private void countUser(List<FeaturedEvent> events, OnTimerContext ctx,
      Collector<FeaturedEvent> out) {
    // stable: the order within a day stays that of the carts (it does not change a snapshot)
    events.sort((a, b) -> Long.compare(
        FeatureRules.epochDay(a.event.eventTime), FeatureRules.epochDay(b.event.eventTime)));
    DailyState u = new DailyState();
    Map<Long, DailyState> products = new HashMap<>();
    for (FeaturedEvent e : events) {
      long day = FeatureRules.epochDay(e.event.eventTime);
      user.count(u, day, e);
      userProduct.count(products.computeIfAbsent(e.event.productId, k -> new DailyState()), day, e);
      out.collect(e);
    }
    ctx.output(userRows, user.row(u));
    ctx.output(dailyStates, user.seed(u));
    for (DailyState up : products.values()) {
      ctx.output(userProductRows, userProduct.row(up));
      ctx.output(dailyStates, userProduct.seed(up));
    }
  }
}
