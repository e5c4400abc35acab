package io.clickstream.propensity.features;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventIds;
import io.clickstream.propensity.events.EventType;
import java.io.IOException;
import java.math.BigDecimal;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** Every field of the feature records and states survives the compact layout. */
class FeatureSerializersTest {

  private static <T> T roundTrip(TypeSerializer<T> serializer, T value) throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(64);
    serializer.serialize(value, out);
    DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
    T back = serializer.deserialize(in);
    assertThat(in.available()).as("bytes left after reading").isZero();
    // the byte-level copy (used by Flink's sorter) must agree too
    DataOutputSerializer copied = new DataOutputSerializer(64);
    serializer.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
    assertThat(copied.getCopyOfBuffer()).isEqualTo(out.getCopyOfBuffer());
    return back;
  }

  private static ClickEvent event() {
    ClickEvent e = new ClickEvent();
    e.eventTime = 1_570_000_000L;
    e.eventType = EventType.CART;
    e.productId = 5_100_816L;
    e.categoryId = 2_053_013_553_559_896_355L;
    e.categoryCode = "electronics.smartphone";
    e.brand = "xiaomi";
    e.price = new BigDecimal("489.070000");
    e.userId = 520_088_904L;
    e.userSession = "4d3b30da-a5e4-49df-b1a8-ba5943f1dd33";
    e.sourceOrder = 3;
    e.sourceOffset = 123_456_789_012L;
    e.ingestedAt = 1_795_600_000_123L;
    e.eventId = EventIds.of(e);
    return e;
  }

  @Test
  void featuredEventKeepsCountsLateAndLabel() throws IOException {
    FeaturedEvent f = FeaturedEvent.of(event());
    for (int i = 0; i < f.counts.length; i++) {
      f.counts[i] = i * 1_000_003 - 7; // negative and multi-byte values too
    }
    f.late = true;
    f.label = 1;
    FeaturedEvent back = roundTrip(FeatureSerializers.FeaturedEventSerializer.INSTANCE, f);
    assertThat(back.event).isEqualTo(f.event);
    assertThat(back.counts).containsExactly(f.counts);
    assertThat(back.late).isTrue();
    assertThat(back.label).isEqualTo(1);
    f.label = -1;
    assertThat(roundTrip(FeatureSerializers.FeaturedEventSerializer.INSTANCE, f).label).isEqualTo(-1);
  }

  @Test
  void compactLayoutIsSmallerThanFixedWidth() throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(64);
    FeatureSerializers.FeaturedEventSerializer.INSTANCE.serialize(FeaturedEvent.of(event()), out);
    // a fixed-width layout (8-byte longs, 4-byte counts, a 32-char id) would take about 270 bytes
    assertThat(out.length()).isLessThan(170);
  }

  @Test
  void keyMetricsKeepEveryField() throws IOException {
    KeyMetrics m = new KeyMetrics();
    m.set = FeatureSet.CART_PRODUCT;
    m.userId = 1;
    m.userSession = "s";
    m.productId = 2;
    m.counts = new int[] {0, 1, 300, 70_000};
    m.lastEventTime = Long.MIN_VALUE;
    KeyMetrics back = roundTrip(FeatureSerializers.KeyMetricsSerializer.INSTANCE, m);
    assertThat(back).usingRecursiveComparison().isEqualTo(m);
  }

  @Test
  void sessionAndDailyStatesKeepEveryField() throws IOException {
    SessionState s = new SessionState();
    s.counts = new int[] {3, 2, 1, 0, 70_000};
    s.newestEventTime = -5;
    s.purchasedSinceRestart = true;
    s.userId = 7;
    s.userSession = "s-1";
    s.productId = Long.MAX_VALUE;
    assertThat(roundTrip(FeatureSerializers.SessionStateSerializer.INSTANCE, s))
        .usingRecursiveComparison().isEqualTo(s);
    s.seenIds = new SeenIds();
    s.seenIds.add("0123456789abcdeffedcba9876543210");
    s.seenIds.add("0".repeat(32));
    SessionState back = roundTrip(FeatureSerializers.SessionStateSerializer.INSTANCE, s);
    assertThat(back.seenIds.size()).isEqualTo(2);
    assertThat(back.seenIds.add("0123456789abcdeffedcba9876543210")).isFalse();
    assertThat(back.seenIds.add("0".repeat(32))).isFalse();
    assertThat(FeatureSerializers.SessionStateSerializer.INSTANCE.copy(s).seenIds)
        .isNotSameAs(s.seenIds).isEqualTo(s.seenIds);
    assertThat(roundTrip(FeatureSerializers.SessionStateSerializer.INSTANCE, new SessionState()))
        .usingRecursiveComparison().isEqualTo(new SessionState());
    DailyState d = new DailyState();
    d.base = new int[] {1, 2, 3, 4};
    d.snapshotDay = 18_000;
    d.newestEventTime = 1_570_000_000L;
    d.userId = 1;
    d.productId = 2;
    d.pendingDays = new long[] {18_000, -3};
    d.pendingCounts = new int[] {1, 1, 0, 0, 2, 0, 1, 1};
    assertThat(roundTrip(FeatureSerializers.DailyStateSerializer.INSTANCE, d))
        .usingRecursiveComparison().isEqualTo(d);
    // the heap backend copies state a running snapshot still reads: a deep copy
    DailyState copy = FeatureSerializers.DailyStateSerializer.INSTANCE.copy(d);
    assertThat(copy).usingRecursiveComparison().isEqualTo(d);
    assertThat(copy.pendingCounts).isNotSameAs(d.pendingCounts);
    assertThat(copy.pendingDays).isNotSameAs(d.pendingDays);
    assertThat(roundTrip(FeatureSerializers.DailyStateSerializer.INSTANCE, new DailyState()))
        .usingRecursiveComparison().isEqualTo(new DailyState());
  }
}
