package io.clickstream.propensity.features;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventIds;
import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.events.serde.PipelineSerializers;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;

/** Builders for events and operator harnesses shared by the feature tests. */
public final class TestEvents {
  public static final long DAY = 86_400L;
  public static final long HOUR = 3_600L;

  private TestEvents() {}

  public static long t(String iso) {
    return Instant.parse(iso).getEpochSecond();
  }

  /** An event at {@code time} with canonical position (0, offset). */
  public static ClickEvent ev(long time, EventType type, long user, String session, long product,
      long offset) {
    return ev(time, type, user, session, product, 0, offset);
  }

  public static ClickEvent ev(long time, EventType type, long user, String session, long product,
      int order, long offset) {
    ClickEvent e = new ClickEvent();
    e.eventTime = time;
    e.eventType = type;
    e.userId = user;
    e.userSession = session;
    e.productId = product;
    e.price = new BigDecimal("9.99");
    e.sourceOrder = order;
    e.sourceOffset = offset;
    e.eventId = EventIds.of(e);
    return e;
  }

  /** An exact duplicate (same nine fields) at another position. */
  public static ClickEvent copyAt(ClickEvent e, int order, long offset) {
    ClickEvent c = ev(e.eventTime, e.eventType, e.userId, e.userSession, e.productId, order, offset);
    c.price = e.price;
    c.eventId = EventIds.of(c);
    return c;
  }

  public static int[] countsOf(FeaturedEvent f, FeatureSet set) {
    int o = set.ordinal() * FeatureRules.COUNTS_PER_SET;
    return Arrays.copyOfRange(f.counts, o, o + FeatureRules.COUNTS_PER_SET);
  }

  public static String pos(ClickEvent e) {
    return e.sourceOrder + ":" + e.sourceOffset;
  }

  /** The side output of each set's gold rows in the harnesses built here. */
  public static OutputTag<KeyMetrics> rowsTag(FeatureSet set) {
    return new OutputTag<>(set.prefix() + "-rows", Types.POJO(KeyMetrics.class));
  }

  /**
   * The production stage that counts the cart sets, keyed as in the pipeline; not opened.
   * STREAMING: the cart stage (cart and cart-product), keyed by cart. BATCH: {@link
   * BatchUserStage}, keyed by user, which also counts the user sets.
   */
  public static KeyedOneInputStreamOperatorTestHarness<?, FeaturedEvent, FeaturedEvent>
      cartStageHarness(SessionPolicy policy, ExecutionMode mode) throws Exception {
    if (mode == ExecutionMode.BATCH) {
      return batchUserStageHarness(policy);
    }
    return new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(SessionFeatureFunction.streaming(policy,
            rowsTag(FeatureSet.CART), rowsTag(FeatureSet.CART_PRODUCT))),
        new SetKey(FeatureSet.CART), PipelineSerializers.STRING_KEY);
  }

  /** The production BATCH stage of the cart and user sets, keyed by user; not opened. */
  static KeyedOneInputStreamOperatorTestHarness<Long, FeaturedEvent, FeaturedEvent>
      batchUserStageHarness(SessionPolicy policy) throws Exception {
    return new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(new BatchUserStage(policy, rowsTag(FeatureSet.CART),
            rowsTag(FeatureSet.CART_PRODUCT), rowsTag(FeatureSet.USER),
            rowsTag(FeatureSet.USER_PRODUCT))),
        new SetKey.Id(FeatureSet.USER), Types.LONG);
  }

  /** The production stage that counts the cart sets (see {@link #cartStageHarness}), opened. */
  public static KeyedOneInputStreamOperatorTestHarness<?, FeaturedEvent, FeaturedEvent> cartStage(
      SessionPolicy policy, ExecutionMode mode) throws Exception {
    var h = cartStageHarness(policy, mode);
    h.open();
    return h;
  }

  /**
   * The daily function that computes {@code set} (the user stage for user and user-product, else
   * the product stage), keyed by its Long id as in the pipeline; opened. In BATCH the pipeline
   * counts the user sets in {@link BatchUserStage}, which applies the same {@link DailyCounter}s.
   */
  public static KeyedOneInputStreamOperatorTestHarness<Long, FeaturedEvent, FeaturedEvent> dailyStage(
      FeatureSet set, ExecutionMode mode) throws Exception {
    FeatureSet stage = set == FeatureSet.PRODUCT ? FeatureSet.PRODUCT : FeatureSet.USER;
    DailyFeatureFunction f = stage == FeatureSet.USER
        ? DailyFeatureFunction.user(mode, rowsTag(FeatureSet.USER), rowsTag(FeatureSet.USER_PRODUCT))
        : DailyFeatureFunction.product(mode, rowsTag(FeatureSet.PRODUCT));
    var h = new KeyedOneInputStreamOperatorTestHarness<>(
        new KeyedProcessOperator<>(f), new SetKey.Id(stage), Types.LONG);
    h.open();
    return h;
  }

  /** Feeds events as the runtime would: timestamp = event time in ms. */
  public static void feed(KeyedOneInputStreamOperatorTestHarness<?, FeaturedEvent, FeaturedEvent> h,
      List<ClickEvent> events) throws Exception {
    for (ClickEvent e : events) {
      h.processElement(new StreamRecord<>(FeaturedEvent.of(e), e.eventTime * 1000L));
    }
  }

  /** The values of a harness side output (empty when nothing was emitted). */
  public static <T> List<T> values(java.util.Collection<StreamRecord<T>> records) {
    return records == null ? List.of()
        : records.stream().map(StreamRecord::getValue).collect(Collectors.toList());
  }

  /** The gold rows of {@code set} a harness built here emitted so far. */
  public static List<KeyMetrics> rows(
      KeyedOneInputStreamOperatorTestHarness<?, FeaturedEvent, FeaturedEvent> h, FeatureSet set) {
    return values(h.getSideOutput(rowsTag(set)));
  }
}
