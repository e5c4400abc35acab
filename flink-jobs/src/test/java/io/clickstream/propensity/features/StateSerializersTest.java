package io.clickstream.propensity.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventIds;
import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.events.IngestedRecord;
import io.clickstream.propensity.events.serde.PipelineSerializers;
import io.clickstream.propensity.events.serde.RecordSerializerSnapshot;
import io.clickstream.propensity.events.serde.StateFormatException;
import java.io.IOException;
import java.math.BigDecimal;
import java.util.List;
import org.apache.flink.api.common.typeutils.SerializerTestBase;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.testutils.DeeplyEqualsChecker;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Flink's serializer test suite (round trips, copies, snapshot and restore of the configuration,
 * duplicates, Java serialization) over every hand-written state serializer, and the refusal of
 * state written with another layout.
 */
class StateSerializersTest {

  /** The records have no equals: compared field by field. */
  private static final DeeplyEqualsChecker FIELDS = new DeeplyEqualsChecker().withCustomCheck(
      (a, b) -> a != null && b != null && a.getClass().getName().startsWith("io.clickstream."),
      (a, b, checker) -> {
        try {
          assertThat(b).usingRecursiveComparison().isEqualTo(a);
          return true;
        } catch (AssertionError e) {
          return false;
        }
      });

  private static final List<TypeSerializer<?>> ALL = List.of(
      PipelineSerializers.ClickEventSerializer.INSTANCE,
      PipelineSerializers.IngestedRecordSerializer.INSTANCE,
      PipelineSerializers.StringKeySerializer.INSTANCE,
      FeatureSerializers.FeaturedEventSerializer.INSTANCE,
      FeatureSerializers.KeyMetricsSerializer.INSTANCE,
      FeatureSerializers.SessionStateSerializer.INSTANCE,
      FeatureSerializers.DailyStateSerializer.INSTANCE);

  static ClickEvent event(EventType type, String brand, BigDecimal price, Long categoryId) {
    ClickEvent e = new ClickEvent();
    e.eventTime = 1_570_000_000L;
    e.eventType = type;
    e.productId = 5_100_816L;
    e.categoryId = categoryId;
    e.categoryCode = categoryId == null ? null : "electronics.smartphone";
    e.brand = brand;
    e.price = BigDecimal.ONE;
    e.userId = 520_088_904L;
    e.userSession = "4d3b30da-a5e4-49df-b1a8-ba5943f1dd33";
    e.sourceOrder = 3;
    e.sourceOffset = 123_456_789_012L;
    e.ingestedAt = 1_795_600_000_123L;
    e.eventId = EventIds.of(e);
    e.price = price;
    return e;
  }

  static ClickEvent[] events() {
    ClickEvent odd = event(EventType.PURCHASE, "Ω\uD800brand", new BigDecimal("-0.5"), -1L);
    odd.eventId = "not-a-hex-id";
    odd.userSession = null;
    odd.eventTime = Long.MIN_VALUE;
    odd.sourceOffset = Long.MAX_VALUE;
    return new ClickEvent[] {
      event(EventType.CART, "xiaomi", new BigDecimal("489.070000"), 2_053_013_553_559_896_355L),
      event(EventType.VIEW, null, null, null),
      event(EventType.REMOVE_FROM_CART, "", new BigDecimal("1E+400"), 0L),
      odd
    };
  }

  @Nested
  class ClickEvents extends SerializerTestBase<ClickEvent> {
    ClickEvents() {
      super(FIELDS);
    }

    @Override
    protected TypeSerializer<ClickEvent> createSerializer() {
      return PipelineSerializers.ClickEventSerializer.INSTANCE;
    }

    @Override
    protected int getLength() {
      return -1;
    }

    @Override
    protected Class<ClickEvent> getTypeClass() {
      return ClickEvent.class;
    }

    @Override
    protected ClickEvent[] getTestData() {
      return events();
    }
  }

  @Nested
  class IngestedRecords extends SerializerTestBase<IngestedRecord> {
    IngestedRecords() {
      super(FIELDS);
    }

    @Override
    protected TypeSerializer<IngestedRecord> createSerializer() {
      return PipelineSerializers.IngestedRecordSerializer.INSTANCE;
    }

    @Override
    protected int getLength() {
      return -1;
    }

