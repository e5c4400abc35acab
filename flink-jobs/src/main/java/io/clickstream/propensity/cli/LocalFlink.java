package io.clickstream.propensity.cli;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;

/** Flink configuration for the embedded runs (ignored by a real cluster's own settings). */
final class LocalFlink {
  private LocalFlink() {}

  static Configuration configuration(int parallelism) {
    Configuration conf = new Configuration();
    if (parallelism > 0) {
      conf.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
    }
    // Hadoop's shutdown hook otherwise warns about a closed class loader at exit
    conf.setString("classloader.check-leaked-classloader", "false");
    // BATCH shuffles sort in managed memory: with the local default (128 MB) the backfill's
    // sorts spill to disk. A real cluster uses its own setting.
    conf.setString("taskmanager.memory.managed.size", "1g");
    return conf;
  }

  static int defaultParallelism() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }
}
