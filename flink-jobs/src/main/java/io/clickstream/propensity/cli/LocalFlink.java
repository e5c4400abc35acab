package io.clickstream.propensity.cli;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;

/** Flink configuration of the commands: embedded runs, or a job submitted with `flink run`. */
final class LocalFlink {
  private LocalFlink() {}

  static Configuration configuration(int parallelism) {
    Configuration conf = new Configuration();
    if (parallelism > 0) {
      conf.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
    }
    // Hadoop's shutdown hook and the AWS/HTTP clients of a catalog keep a finished job's class
    // loader in static caches; with the check on, the next job in this JVM fails on it
    conf.setString("classloader.check-leaked-classloader", "false");
    // BATCH shuffles sort in managed memory (off-heap, on top of the JVM heap): with the local
    // default (128 MB) the backfill's sorts spill to disk often; with 512 MB a 1M-event backfill
    // used no more CPU than with 1 GB, which added its size to the peak RSS. A real cluster uses
    // its own setting.
    conf.setString("taskmanager.memory.managed.size", "512m");
    return conf;
  }

  /** {@link #configuration} for the local streaming job. */
  static Configuration streamingConfiguration(int parallelism) {
    Configuration conf = configuration(parallelism);
    // Each channel between two tasks holds network buffers: a streaming job with table maintenance
    // has many more tasks than the local default (64 MB) serves, and would run short of buffers.
    // Only here: the pool is allocated whole at start, and BATCH jobs need no more than the default.
    conf.setString("taskmanager.memory.network.min", "256m");
    conf.setString("taskmanager.memory.network.max", "256m");
    return conf;
  }

  /** {@link #jobConfiguration} of the streaming job. */
  static Configuration streamingJobConfiguration(int parallelism) {
    return ClickstreamCli.submittedToFlink()
        ? jobConfiguration(parallelism)
        : streamingConfiguration(parallelism > 0 ? parallelism : defaultParallelism());
  }

  /**
   * The job's own configuration: the embedded settings above when run locally (parallelism 0 = the
   * machine's cores); under {@code flink run} only an explicit parallelism, the rest is the
   * cluster's.
   */
  static Configuration jobConfiguration(int parallelism) {
    if (ClickstreamCli.submittedToFlink()) {
      Configuration conf = new Configuration();
      if (parallelism > 0) {
        conf.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
      }
      return conf;
    }
    return configuration(parallelism > 0 ? parallelism : defaultParallelism());
  }

  static int defaultParallelism() {
    return Math.max(1, Runtime.getRuntime().availableProcessors());
  }
}
