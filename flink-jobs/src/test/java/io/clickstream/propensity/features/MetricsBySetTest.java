package io.clickstream.propensity.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.flink.util.OutputTag;
import org.junit.jupiter.api.Test;

class MetricsBySetTest {
  static final OutputTag<KeyMetrics> CART = TestEvents.rowsTag(FeatureSet.CART);
  static final OutputTag<KeyMetrics> USER = TestEvents.rowsTag(FeatureSet.USER);

  @Test
  void eachRowGoesToItsSetsOutputInOrderAndNothingToTheMainOutput() throws Exception {
    try (OneInputStreamOperatorTestHarness<KeyMetrics, KeyMetrics> h =
        ProcessFunctionTestHarnesses.forProcessFunction(
            new MetricsBySet(Map.of(FeatureSet.CART, CART, FeatureSet.USER, USER)))) {
      for (KeyMetrics row : List.of(row(FeatureSet.USER, 1), row(FeatureSet.CART, 2),
          row(FeatureSet.USER, 3), row(FeatureSet.CART, 4))) {
        h.processElement(new StreamRecord<>(row));
      }
      assertThat(users(h, CART)).containsExactly(2L, 4L);
      assertThat(users(h, USER)).containsExactly(1L, 3L);
      assertThat(h.extractOutputValues()).isEmpty();
    }
  }

  @Test
  void aRowOfASetWithoutOutputFailsNamingTheSet() throws Exception {
    try (OneInputStreamOperatorTestHarness<KeyMetrics, KeyMetrics> h =
        ProcessFunctionTestHarnesses.forProcessFunction(
            new MetricsBySet(Map.of(FeatureSet.CART, CART)))) {
      assertThatThrownBy(() -> h.processElement(new StreamRecord<>(row(FeatureSet.PRODUCT, 1))))
          .hasMessageContaining("set PRODUCT");
    }
    assertThatThrownBy(() -> new MetricsBySet(Map.of())).hasMessageContaining("no set");
  }

  private static KeyMetrics row(FeatureSet set, long userId) {
    return KeyMetrics.of(set, userId, "s", 7, new int[FeatureRules.COUNTS_PER_SET], 0);
  }

  private static List<Long> users(OneInputStreamOperatorTestHarness<KeyMetrics, KeyMetrics> h,
      OutputTag<KeyMetrics> tag) {
    return h.getSideOutput(tag).stream().map(r -> r.getValue().userId).collect(Collectors.toList());
  }
}
