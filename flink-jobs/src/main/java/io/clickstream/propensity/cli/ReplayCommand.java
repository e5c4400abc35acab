package io.clickstream.propensity.cli;

import io.clickstream.propensity.lakehouse.Secrets;

import io.clickstream.propensity.events.EventFields;
import io.clickstream.propensity.kafka.KafkaNames;
import io.clickstream.propensity.kafka.Replay;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = {
      "Publishes a clickstream CSV file (plain or .gz) to Kafka as the streaming job reads it: JSON "
          + "events keyed by user_id, in canonical order (event time, ties in file order), each "
          + "with an ingest_ts (epoch ms at send time).",
      "Rows the CSV parser rejects are sent too, as their raw CSV line (keyed by their user_id "
          + "when it reads as a number, else no key): the streaming job lands them in its rejected "
          + "table as malformed_json.",
      "Progress goes to stderr, the summary to stdout."
    })
public final class ReplayCommand implements Callable<Integer> {
  @Option(names = {"-i", "--input"}, required = true, paramLabel = "FILE",
      description = "clickstream CSV file (plain or gzip) with a header line")
  Path input;

  @Option(names = {"-b", "--bootstrap-servers"}, required = true, paramLabel = "HOST:PORT",
      description = "Kafka bootstrap servers")
  String bootstrapServers;

  @Option(names = {"-t", "--topic"}, defaultValue = KafkaNames.EVENTS_TOPIC,
      description = "target topic (default: ${DEFAULT-VALUE})")
  String topic;

  @Option(names = "--speed", paramLabel = "X",
      description = "time compression: an event at time t is sent at start + (t - t0) / X "
          + "(default: as fast as possible)")
  Double speed;

  @Option(names = "--rate", paramLabel = "EPS",
      description = "at most EPS records per second, evenly paced (combines with --speed)")
  Double rate;

  @Option(names = "--stamp-now",
      description = "replace event_time by the send time (live traffic for latency benchmarks)")
  boolean stampNow;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "-1",
      description = "send only the first N records in canonical order")
  long limit;

  @Option(names = "--from", paramLabel = "TIME",
      description = "skip records before this event time (e.g. '2019-10-01 00:00:00 UTC' or "
          + "2019-10-01T00:00:00Z)")
  String from;

  @Option(names = "--until", paramLabel = "TIME",
      description = "skip records at or after this event time")
  String until;

  @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
      description = "producer property, repeatable (overrides --kafka-properties)")
  Map<String, String> kafkaProperty = new LinkedHashMap<>();

  @Option(names = "--kafka-properties", paramLabel = "FILE",
      description = "producer properties file (security.protocol, sasl.*, ...)")
  Path kafkaPropertiesFile;

  @Option(names = "--kafka-check-timeout", defaultValue = "15s", converter = DurationConverter.class,
      description = "At start-up, how long to wait for Kafka to answer before giving up "
          + "(default: ${DEFAULT-VALUE})")
  Duration kafkaCheckTimeout;

  @Override
  public Integer call() throws Exception {
    Replay.Options o = new Replay.Options();
    o.input = input;
    o.bootstrapServers = bootstrapServers;
    o.topic = topic;
    o.speed = speed;
    o.rate = rate;
    o.stampNow = stampNow;
    o.limit = limit;
    o.fromEpochSecond = time("--from", from);
    o.untilEpochSecond = time("--until", until);
    if (kafkaPropertiesFile != null) {
      o.kafkaProperties.putAll(Replay.readProperties(kafkaPropertiesFile));
    }
    o.kafkaProperties.putAll(kafkaProperty);
    o.kafkaProperties.replaceAll((k, v) -> CatalogOptions.resolveEnv(k, v, System::getenv));
    Secrets.remember(o.kafkaProperties);
    // no topic check: a broker that creates topics creates it with the first record
    StartupCheck.kafka(bootstrapServers, o.kafkaProperties, null, kafkaCheckTimeout);
    Replay.Summary s = new Replay(o).run(System.err);
    System.out.printf("Replayed %s to topic %s at %s%n", input, topic, bootstrapServers);
    s.print(System.out);
    return 0;
  }

  private static Long time(String option, String value) {
    if (value == null) {
      return null;
    }
    try {
      return EventFields.parseEventTime(value);
    } catch (DateTimeException e) {
      throw new IllegalArgumentException(option + ": " + e.getMessage());
    }
  }
}
