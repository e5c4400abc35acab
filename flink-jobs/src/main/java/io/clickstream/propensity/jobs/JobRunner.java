package io.clickstream.propensity.jobs;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Runs a bounded job and reports progress (an accumulator's count) while it runs. */
public final class JobRunner {
  private JobRunner() {}

  /**
   * Executes the job and waits for it, printing "{@code label}: N records (X/s)" to {@code progress}
   * every few seconds while it runs.
   */
  public static JobExecutionResult runWithProgress(
      StreamExecutionEnvironment env, String jobName, String accumulator, PrintStream progress)
      throws Exception {
    long start = System.nanoTime();
    JobClient client = env.executeAsync(jobName);
    CompletableFuture<JobExecutionResult> result = client.getJobExecutionResult();
    while (true) {
      try {
        return result.get(3, TimeUnit.SECONDS);
      } catch (TimeoutException stillRunning) {
        printProgress(client, accumulator, start, progress);
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

  private static void printProgress(JobClient client, String accumulator, long start, PrintStream out) {
    try {
      Map<String, Object> acc = client.getAccumulators().get(2, TimeUnit.SECONDS);
      Object n = acc.get(accumulator);
      double secs = (System.nanoTime() - start) / 1e9;
      if (n instanceof Number) {
        long count = ((Number) n).longValue();
        out.printf("  ... %,d records read, %.0f s (%,.0f/s)%n", count, secs, count / secs);
      } else {
        out.printf("  ... running, %.0f s%n", secs);
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