    @Override
    protected Class<IngestedRecord> getTypeClass() {
      return IngestedRecord.class;
    }

    @Override
    protected IngestedRecord[] getTestData() {
      IngestedRecord ok = new IngestedRecord();
      ok.source = "kafka:clickstream-events";
      ok.sourceOrder = 7;
      ok.sourceOffset = 99;
      ok.raw = "{\"event_type\":\"cart\"}";
      ok.ingestedAt = 1_795_600_000_123L;
      ok.event = events()[0];
      IngestedRecord bad = new IngestedRecord();
      bad.source = "file:/data/2019-Oct.csv";
      bad.raw = "\u0000\uFEFF,\"unterminated";
      bad.reason = "malformed_csv";
      bad.detail = "unterminated quote";
      return new IngestedRecord[] {ok, bad, new IngestedRecord()};
    }
  }

  @Nested
  class StringKeys extends SerializerTestBase<String> {
    @Override
    protected TypeSerializer<String> createSerializer() {
      return PipelineSerializers.StringKeySerializer.INSTANCE;
    }

    @Override
    protected int getLength() {
      return -1;
    }

    @Override
    protected Class<String> getTypeClass() {
      return String.class;
    }

    @Override
    protected String[] getTestData() {
      return new String[] {"", "520088904|4d3b30da", "Ünïcode ✓", "\uD800", "x".repeat(70_000)};
    }
  }

  @Nested
  class FeaturedEvents extends SerializerTestBase<FeaturedEvent> {
    FeaturedEvents() {
      super(FIELDS);
    }

    @Override
    protected TypeSerializer<FeaturedEvent> createSerializer() {
      return FeatureSerializers.FeaturedEventSerializer.INSTANCE;
    }

    @Override
    protected int getLength() {
      return -1;
    }

    @Override
    protected Class<FeaturedEvent> getTypeClass() {
      return FeaturedEvent.class;
    }

    @Override
    protected FeaturedEvent[] getTestData() {
      FeaturedEvent plain = FeaturedEvent.of(events()[1]);
      FeaturedEvent full = FeaturedEvent.of(events()[0]);
      for (int i = 0; i < full.counts.length; i++) {
        full.counts[i] = i * 1_000_003 - 7;
      }
      full.late = true;
      full.label = 1;
      return new FeaturedEvent[] {plain, full};
    }
  }

  @Nested
  class KeyMetricsRecords extends SerializerTestBase<KeyMetrics> {
    KeyMetricsRecords() {
      super(FIELDS);
    }

    @Override
    protected TypeSerializer<KeyMetrics> createSerializer() {
      return FeatureSerializers.KeyMetricsSerializer.INSTANCE;
    }

    @Override
    protected int getLength() {
      return -1;
    }

    @Override
    protected Class<KeyMetrics> getTypeClass() {
      return KeyMetrics.class;
    }

    @Override
    protected KeyMetrics[] getTestData() {
      KeyMetrics m = new KeyMetrics();
      m.set = FeatureSet.CART_PRODUCT;
      m.userId = 1;
      m.userSession = "s";
      m.productId = 2;
      m.counts = new int[] {0, 1, 300, 70_000};
      m.lastEventTime = Long.MIN_VALUE;
      KeyMetrics empty = new KeyMetrics();
      empty.set = FeatureSet.values()[0];
      return new KeyMetrics[] {m, empty};
    }
  }

  @Nested
  class SessionStates extends SerializerTestBase<SessionState> {
    SessionStates() {
      super(FIELDS);
    }

    @Override
    protected TypeSerializer<SessionState> createSerializer() {
      return FeatureSerializers.SessionStateSerializer.INSTANCE;
    }

    @Override
    protected int getLength() {
      return -1;
    }

    @Override
    protected Class<SessionState> getTypeClass() {
      return SessionState.class;
    }

    @Override
    protected SessionState[] getTestData() {
      SessionState s = new SessionState();
      s.counts = new int[] {3, 2, 1, 0, 70_000};
      s.newestEventTime = -5;
      s.purchasedSinceRestart = true;
      s.userId = 7;
      s.userSession = "s-1";
      s.productId = Long.MAX_VALUE;
      SessionState withIds = new SessionState();
      withIds.seenIds = new SeenIds();
      withIds.seenIds.add("0123456789abcdeffedcba9876543210");
      withIds.seenIds.add("0".repeat(32));
      return new SessionState[] {s, withIds, new SessionState()};
    }
  }

