package io.clickstream.propensity.features;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.events.EventIds;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The cart's set of event ids seen (streaming deduplication). */
class SeenIdsTest {

  @Test
  void addsEachIdOnceThroughManyGrowths() {
    Random rnd = new Random(5);
    SeenIds ids = new SeenIds();
    Set<String> expected = new HashSet<>();
    String[] pool = new String[4_000];
    for (int i = 0; i < pool.length; i++) {
      pool[i] = String.format("%016x%016x", rnd.nextLong(), rnd.nextLong());
    }
    for (int i = 0; i < 5_000; i++) {
      // ids repeat: drawn from a smaller pool
      String id = pool[rnd.nextInt(pool.length)];
      assertThat(ids.add(id)).as("add %s", id).isEqualTo(expected.add(id));
    }
    assertThat(ids.size()).isEqualTo(expected.size()).isLessThan(5_000);
    SeenIds restored = SeenIds.of(ids.pairs());
    for (String id : expected) {
      assertThat(restored.add(id)).as("restored set has %s", id).isFalse();
    }
    assertThat(restored.size()).isEqualTo(expected.size());
    assertThat(restored).isEqualTo(ids).hasSameHashCodeAs(ids);
    restored.add("ffffffffffffffffffffffffffffffff");
    assertThat(restored).isNotEqualTo(ids);
  }

  @Test
  void theAllZeroIdAndIdsThatAreNotHexAreKeptToo() {
    SeenIds ids = new SeenIds();
    String zero = "0".repeat(32);
    assertThat(ids.add(zero)).isTrue();
    assertThat(ids.add(zero)).isFalse();
    assertThat(ids.add("not-an-event-id")).isTrue();
    assertThat(ids.add("not-an-event-id")).isFalse();
    assertThat(ids.add("NOT-an-event-id")).isTrue();
    assertThat(ids.size()).isEqualTo(3);
    assertThat(SeenIds.of(ids.pairs()).size()).isEqualTo(3);
    assertThat(SeenIds.of(ids.pairs()).add(zero)).isFalse();
  }

  @Test
  void anIdIsItsHex128Bits() {
    String id = "0123456789abcdeffedcba9876543210";
    assertThat(EventIds.high(id)).isEqualTo(0x0123456789abcdefL);
    assertThat(EventIds.low(id)).isEqualTo(0xfedcba9876543210L);
  }

  @Test
  void aCopyIsIndependent() {
    SeenIds ids = new SeenIds();
    ids.add("0123456789abcdeffedcba9876543210");
    SeenIds copy = ids.copy();
    assertThat(copy.add("1123456789abcdeffedcba9876543210")).isTrue();
    assertThat(ids.size()).isEqualTo(1);
    assertThat(copy.size()).isEqualTo(2);
  }
}
