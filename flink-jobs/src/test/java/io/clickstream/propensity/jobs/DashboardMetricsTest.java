package io.clickstream.propensity.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clickstream.propensity.events.RejectReason;
import io.clickstream.propensity.events.synthetic.ClickstreamGenerator;
import io.clickstream.propensity.kafka.Replay;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.scoring.Action;
import io.clickstream.propensity.scoring.ModelContract;
import io.clickstream.propensity.testing.EmbeddedKafka;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Grafana dashboard of {@code k8s/} queries only metrics the streaming job exports: the job runs
 * in a MiniCluster with Flink's real Prometheus reporter, reading a Kafka topic with valid and
 * malformed events, and every metric name in the dashboard's queries must appear in the reporter's
 * scrape, with the labels the dashboard groups by.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DashboardMetricsTest {
  static final Pattern METRIC = Pattern.compile("\\bflink_[A-Za-z0-9_:]+");
  static final Pattern BY = Pattern.compile("by \\(([^)]*)\\)");
  static final Duration SCRAPE_TIMEOUT = Duration.ofSeconds(120);

  @TempDir Path tmp;

  static Path repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("k8s/base"))) {
        return p;
      }
    }
    throw new IllegalStateException("no k8s/base above the working directory");
  }

  /** Metric name -> the labels the dashboard groups or filters by. */
  static Map<String, Set<String>> queried(JsonNode dashboard) {
    Map<String, Set<String>> out = new TreeMap<>();
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asText();
        Set<String> labels = new TreeSet<>();
        Matcher by = BY.matcher(expr);
        while (by.find()) {
          for (String l : by.group(1).split(",")) {
            labels.add(l.trim());
          }
        }
        Matcher m = METRIC.matcher(expr);
        while (m.find()) {
          out.computeIfAbsent(m.group(), k -> new TreeSet<>()).addAll(labels);
          int brace = m.end();
          if (brace < expr.length() && expr.charAt(brace) == '{') {
            Matcher sel = Pattern.compile("([a-z_]+)\\s*=~?\"").matcher(expr.substring(brace, expr.indexOf('}', brace)));
            while (sel.find()) {
              out.get(m.group()).add(sel.group(1));
            }
          }
        }
      }
    }
    return out;
  }

  /** Prometheus text format: metric name -> label name -> values seen. */
  static Map<String, Map<String, Set<String>>> parse(String scrape) {
    Map<String, Map<String, Set<String>>> out = new TreeMap<>();
    Pattern label = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
    for (String line : scrape.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.indexOf(' ');
      String name = line.substring(0, brace >= 0 && brace < space ? brace : space);
      Map<String, Set<String>> labels = out.computeIfAbsent(name, k -> new TreeMap<>());
      if (brace >= 0 && brace < space) {
        Matcher m = label.matcher(line.substring(brace, line.lastIndexOf('}') + 1));
        while (m.find()) {
          labels.computeIfAbsent(m.group(1), k -> new TreeSet<>()).add(m.group(2));
        }
      }
    }
    return out;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void dashboardQueriesExtractTheMetricNames() throws IOException {
    JsonNode dashboard = new ObjectMapper().readTree(
        repoRoot().resolve("k8s/base/dashboards/clickstream-propensity.json").toFile());
    Map<String, Set<String>> q = queried(dashboard);
    // one per requirement: events in, rejected by reason, late, scored, by action, latency,
    // checkpoint duration and size, consumer lag
    assertThat(q).containsKeys(
        "flink_taskmanager_job_task_operator_eventsIn",
        "flink_taskmanager_job_task_operator_reason_eventsRejected",
        "flink_taskmanager_job_task_operator_lateEventsScored",
        "flink_taskmanager_job_task_operator_eventsScored",
        "flink_taskmanager_job_task_operator_action_eventsScored",
        "flink_taskmanager_job_task_operator_ingestToScoreLatencyMs",
        "flink_jobmanager_job_lastCheckpointDuration",
        "flink_jobmanager_job_lastCheckpointSize",
        "flink_taskmanager_job_task_operator_pendingRecords");
    assertThat(q.get("flink_taskmanager_job_task_operator_reason_eventsRejected")).contains("reason");
    assertThat(q.get("flink_taskmanager_job_task_operator_ingestToScoreLatencyMs")).contains("quantile");
  }

  @Test
  void everyMetricTheDashboardQueriesIsExportedByTheRunningJob() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(
        repoRoot().resolve("k8s/base/dashboards/clickstream-propensity.json").toFile());
    Map<String, Set<String>> queried = queried(dashboard);

    Path csv = tmp.resolve("events.csv");
    ClickstreamGenerator.builder().events(400).seed(13).start(Instant.parse("2020-10-01T00:00:00Z"))
        .days(1).malformedShare(0.05).build().writeTo(csv);
    int port = freePort();
    Configuration conf = new Configuration();
    conf.set(CoreOptions.DEFAULT_PARALLELISM, 1);
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    conf.setString("execution.checkpointing.dir", tmp.resolve("checkpoints").toUri().toString());
    conf.setString("metrics.reporter.prom.factory.class",
        "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
    conf.setString("metrics.reporter.prom.port", Integer.toString(port));

    try (EmbeddedKafka kafka = new EmbeddedKafka().start()) {
      kafka.createTopic("dash-in", 1);
      Replay.Options o = new Replay.Options();
      o.input = csv;
      o.bootstrapServers = kafka.bootstrapServers();
      o.topic = "dash-in";
      o.stampNow = true;
      new Replay(o).run(new PrintStream(OutputStream.nullOutputStream()));

      StreamingJob stream = StreamingJob.builder()
          .bootstrapServers(kafka.bootstrapServers())
          .topic("dash-in")
          .scoresTopic("dash-scores")
          .groupId("dash")
          .startingOffsets("earliest")
          .bounded(false)
          .checkpointInterval(Duration.ofSeconds(1))
          .lakehouse(Lakehouse.at(tmp.resolve("warehouse").toString()))
          .model(ModelContract.load(repoRoot().resolve("model-artifacts")))
          .build();
      stream.prepareTables();
      stream.createScoresTopic();
      StreamExecutionEnvironment env = stream.environment(conf);
      stream.addTo(env);
      JobClient job = env.executeAsync("dashboard-metrics");
      Map<String, Map<String, Set<String>>> exported;
      try {
        exported = scrapeUntilExported(port, queried.keySet(), job);
      } finally {
        job.cancel().get(60, TimeUnit.SECONDS);
      }

      Set<String> missing = new TreeSet<>(queried.keySet());
      missing.removeAll(exported.keySet());
      assertThat(missing).as("dashboard metrics the job does not export (exported: %s)",
          exported.keySet().stream().filter(n -> n.startsWith("flink_taskmanager_job_task_operator_")
              || n.startsWith("flink_jobmanager_job_")).toList()).isEmpty();
      queried.forEach((name, labels) -> assertThat(exported.get(name).keySet())
          .as("labels of %s", name).containsAll(labels));
      // the label values are the job's own: reason labels without the field, actions' wire names
      Set<String> actions = new TreeSet<>();
      for (Action a : Action.values()) {
        actions.add(a.wireName());
      }
      assertThat(exported.get("flink_taskmanager_job_task_operator_action_eventsScored").get("action"))
          .isEqualTo(actions);
      assertThat(exported.get("flink_taskmanager_job_task_operator_reason_eventsRejected").get("reason"))
          .isNotEmpty().isSubsetOf(reasonLabels());
    }
  }

  /** Every reason label the job can produce: the constants and the field reasons without their field. */
  static Set<String> reasonLabels() throws IllegalAccessException {
    Set<String> out = new TreeSet<>();
    for (Field f : RejectReason.class.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        f.setAccessible(true);
        out.add(RejectReason.label((String) f.get(null)));
      }
    }
    out.remove("");
    return out;
  }

  /**
   * Scrapes the reporter until every queried name is exported (metrics appear when first used: a
   * reason's counter at its first rejection, the source's lag at its first fetch) or the timeout,
   * the job's failure, whichever comes first; returns the last scrape.
   */
  static Map<String, Map<String, Set<String>>> scrapeUntilExported(int port, Set<String> names, JobClient job)
      throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(10)).build();
    long deadline = System.nanoTime() + SCRAPE_TIMEOUT.toNanos();
    Map<String, Map<String, Set<String>>> last = new HashMap<>();
    while (System.nanoTime() < deadline) {
      if (job.getJobStatus().get().isGloballyTerminalState()) {
        job.getJobExecutionResult().get(); // rethrows the job's failure
        throw new AssertionError("the streaming job ended");
      }
      try {
        last = parse(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
      } catch (IOException e) {
        // reporter not listening yet
      }
      if (last.keySet().containsAll(names)
          && !last.get("flink_taskmanager_job_task_operator_action_eventsScored").isEmpty()) {
        return last;
      }
      Set<String> missing = new TreeSet<>(names);
      missing.removeAll(last.keySet());
      Thread.sleep(250);
    }
    return last;
  }
}