  @Nested
  class DailyStates extends SerializerTestBase<DailyState> {
    DailyStates() {
      super(FIELDS);
    }

    @Override
    protected TypeSerializer<DailyState> createSerializer() {
      return FeatureSerializers.DailyStateSerializer.INSTANCE;
    }

    @Override
    protected int getLength() {
      return -1;
    }

    @Override
    protected Class<DailyState> getTypeClass() {
      return DailyState.class;
    }

    @Override
    protected DailyState[] getTestData() {
      DailyState d = new DailyState();
      d.base = new int[] {1, 2, 3, 4};
      d.snapshotDay = 18_000;
      d.newestEventTime = 1_570_000_000L;
      d.userId = 1;
      d.productId = 2;
      d.pendingDays = new long[] {18_000, -3};
      d.pendingCounts = new int[] {1, 1, 0, 0, 2, 0, 1, 1};
      return new DailyState[] {d, new DailyState()};
    }
  }

  /** The snapshot bytes of {@code serializer}, with the layout version set to {@code layout}. */
  static byte[] snapshotWithLayout(TypeSerializer<?> serializer, int layout) throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(128);
    TypeSerializerSnapshot.writeVersionedSnapshot(out, serializer.snapshotConfiguration());
    byte[] bytes = out.getCopyOfBuffer();
    // the layout version is the snapshot's payload: the last four bytes
    DataOutputSerializer patched = new DataOutputSerializer(bytes.length);
    patched.write(bytes, 0, bytes.length - 4);
    patched.writeInt(layout);
    return patched.getCopyOfBuffer();
  }

  static TypeSerializerSnapshot<?> read(byte[] bytes) throws IOException {
    return TypeSerializerSnapshot.readVersionedSnapshot(
        new DataInputDeserializer(bytes), StateSerializersTest.class.getClassLoader());
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  @Test
  void anotherLayoutIsIncompatibleAndItsBytesAreNeverRead() throws IOException {
    for (TypeSerializer<?> serializer : ALL) {
      TypeSerializerSnapshot current = serializer.snapshotConfiguration();
      TypeSerializerSnapshot same = read(snapshotWithLayout(serializer, 1));
      assertThat(current.resolveSchemaCompatibility(same).isCompatibleAsIs())
          .as("%s, same layout", serializer).isTrue();
      for (int layout : new int[] {0, 2}) {
        TypeSerializerSnapshot other = read(snapshotWithLayout(serializer, layout));
        assertThat(((RecordSerializerSnapshot<?>) other).isCurrentLayout()).isFalse();
        assertThat(current.resolveSchemaCompatibility(other).isIncompatible())
            .as("%s, layout %s", serializer, layout).isTrue();
        assertThatThrownBy(() -> other.restoreSerializer()
                .deserialize(new DataInputDeserializer(new byte[64])))
            .isInstanceOf(StateFormatException.class)
            .hasMessageContaining("state has layout " + layout + ", this build reads layout 1");
      }
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  @Test
  void snapshotsOfFlinksSimpleFormatAreLayoutOne() throws IOException {
    // what these serializers wrote before they recorded a layout: the class name and version 3
    for (TypeSerializer<?> serializer : ALL) {
      TypeSerializerSnapshot current = serializer.snapshotConfiguration();
      DataOutputSerializer out = new DataOutputSerializer(128);
      out.writeUTF(current.getClass().getName());
      out.writeInt(3);
      TypeSerializerSnapshot old = read(out.getCopyOfBuffer());
      assertThat(((RecordSerializerSnapshot<?>) old).layoutVersion()).isEqualTo(1);
      assertThat(current.resolveSchemaCompatibility(old).isCompatibleAsIs()).isTrue();
    }
  }

  @Test
  void unknownSnapshotVersionIsRefused() throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(128);
    out.writeUTF(FeatureSerializers.SessionStateSerializer.SessionStateSnapshot.class.getName());
    out.writeInt(99);
    out.writeInt(1);
    assertThatThrownBy(() -> read(out.getCopyOfBuffer()))
        .isInstanceOf(StateFormatException.class)
        .hasMessageContaining("SessionState state has snapshot version 99");
  }
}
