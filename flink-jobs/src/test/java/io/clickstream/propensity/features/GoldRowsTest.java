package io.clickstream.propensity.features;

import static io.clickstream.propensity.events.EventType.CART;
import static io.clickstream.propensity.events.EventType.VIEW;
import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.events.serde.PipelineSerializers;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;

/** Streaming gold rows coalesced per key and flush interval (processing time). */
class GoldRowsTest {
  static final long T0 = 1_601_510_400L; // 2020-10-01 00:00:00 UTC
  static final long FLUSH = 5_000;

  static ClickEvent ev(long t, EventType type, long user, String session, long product, long line) {
    ClickEvent e = new ClickEvent();
    e.eventTime = t;
    e.eventType = type;
    e.userId = user;
    e.userSession = session;
    e.productId = product;
    e.price = BigDecimal.ONE;
    e.sourceOffset = line;
    e.eventId = user + "/" + session + "/" + product + "/" + line;
    return e;
  }

  static <H extends KeyedOneInputStreamOperatorTestHarness<?, FeaturedEvent, FeaturedEvent>> void feed(
      H h, List<ClickEvent> events) throws Exception {
    for (ClickEvent e : events) {
      h.processElement(FeaturedEvent.of(e), e.eventTime * 1000L);
    }
  }

  static final Map<FeatureSet, OutputTag<KeyMetrics>> ROWS = Map.of(
      FeatureSet.CART, TestEvents.rowsTag(FeatureSet.CART),
      FeatureSet.CART_PRODUCT, TestEvents.rowsTag(FeatureSet.CART_PRODUCT));
  static final OutputTag<KeyMetrics> PRODUCT_ROWS = TestEvents.rowsTag(FeatureSet.PRODUCT);

  static SessionFeatureFunction.Streaming streamingCartFunction() {
    return SessionFeatureFunction.streaming(SessionPolicy.DEFAULT, ROWS.get(FeatureSet.CART),
        ROWS.get(FeatureSet.CART_PRODUCT));
  }

  /** The production streaming cart stage in a GoldRows operator with the test's interval; not opened. */
  static KeyedOneInputStreamOperatorTestHarness<String, FeaturedEvent, FeaturedEvent> cartStageHarness()
      throws Exception {
    return new KeyedOneInputStreamOperatorTestHarness<>(
        new GoldRows<>(streamingCartFunction(), ROWS, FLUSH),
        new SetKey(FeatureSet.CART), PipelineSerializers.STRING_KEY);
  }

  /** An opened harness of the streaming cart stage with the test's flush interval. */
  static KeyedOneInputStreamOperatorTestHarness<String, FeaturedEvent, FeaturedEvent> streamingCartStage()
      throws Exception {
    var h = cartStageHarness();
    h.open();
    return h;
  }

  @Test
  void sessionStageUpsertsEachChangedKeyOncePerInterval() throws Exception {
    try (var h = streamingCartStage()) {
      h.setProcessingTime(1_000);
      feed(h, List.of(ev(T0, VIEW, 1, "s", 10, 2), ev(T0 + 1, CART, 1, "s", 10, 3),
          ev(T0 + 2, VIEW, 2, "t", 11, 4)));
      // scores are not held back, only the gold rows
      assertThat(h.extractOutputValues()).hasSize(3);
      assertThat(TestEvents.rows(h, FeatureSet.CART)).isEmpty();

      h.setProcessingTime(1_000 + FLUSH - 1);
      assertThat(TestEvents.rows(h, FeatureSet.CART)).isEmpty();
      h.setProcessingTime(1_000 + FLUSH);
      List<KeyMetrics> rows = TestEvents.rows(h, FeatureSet.CART);
      assertThat(rows).hasSize(2);
      KeyMetrics cart1 = rows.stream().filter(r -> r.userId == 1).findFirst().orElseThrow();
      assertThat(cart1.counts).containsExactly(2, 1, 1, 0);
      assertThat(cart1.userSession).isEqualTo("s");
      assertThat(cart1.lastEventTime).isEqualTo(T0 + 1);

      // an unchanged key is not upserted again; a changed one is, once
      h.setProcessingTime(1_000 + 2 * FLUSH);
      assertThat(TestEvents.rows(h, FeatureSet.CART)).hasSize(2);
      feed(h, List.of(ev(T0 + 5, VIEW, 1, "s", 12, 5)));
      h.setProcessingTime(1_000 + 3 * FLUSH);
      rows = TestEvents.rows(h, FeatureSet.CART);
      assertThat(rows).hasSize(3);
      assertThat(rows.get(2).counts).containsExactly(3, 2, 1, 0);
    }
  }

  @Test
  void keysChangedAtDifferentTimesAreFlushedAtDifferentTimesNotInOneBurst() throws Exception {
    try (var h = streamingCartStage()) {
      h.setProcessingTime(1_000);
      feed(h, List.of(ev(T0, VIEW, 1, "s", 10, 2)));
      h.setProcessingTime(3_000);
      feed(h, List.of(ev(T0 + 1, VIEW, 2, "t", 10, 3)));
      h.setProcessingTime(1_000 + FLUSH);
      assertThat(TestEvents.rows(h, FeatureSet.CART)).singleElement().satisfies(r -> assertThat(r.userId).isEqualTo(1));
      h.setProcessingTime(3_000 + FLUSH);
      assertThat(TestEvents.rows(h, FeatureSet.CART)).hasSize(2).last()
          .satisfies(r -> assertThat(r.userId).isEqualTo(2));
    }
  }

