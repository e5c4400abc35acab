package io.clickstream.propensity.kafka;

/** The default Kafka names of the project, defined once for the jobs, the commands and the tools. */
public final class KafkaNames {
  private KafkaNames() {}

  /** Topic of the clickstream events (JSON, keyed by user_id). */
  public static final String EVENTS_TOPIC = "clickstream-events";

  /** Topic of the scores (JSON). */
  public static final String SCORES_TOPIC = "propensity-scores";

  /** Consumer group of the streaming job. */
  public static final String CONSUMER_GROUP = "clickstream-propensity";
}
