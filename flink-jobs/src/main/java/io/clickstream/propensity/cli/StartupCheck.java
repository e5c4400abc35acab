package io.clickstream.propensity.cli;

import io.clickstream.propensity.jobs.StartupChecks;
import io.clickstream.propensity.lakehouse.CatalogConfig;
import java.time.Duration;
import java.util.Map;

/**
 * The commands' start-up checks ({@link StartupChecks}), each failing with one line that names the
 * option to change. They run before anything starts, so a bad setting costs seconds, not a job.
 */
final class StartupCheck {
  private StartupCheck() {}

  /** A local directory the command writes to can be written; other URIs are not checked. */
  static void writableDirectory(String option, String location, String what) {
    try {
      StartupChecks.writableDirectory(location, what);
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException(option + " " + location + ": " + e.getMessage(), e);
    }
  }

  /** The warehouse of a Hadoop catalog, when it is a local directory. */
  static void writableWarehouse(CatalogOptions options) {
    CatalogConfig catalog = options.config();
    if (catalog.isLocalHadoop()) {
      try {
        StartupChecks.writableDirectory(catalog.warehouse(), "warehouse directory");
      } catch (IllegalStateException e) {
        String source = options.warehouse != null ? "--warehouse " + options.warehouse
            : options.properties.isEmpty() && options.file == null
                ? "--warehouse (default " + catalog.warehouse() + ")"
                : "catalog property warehouse";
        throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
      }
    }
  }

  /** Kafka answers within {@code timeout} and holds {@code topic} (when not null). */
  static void kafka(String servers, Map<String, String> clientProperties, String topic,
      Duration timeout) {
    try {
      StartupChecks.kafkaReachable(servers, clientProperties, timeout);
    } catch (IllegalStateException e) {
      throw new IllegalStateException(e.getMessage() + " (--bootstrap-servers, --kafka-property, "
          + "--kafka-properties; --kafka-check-timeout waits longer)", e);
    }
    if (topic != null) {
      try {
        StartupChecks.topicExists(servers, clientProperties, topic, timeout);
      } catch (IllegalStateException e) {
        throw new IllegalStateException(e.getMessage() + " (--topic)", e);
      }
    }
  }
}