  @Test
  void aPendingRowOutlivesTheSessionStateItCameFrom() throws Exception {
    try (var h = streamingCartStage()) {
      feed(h, List.of(ev(T0, VIEW, 1, "s", 10, 2)));
      h.processWatermark(new Watermark((T0 + 31 * 86_400L) * 1000L));
      assertThat(h.numKeyedStateEntries()).as("session expired").isZero();
      h.setProcessingTime(FLUSH);
      assertThat(TestEvents.rows(h, FeatureSet.CART)).singleElement()
          .satisfies(r -> assertThat(r.counts).containsExactly(1, 1, 0, 0));
      h.setProcessingTime(3 * FLUSH); // nothing left to flush
      assertThat(TestEvents.rows(h, FeatureSet.CART)).hasSize(1);
    }
  }

  @Test
  void pendingRowsSurviveARestoreAndAllAreEmittedAtTheEndOfInput() throws Exception {
    org.apache.flink.runtime.checkpoint.OperatorSubtaskState snapshot;
    try (var h = streamingCartStage()) {
      h.setProcessingTime(1_000);
      feed(h, List.of(ev(T0, VIEW, 1, "s", 10, 2), ev(T0 + 1, CART, 1, "s", 10, 3)));
      // the checkpoint carries the pending row; no burst of rows at the barrier
      h.prepareSnapshotPreBarrier(1);
      snapshot = h.snapshot(1, 1_000);
      assertThat(TestEvents.rows(h, FeatureSet.CART)).isEmpty();
    }
    try (var h = cartStageHarness()) {
      h.setProcessingTime(0);
      h.initializeState(snapshot);
      h.open();
      h.setProcessingTime(GoldRows.TICK_MILLIS); // the first tick after the restore
      assertThat(TestEvents.rows(h, FeatureSet.CART)).singleElement()
          .satisfies(r -> assertThat(r.counts).containsExactly(2, 1, 1, 0));
      // a new change is pending until the end of input
      feed(h, List.of(ev(T0 + 2, VIEW, 2, "t", 11, 4)));
      h.endInput();
      h.getOneInputOperator().finish();
      assertThat(TestEvents.rows(h, FeatureSet.CART)).hasSize(2).last()
          .satisfies(r -> assertThat(r.userId).isEqualTo(2));
    }
  }

  @Test
  void aZeroIntervalIsRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new GoldRows<>(
            streamingCartFunction(), ROWS, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
  }

  @Test
  void dailyStageUpsertsEachChangedKeyOncePerInterval() throws Exception {
    try (var h = new KeyedOneInputStreamOperatorTestHarness<>(
        new GoldRows<>(DailyFeatureFunction.product(ExecutionMode.STREAMING, PRODUCT_ROWS),
            Map.of(FeatureSet.PRODUCT, PRODUCT_ROWS), FLUSH),
        new SetKey.Id(FeatureSet.PRODUCT), Types.LONG)) {
      h.open();
      h.processWatermark(new Watermark(T0 * 1000L));
      feed(h, List.of(ev(T0 + 1, VIEW, 1, "s", 10, 2), ev(T0 + 2, CART, 2, "t", 10, 3)));
      assertThat(h.extractOutputValues()).hasSize(2);
      assertThat(TestEvents.rows(h, FeatureSet.PRODUCT)).isEmpty();
      h.setProcessingTime(FLUSH);
      assertThat(TestEvents.rows(h, FeatureSet.PRODUCT)).singleElement().satisfies(r -> {
        assertThat(r.productId).isEqualTo(10);
        assertThat(r.counts).containsExactly(2, 1, 1, 0);
      });
    }
  }

  @Test
  void aStageWithSubKeysCoalescesEachSubKeysRowsOnItsOwnSideOutput() throws Exception {
    try (var h = streamingCartStage()) {
      h.setProcessingTime(0);
      // one cart, two products; product 10 changes twice
      feed(h, List.of(ev(T0, VIEW, 1, "s", 10, 2), ev(T0 + 1, CART, 1, "s", 10, 3),
          ev(T0 + 2, VIEW, 1, "s", 11, 4)));
      assertThat(TestEvents.values(h.getSideOutput(ROWS.get(FeatureSet.CART_PRODUCT)))).isEmpty();
      h.setProcessingTime(FLUSH);
      assertThat(TestEvents.rows(h, FeatureSet.CART)).singleElement()
          .satisfies(r -> assertThat(r.counts).containsExactly(3, 2, 1, 0));
      assertThat(TestEvents.values(h.getSideOutput(ROWS.get(FeatureSet.CART_PRODUCT)))).hasSize(2)
          .allSatisfy(r -> assertThat(r.set).isEqualTo(FeatureSet.CART_PRODUCT))
          .anySatisfy(r -> {
            assertThat(r.productId).isEqualTo(10);
            assertThat(r.counts).containsExactly(2, 1, 1, 0);
          })
          .anySatisfy(r -> {
            assertThat(r.productId).isEqualTo(11);
            assertThat(r.counts).containsExactly(1, 1, 0, 0);
          });
    }
  }
}
