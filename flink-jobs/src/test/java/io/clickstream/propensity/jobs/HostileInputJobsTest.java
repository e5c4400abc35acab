package io.clickstream.propensity.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.events.IngestedRecord;
import io.clickstream.propensity.events.InputLimits;
import io.clickstream.propensity.events.RejectReason;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.scoring.ModelContract;
import io.clickstream.propensity.testing.EmbeddedKafka;
import io.clickstream.propensity.testing.HostileCorpus;
import io.clickstream.propensity.testing.HostileCorpus.Case;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.apache.iceberg.data.Record;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hostile-input corpus (issue 12) through both jobs on a MiniCluster with real Iceberg tables
 * (and a real Kafka broker for the stream), without restarts (a failure fails the test): every
 * record in bronze, every bad one in silver.rejected_events with its expected reason at its
 * position, the reconciliation bronze = silver + rejected + duplicates exact, and the
 * per-reason rejection metric equal to the rejected table's counts.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class HostileInputJobsTest {
  @RegisterExtension static EmbeddedKafka kafka = new EmbeddedKafka();
  // one cluster for both jobs that outlives them: a per-job MiniCluster closes its reporters (and
  // their metrics) when the job ends
  static final InMemoryReporter REPORTER = InMemoryReporter.createWithRetainedMetrics();
  static MiniCluster flink;
  @TempDir Path tmp;

  @BeforeAll
  static void startFlink() throws Exception {
    flink = new MiniCluster(new MiniClusterConfiguration.Builder()
        .setConfiguration(REPORTER.addToConfiguration(conf()).set(RestOptions.BIND_PORT, "0"))
        .setNumTaskManagers(1)
        .setNumSlotsPerTaskManager(2)
        .build());
    flink.start();
  }

  /** An environment that runs on the shared cluster (its REST endpoint, classes from this JVM). */
  static StreamExecutionEnvironment env() throws Exception {
    return StreamExecutionEnvironment.createRemoteEnvironment(
        "127.0.0.1", flink.getRestAddress().get().getPort(), conf());
  }

  @AfterAll
  static void stopFlink() throws Exception {
    if (flink != null) {
      flink.close();
    }
  }

  @Test
  void theCsvCorpusThroughTheBackfill() throws Exception {
    List<Case> cases = HostileCorpus.csvRecords();
    Path corpus = tmp.resolve("corpus.csv");
    Files.write(corpus, HostileCorpus.csvFile(cases));
    List<String> inputs = new ArrayList<>(List.of(corpus.toString()));
    List<Case> files = HostileCorpus.csvFiles();
    for (Case f : files) {
      Path p = tmp.resolve(f.id + ".csv");
      Files.write(p, f.bytes);
      inputs.add(p.toString());
    }
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh").toString());
    StreamExecutionEnvironment env = env();
    env.setRuntimeMode(org.apache.flink.api.common.RuntimeExecutionMode.BATCH); // as BackfillJob.batchEnvironment
    BackfillJob job = BackfillJob.builder().inputs(inputs).lakehouse(lakehouse)
        .ingestedAt(1_700_000_000_000L).build();
    job.prepareTables();
    job.addTo(env);
    JobExecutionResult result = env.execute("hostile-backfill");
    job.publish();
    BackfillReport report = BackfillReport.of(lakehouse, result, 0);

    // file 0: case i is line i + 2
    Map<Long, String> expected = new HashMap<>();
    for (int i = 0; i < cases.size(); i++) {
      expected.put(i + 2L, cases.get(i).expected());
    }
    List<String> fileOutcomes = files.stream().flatMap(f -> f.expect.stream()).toList();
    Map<Long, Record> rejected = new HashMap<>();
    for (Record r : BackfillJobTest.rows(lakehouse, LakehouseTable.SILVER_REJECTED)) {
      assertThat((Integer) r.getField("source_partition")).as("rejected from the CSV files: %s", r)
          .isEqualTo(0);
      rejected.put((Long) r.getField("source_offset"), r);
    }
    assertPerCase(cases, expected, rejected);
    long valid = count(expected.values(), HostileCorpus.VALID) + count(fileOutcomes, HostileCorpus.VALID);
    long duplicates = count(expected.values(), HostileCorpus.DUPLICATE);
    long bronze = cases.size() + fileOutcomes.size();
    assertThat(report.rows(LakehouseTable.BRONZE_RAW)).isEqualTo(bronze);
    assertThat(report.rows(LakehouseTable.SILVER_EVENTS)).isEqualTo(valid);
    assertThat(report.duplicatesRemoved()).isEqualTo(duplicates);
    assertThat(report.rows(LakehouseTable.SILVER_REJECTED)).isEqualTo(bronze - valid - duplicates);
    assertThat(report.reconciles()).isTrue();
    assertOversizedHeadInBronze(lakehouse, cases);
    assertThat(rejectionsByLabel(result)).isEqualTo(labels(rejected.values()));
  }

  @Test
  void theJsonCorpusThroughTheStream() throws Exception {
    List<Case> cases = HostileCorpus.jsonRecords();
    String topic = "hostile-in";
    // one partition: case i is offset i; room for the 5 MB case (rejected by the job, not the broker)
    try (var admin = kafka.admin()) {
      admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)
          .configs(Map.of("max.message.bytes", String.valueOf(8 << 20))))).all().get(30, TimeUnit.SECONDS);
    }
    Map<String, Object> producerConfig = kafka.producerConfig();
    producerConfig.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 << 20);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig)) {
      for (Case c : cases) {
        // raw bytes as they are, a tombstone as a null value
        producer.send(new ProducerRecord<>(topic, EmbeddedKafka.bytes("541312140"), c.bytes))
            .get(30, TimeUnit.SECONDS);
      }
    }
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh").toString());
    StreamingJob job = StreamingJob.builder()
        .bootstrapServers(kafka.bootstrapServers())
        .topic(topic)
        .scoresTopic(topic + "-scores")
        .groupId(topic)
        .startingOffsets("earliest")
        .bounded(true)
        .checkpointInterval(Duration.ofSeconds(1))
        .lakehouse(lakehouse)
        .model(ModelContract.load(Path.of("..", "model-artifacts")))
        .build();
    job.prepareTables();
    job.createScoresTopic();
    StreamExecutionEnvironment env = job.configure(env());
    // no record of the streaming job may fall back to Kryo (the backfill's FlinkSink passes its
    // own write results that way: BackfillJobTest checks the backfill's records instead)
    env.configure(new Configuration().set(PipelineOptions.GENERIC_TYPES, false));
    job.addTo(env);
    JobExecutionResult result = env.execute("hostile-stream");

    Map<Long, String> expected = new HashMap<>();
    for (int i = 0; i < cases.size(); i++) {
      expected.put((long) i, cases.get(i).expected());
    }
    Map<Long, Record> rejected = new HashMap<>();
    for (Record r : BackfillJobTest.rows(lakehouse, LakehouseTable.SILVER_REJECTED)) {
      rejected.put((Long) r.getField("source_offset"), r);
    }
    assertPerCase(cases, expected, rejected);
    long valid = count(expected.values(), HostileCorpus.VALID);
    long duplicates = count(expected.values(), HostileCorpus.DUPLICATE);
    long bronze = BackfillJobTest.rows(lakehouse, LakehouseTable.BRONZE_RAW).size();
    long silver = BackfillJobTest.rows(lakehouse, LakehouseTable.SILVER_EVENTS).size();
    assertThat(bronze).isEqualTo(cases.size());
    assertThat(silver).isEqualTo(valid);
    assertThat(rejected).hasSize((int) (bronze - valid - duplicates));
    assertThat(bronze).as("bronze = silver + rejected + duplicates")
        .isEqualTo(silver + rejected.size() + duplicates);
    assertOversizedHeadInBronze(lakehouse, cases);
    assertThat(rejectionsByLabel(result)).isEqualTo(labels(rejected.values()));
  }

  /** Each case rejected with its reason at its position, or not rejected at all. */
  private static void assertPerCase(List<Case> cases, Map<Long, String> expected, Map<Long, Record> rejected) {
    Map<Long, Case> byOffset = new HashMap<>();
    long first = expected.keySet().stream().mapToLong(Long::longValue).min().orElse(0);
    for (int i = 0; i < cases.size(); i++) {
      byOffset.put(first + i, cases.get(i));
    }
    for (var e : expected.entrySet()) {
      Case c = byOffset.get(e.getKey());
      Record r = rejected.get(e.getKey());
      String outcome = e.getValue();
      if (outcome.equals(HostileCorpus.VALID) || outcome.equals(HostileCorpus.DUPLICATE)) {
        assertThat(r).as("%s (%s) is not rejected", c.id, c.why).isNull();
      } else {
        assertThat(r).as("%s (%s) is rejected", c.id, c.why).isNotNull();
        assertThat(r.getField("reason")).as("%s (%s)", c.id, c.why).isEqualTo(outcome);
      }
    }
  }

  private static void assertOversizedHeadInBronze(Lakehouse lakehouse, List<Case> cases) throws Exception {
    List<Case> large = cases.stream()
        .filter(c -> c.bytes != null && c.bytes.length > InputLimits.DEFAULT_MAX_RECORD_BYTES).toList();
    assertThat(large).isNotEmpty();
    List<String> raws = BackfillJobTest.rows(lakehouse, LakehouseTable.BRONZE_RAW).stream()
        .map(r -> (String) r.getField("raw")).filter(s -> s != null && s.contains("...[truncated, "))
        .toList();
    assertThat(raws).hasSize(large.size());
    for (int i = 0; i < large.size(); i++) {
      Case c = large.get(i);
      assertThat(raws).as(c.id).anySatisfy(raw -> assertThat(raw)
          .isEqualTo(new String(c.bytes, 0, InputLimits.HEAD_BYTES, java.nio.charset.StandardCharsets.UTF_8)
              + IngestedRecord.truncationMark(c.bytes.length)));
    }
  }

  private static long count(java.util.Collection<String> outcomes, String outcome) {
    return outcomes.stream().filter(outcome::equals).count();
  }

  private static Map<String, Long> labels(java.util.Collection<Record> rejected) {
    return rejected.stream().collect(Collectors.groupingBy(
        r -> RejectReason.label((String) r.getField("reason")), TreeMap::new, Collectors.counting()));
  }

  /** The per-reason counters {@code <...>.reason.<label>.eventsRejected}, summed over subtasks. */
  private static Map<String, Long> rejectionsByLabel(JobExecutionResult result) {
    Map<String, Long> out = new TreeMap<>();
    for (Map.Entry<String, Metric> m : REPORTER.findMetrics(result.getJobID(), "eventsRejected").entrySet()) {
      String id = m.getKey();
      int at = id.indexOf(".reason.");
      if (at < 0) {
        continue;
      }
      String label = id.substring(at + ".reason.".length(), id.length() - ".eventsRejected".length());
      out.merge(label, ((Counter) m.getValue()).getCount(), Long::sum);
    }
    return out;
  }

  private static Configuration conf() {
    Configuration conf = new Configuration();
    conf.set(CoreOptions.DEFAULT_PARALLELISM, 2);
    // any failure, input-caused or not, fails the job and the test: nothing may restart
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    return conf;
  }
}
