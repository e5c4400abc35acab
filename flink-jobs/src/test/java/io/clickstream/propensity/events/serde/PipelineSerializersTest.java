package io.clickstream.propensity.events.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventIds;
import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.events.IngestedRecord;
import java.io.IOException;
import java.math.BigDecimal;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** Every field survives the compact layout, including nulls and extreme values. */
class PipelineSerializersTest {

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
  void clickEventKeepsEveryField() throws IOException {
    ClickEvent e = event();
    assertThat(roundTrip(PipelineSerializers.ClickEventSerializer.INSTANCE, e)).isEqualTo(e);
  }

  @Test
  void nullsNegativesAndExtremesSurvive() throws IOException {
    ClickEvent e = event();
    e.categoryId = null;
    e.categoryCode = null;
    e.brand = null;
    e.eventTime = -86_400L; // before 1970
    e.productId = Long.MAX_VALUE;
    e.userId = Long.MIN_VALUE;
    e.sourceOffset = -1;
    e.price = new BigDecimal("-0.000001");
    e.eventId = "not-a-hex-id";
    assertThat(roundTrip(PipelineSerializers.ClickEventSerializer.INSTANCE, e)).isEqualTo(e);
    e.eventId = "ABCDEF0123456789ABCDEF0123456789"; // upper case is text, not the 16-byte form
    assertThat(roundTrip(PipelineSerializers.ClickEventSerializer.INSTANCE, e).eventId)
        .isEqualTo(e.eventId);
    e.eventId = "0123456789abcdef0123456789abcdeg"; // the last character is not hex
    assertThat(roundTrip(PipelineSerializers.ClickEventSerializer.INSTANCE, e).eventId)
        .isEqualTo(e.eventId);
    e.eventId = null;
    e.price = null;
    assertThat(roundTrip(PipelineSerializers.ClickEventSerializer.INSTANCE, e)).isEqualTo(e);
  }

  @Test
  void ingestedRecordWithAndWithoutEvent() throws IOException {
    IngestedRecord r = new IngestedRecord();
    r.source = "file:/data/2019-Oct.csv.gz";
    r.sourceOrder = 0;
    r.sourceOffset = 2;
    r.raw = "2019-10-01 00:00:00 UTC,view,...";
    r.ingestedAt = 1_795_600_000_000L;
    r.event = event();
    IngestedRecord back = roundTrip(PipelineSerializers.IngestedRecordSerializer.INSTANCE, r);
    assertThat(back).usingRecursiveComparison().isEqualTo(r);
    r.event = null;
    r.reason = "bad_event_time";
    r.detail = "not a time";
    back = roundTrip(PipelineSerializers.IngestedRecordSerializer.INSTANCE, r);
    assertThat(back).usingRecursiveComparison().isEqualTo(r);
  }

  @Test
  void stringsOfAnyCharactersSurviveAndLatin1OnesAreBytes() throws IOException {
    TypeSerializer<String> keys = PipelineSerializers.StringKeySerializer.INSTANCE;
    for (String s : new String[] {"", "a", "520088904\u001f4d3b30da-a5e4-49df-b1a8-ba5943f1dd33",
        "caf\u00e9 \u00ff", "\u65e5\u672c", "lone \ud800 surrogate", "x".repeat(70_000)}) {
      assertThat(roundTrip(keys, s)).isEqualTo(s);
    }
    DataOutputSerializer ids = new DataOutputSerializer(32);
    RecordSerializer.writeEventId(EventIds.of(event()), ids);
    assertThat(RecordSerializer.readEventId(new DataInputDeserializer(ids.getCopyOfBuffer())))
        .isEqualTo(EventIds.of(event()));
    // a 36-character session id: one length byte and its bytes
    DataOutputSerializer out = new DataOutputSerializer(64);
    keys.serialize("4d3b30da-a5e4-49df-b1a8-ba5943f1dd33", out);
    assertThat(out.length()).isEqualTo(37);
    ClickEvent e = event();
    e.brand = null;
    e.userSession = "\u65e5\u672c \ud800";
    assertThat(roundTrip(PipelineSerializers.ClickEventSerializer.INSTANCE, e)).isEqualTo(e);
  }

