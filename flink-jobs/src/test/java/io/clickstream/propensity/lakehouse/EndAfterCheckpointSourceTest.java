package io.clickstream.propensity.lakehouse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/**
 * The wrapped bounded source ends only after a checkpoint completed: a stateless operator in a
 * task of its own (as Iceberg's pre-commit aggregator) has seen a checkpoint barrier before its
 * {@code finish()}, even for an input that ends within milliseconds while the first checkpoint
 * comes after 200 ms. Without the wrapper the probe finishes having seen none.
 */
class EndAfterCheckpointSourceTest {
  /** Per probe subtask: the last checkpoint id it had seen when it finished, and what it saw. */
  static final ConcurrentLinkedQueue<long[]> FINISHED = new ConcurrentLinkedQueue<>();

  @Test
  void aStatelessTaskHasSeenACheckpointWhenTheInputEnds() throws Exception {
    FINISHED.clear();
    Configuration conf = new Configuration();
    conf.set(CoreOptions.DEFAULT_PARALLELISM, 2);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.enableCheckpointing(200);
    var numbers = new NumberSequenceSource(1, 10);
    env.fromSource(new EndAfterCheckpointSource<>(numbers, Types.LONG),
            WatermarkStrategy.noWatermarks(), "numbers")
        .rebalance()
        .transform("probe", Types.LONG, new Probe())
        .sinkTo(new DiscardingSink<>());
    env.execute("end-after-checkpoint");

    assertThat(FINISHED).hasSize(2);
    for (long[] f : FINISHED) {
      assertThat(f[0]).as("last checkpoint seen before finish()").isPositive();
    }
    assertThat(FINISHED.stream().mapToLong(f -> f[1]).sum()).as("records through the probes")
        .isEqualTo(10);
  }

  @Test
  void anUnboundedSourceIsRefused() {
    KafkaSource<String> unbounded = KafkaSource.<String>builder()
        .setBootstrapServers("127.0.0.1:1").setTopics("t").setGroupId("g")
        .setDeserializer(KafkaRecordDeserializationSchema.valueOnly(StringDeserializer.class))
        .build();
    assertThatThrownBy(() -> new EndAfterCheckpointSource<>(unbounded, Types.STRING))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("only a bounded source");
  }

  /** Records the last checkpoint barrier it saw before {@code finish()}; keeps no state. */
  static final class Probe extends AbstractStreamOperator<Long>
      implements OneInputStreamOperator<Long, Long> {
    private long lastCheckpoint;
    private long records;

    @Override
    public void processElement(StreamRecord<Long> element) {
      records++;
      output.collect(element);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
      super.prepareSnapshotPreBarrier(checkpointId);
      lastCheckpoint = checkpointId;
    }

    @Override
    public void finish() throws Exception {
      FINISHED.add(new long[] {lastCheckpoint, records});
      super.finish();
    }
  }
}
