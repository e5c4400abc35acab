package io.clickstream.propensity.jobs;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.accumulators.StringifiedAccumulatorResult;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionJobVertex;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Runs a bounded job and reports progress while it runs. */
public final class JobRunner {
  private static final long PROGRESS_EVERY_SECONDS = 3;

  private JobRunner() {}

  /**
   * Executes the job and waits for it, printing a progress line to {@code progress} every few
   * seconds: while the sources run, the records read ({@code readAccumulator}) and their rate;
   * after that, which stages run. The stages are known when the job runs in this process (a local
   * environment: the job gets a MiniCluster of its own); on a cluster only the count is printed.
   */
  public static JobExecutionResult runWithProgress(
      StreamExecutionEnvironment env, String jobName, String readAccumulator, PrintStream progress)
      throws Exception {
    try (Target target = target(env)) {
      return target.run(env, jobName, readAccumulator, progress);
    }
  }

  /**
   * Where a job of {@code env} (configured as it will run) will execute. For a local environment
   * its MiniCluster starts at once, in the background: it takes seconds, which the caller can
   * spend preparing tables and the job graph. Close the target when done (it stops the cluster).
   */
  public static Target target(StreamExecutionEnvironment env) {
    return new Target(env instanceof LocalStreamEnvironment ? startLocalCluster(env) : null);
  }

  /** A started (or starting) MiniCluster, or the environment's own executor. */
  public static final class Target implements AutoCloseable {
    private final CompletableFuture<MiniCluster> cluster;

    private Target(CompletableFuture<MiniCluster> cluster) {
      this.cluster = cluster;
    }

    /** {@link JobRunner#runWithProgress}, on this target. */
    public JobExecutionResult run(StreamExecutionEnvironment env, String jobName,
        String readAccumulator, PrintStream progress) throws Exception {
      if (cluster == null) {
        return runOnExecutor(env, jobName, readAccumulator, progress);
      }
      MiniCluster started;
      try {
        started = cluster.get();
      } catch (ExecutionException e) {
        throw new IllegalStateException("the local Flink cluster did not start: "
            + rootMessage(e.getCause()), e.getCause());
      }
      return runLocally(started, env, jobName, readAccumulator, progress);
    }

    @Override
    public void close() throws Exception {
      if (cluster == null) {
        return;
      }
      MiniCluster started;
      try {
        started = cluster.get();
      } catch (ExecutionException e) {
        return; // it never ran
      }
      started.close();
    }
  }

  private static JobExecutionResult runOnExecutor(StreamExecutionEnvironment env, String jobName,
      String readAccumulator, PrintStream progress) throws Exception {
    long start = System.nanoTime();
    JobClient client = env.executeAsync(jobName);
    CompletableFuture<JobExecutionResult> result = client.getJobExecutionResult();
    while (true) {
      try {
        return result.get(PROGRESS_EVERY_SECONDS, TimeUnit.SECONDS);
      } catch (TimeoutException stillRunning) {
        printCount(client, readAccumulator, start, progress);
      } catch (ExecutionException failed) {
        Throwable cause = failed.getCause() != null ? failed.getCause() : failed;
        throw new IllegalStateException("job '" + jobName + "' failed: " + rootMessage(cause), cause);
      }
    }
  }