  /**
   * The variable-length numbers keep their LEB128 zig-zag bytes (checkpoints and savepoints hold
   * them), whatever calls write them: compared with a byte-at-a-time reference encoder.
   */
  @Test
  void variableLengthNumbersKeepTheirLayout() throws IOException {
    java.util.Random random = new java.util.Random(7);
    java.util.List<Long> values = new java.util.ArrayList<>(java.util.List.of(0L, 1L, -1L, 63L,
        64L, -64L, -65L, Long.MAX_VALUE, Long.MIN_VALUE, (long) Integer.MAX_VALUE,
        (long) Integer.MIN_VALUE));
    for (int bits = 1; bits <= 64; bits++) {
      long v = bits == 64 ? random.nextLong() : random.nextLong() >>> (64 - bits);
      values.add(v);
      values.add(-v);
      values.add((1L << (bits - 1)) - 1);
      values.add(1L << (bits - 1));
    }
    for (long v : values) {
      DataOutputSerializer out = new DataOutputSerializer(16);
      RecordSerializer.writeVarLong(v, out);
      assertThat(out.getCopyOfBuffer()).as("bytes of %d", v).isEqualTo(leb128(v));
      assertThat(RecordSerializer.readVarLong(new DataInputDeserializer(out.getCopyOfBuffer())))
          .isEqualTo(v);
    }
    int[] ints = {0, 1, -1, 63, 64, 300, -300, Integer.MAX_VALUE, Integer.MIN_VALUE, 1 << 30};
    DataOutputSerializer out = new DataOutputSerializer(64);
    RecordSerializer.writeInts(ints, out);
    java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
    expected.writeBytes(leb128(ints.length));
    for (int x : ints) {
      expected.writeBytes(leb128(x));
    }
    assertThat(out.getCopyOfBuffer()).isEqualTo(expected.toByteArray());
    assertThat(RecordSerializer.readInts(new DataInputDeserializer(out.getCopyOfBuffer())))
        .containsExactly(ints);
  }

  /** Decimals keep their bytes (presence, scale, BigInteger.toByteArray) and read back equal. */
  @Test
  void decimalsKeepTheirLayout() throws IOException {
    java.util.Random random = new java.util.Random(11);
    java.util.List<BigDecimal> values = new java.util.ArrayList<>(java.util.List.of(
        BigDecimal.ZERO, new BigDecimal("0.000"), new BigDecimal("489.07"),
        new BigDecimal("-0.000001"), new BigDecimal("1E+3"), new BigDecimal("127"),
        new BigDecimal("128"), new BigDecimal("-128"), new BigDecimal("-129"),
        BigDecimal.valueOf(Long.MAX_VALUE, 2), BigDecimal.valueOf(Long.MIN_VALUE, 2),
        new BigDecimal(java.math.BigInteger.ONE.shiftLeft(63), 4),
        new BigDecimal(java.math.BigInteger.ONE.shiftLeft(63).negate().subtract(java.math.BigInteger.ONE), 1),
        new BigDecimal("123456789012345678901234567890.123456789"),
        new BigDecimal("-98765432109876543210.5")));
    for (int bits = 1; bits <= 63; bits++) {
      long v = random.nextLong() >>> (64 - bits);
      values.add(BigDecimal.valueOf(v, random.nextInt(200) - 100));
      values.add(BigDecimal.valueOf(-v, random.nextInt(10)));
    }
    for (BigDecimal d : values) {
      DataOutputSerializer out = new DataOutputSerializer(32);
      RecordSerializer.writeDecimal(d, out);
      java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
      byte[] unscaled = d.unscaledValue().toByteArray();
      expected.write(1);
      expected.writeBytes(leb128(d.scale()));
      expected.writeBytes(leb128(unscaled.length));
      expected.writeBytes(unscaled);
      assertThat(out.getCopyOfBuffer()).as("bytes of %s", d).isEqualTo(expected.toByteArray());
      assertThat(RecordSerializer.readDecimal(new DataInputDeserializer(out.getCopyOfBuffer())))
          .as("%s read back", d).isEqualTo(d);
    }
    DataOutputSerializer out = new DataOutputSerializer(4);
    RecordSerializer.writeDecimal(null, out);
    assertThat(out.getCopyOfBuffer()).containsExactly(0);
    assertThat(RecordSerializer.readDecimal(new DataInputDeserializer(out.getCopyOfBuffer()))).isNull();
  }

  private static byte[] leb128(long v) {
    long z = (v << 1) ^ (v >> 63);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    while ((z & ~0x7FL) != 0) {
      bytes.write((int) ((z & 0x7F) | 0x80));
      z >>>= 7;
    }
    bytes.write((int) z);
    return bytes.toByteArray();
  }
}