  /**
   * Cancels the job and waits until it has stopped. {@link JobClient#cancel()} completes once the
   * cancellation is acknowledged, while the tasks may still be closing their sinks (a Kafka writer
   * aborting its transaction, say); whatever runs next must not overlap with them.
   */
  public static void cancelAndAwait(JobClient client, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    client.cancel().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    try {
      client.getJobExecutionResult().get(
          Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (ExecutionException cancelled) {
      // the expected end of a cancelled job
    }
  }

  /** As the local executor does (one task manager with as many slots as the job needs), but with
   *  the cluster at hand to ask which stages run. */
  private static CompletableFuture<MiniCluster> startLocalCluster(StreamExecutionEnvironment env) {
    Configuration conf = Configuration.fromMap(env.getConfiguration().toMap());
    if (!conf.contains(RestOptions.BIND_PORT)) {
      conf.set(RestOptions.BIND_PORT, "0");
    }
    if (!conf.contains(HeartbeatManagerOptions.HEARTBEAT_INTERVAL)) {
      // running tasks report accumulators with their heartbeats: the count moves every 2 s, not 10
      conf.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofSeconds(2));
    }
    int slots = Math.max(env.getParallelism(), conf.get(CoreOptions.DEFAULT_PARALLELISM));
    MiniClusterConfiguration cfg = new MiniClusterConfiguration.Builder()
        .setConfiguration(conf)
        .setNumTaskManagers(1)
        .setNumSlotsPerTaskManager(Math.max(1, slots))
        .build();
    CompletableFuture<MiniCluster> started = new CompletableFuture<>();
    Thread starter = new Thread(() -> {
      MiniCluster cluster = new MiniCluster(cfg);
      try {
        cluster.start();
        started.complete(cluster);
      } catch (Throwable e) {
        try {
          cluster.close();
        } catch (Exception closing) {
          e.addSuppressed(closing);
        }
        started.completeExceptionally(e);
      }
    }, "local-flink-start");
    starter.setDaemon(true);
    starter.start();
    return started;
  }

  private static JobExecutionResult runLocally(MiniCluster cluster, StreamExecutionEnvironment env,
      String jobName, String readAccumulator, PrintStream progress) throws Exception {
    var plan = env.getStreamGraph();
    plan.setJobName(jobName);
    long start = System.currentTimeMillis();
    JobID id = cluster.submitJob(plan).get().getJobID();
    CompletableFuture<JobResult> result = cluster.requestJobResult(id);
    Progress report = new Progress(readAccumulator, start, progress);
    while (true) {
      try {
        JobResult done = result.get(PROGRESS_EVERY_SECONDS, TimeUnit.SECONDS);
        if (!done.isSuccess()) {
          Throwable cause = done.getSerializedThrowable()
              .map(t -> t.deserializeError(JobRunner.class.getClassLoader()))
              .orElse(new IllegalStateException(String.valueOf(done.getApplicationStatus())));
          throw new IllegalStateException(
              "job '" + jobName + "' failed: " + rootMessage(cause), cause);
        }
        return done.toJobExecutionResult(JobRunner.class.getClassLoader());
      } catch (TimeoutException stillRunning) {
        try {
          report.print(cluster.getExecutionGraph(id).get(5, TimeUnit.SECONDS));
        } catch (TimeoutException | ExecutionException e) {
          // progress is best effort; the result decides success
        }
      }
    }
  }

  /** Progress lines of a local run: reading with its rate, then the stages that run. */
  private static final class Progress {
    private final String readAccumulator;
    private final long start;
    private final PrintStream out;
    private boolean readingReported;

    Progress(String readAccumulator, long start, PrintStream out) {
      this.readAccumulator = readAccumulator;
      this.start = start;
      this.out = out;
    }

    void print(AccessExecutionGraph graph) {
      long now = System.currentTimeMillis();
      long read = count(graph);
      List<String> running = new ArrayList<>();
      boolean deployed = false;
      boolean sourcesRunning = false;
      long sourcesFinished = 0;
      for (AccessExecutionJobVertex v : graph.getVerticesTopologically()) {
        ExecutionState state = v.getAggregateState();
        deployed |= state == ExecutionState.RUNNING || state == ExecutionState.FINISHED;
        if (v.getName().startsWith("Source")) {
          if (state != ExecutionState.FINISHED) {
            sourcesRunning = true;
          }
          for (AccessExecutionVertex t : v.getTaskVertices()) {
            sourcesFinished = Math.max(sourcesFinished, t.getStateTimestamp(ExecutionState.FINISHED));
          }
        } else if (state == ExecutionState.RUNNING) {
          running.add(stageName(v.getName()));
        }
      }
      double secs = (now - start) / 1000.0;
      if (!deployed) {
        out.printf("  ... %3.0f s  starting%n", secs);
      } else if (sourcesRunning) {
        out.printf("  ... %3.0f s  reading input: %,d records (%,.0f/s)%n", secs, read,
            read / Math.max(secs, 0.001));
      } else {
        if (!readingReported) {
          double readSecs = Math.max(sourcesFinished - start, 1) / 1000.0;
          out.printf("  ... %3.0f s  input read: %,d records in %.1f s (%,.0f/s)%n", secs, read,
              readSecs, read / readSecs);
          readingReported = true;
        }
        out.printf("  ... %3.0f s  %s%n", secs,
            running.isEmpty() ? "finishing" : "running: " + String.join(", ", running));
      }
    }

    private long count(AccessExecutionGraph graph) {
      for (StringifiedAccumulatorResult a : graph.getAccumulatorResultsStringified()) {
        if (a.getName().equals(readAccumulator)) {
          try {
            return Long.parseLong(a.getValue());
          } catch (NumberFormatException e) {
            return 0;
          }
        }
      }
      return 0;
    }
  }

  /**
   * The first operator of a chained stage: "cart+cart_product-features", or for a sink's parts
   * ("silver.clickstream_events: Writer", "...: Sink pre-commit aggregator: ...") the table and part.
   */
  static String stageName(String vertexName) {
    String first = vertexName.split(" -> ", 2)[0];
    String[] parts = first.split(": ", 3);
    return parts.length < 2 ? first : parts[0] + " " + parts[1].toLowerCase(java.util.Locale.ROOT);
  }

  private static void printCount(JobClient client, String accumulator, long start, PrintStream out) {
    try {
      Map<String, Object> acc = client.getAccumulators().get(2, TimeUnit.SECONDS);
      Object n = acc.get(accumulator);
      double secs = (System.nanoTime() - start) / 1e9;
      if (n instanceof Number) {
        out.printf("  ... %3.0f s  %,d records read%n", secs, ((Number) n).longValue());
      } else {
        out.printf("  ... %3.0f s  running%n", secs);
      }
    } catch (Exception e) {
      // progress is best effort; the result future decides success
    }
  }

  static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }
}
