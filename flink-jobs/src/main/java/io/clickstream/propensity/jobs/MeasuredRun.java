package io.clickstream.propensity.jobs;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionJobVertex;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * Runs a job on a MiniCluster of its own and keeps what a benchmark reports: wall time, the wall
 * time of each stage (job vertex, from its tasks' RUNNING to FINISHED timestamps) and peak memory.
 */
public final class MeasuredRun {
  /** One stage: a job vertex (its chained operators) and its wall time. */
  public static final class Stage {
    public final String name;
    public final int parallelism;
    public final long millis;
    /** When its first subtask started running, from the job's submission. */
    public final long startMillis;

    Stage(String name, int parallelism, long millis, long startMillis) {
      this.name = name;
      this.parallelism = parallelism;
      this.millis = millis;
      this.startMillis = startMillis;
    }
  }

  public final JobExecutionResult result;
  public final long wallMillis;
  public final List<Stage> stages;

  private MeasuredRun(JobExecutionResult result, long wallMillis, List<Stage> stages) {
    this.result = result;
    this.wallMillis = wallMillis;
    this.stages = stages;
  }

  public static MeasuredRun run(StreamExecutionEnvironment env, Configuration conf, int slots,
      String jobName) throws Exception {
    MiniClusterConfiguration cfg = new MiniClusterConfiguration.Builder()
        .setConfiguration(conf)
        .setNumTaskManagers(1)
        .setNumSlotsPerTaskManager(slots)
        .build();
    try (MiniCluster cluster = new MiniCluster(cfg)) {
      cluster.start();
      long start = System.currentTimeMillis();
      var plan = env.getStreamGraph();
      plan.setJobName(jobName);
      JobID id = cluster.submitJob(plan).get().getJobID();
      JobResult jobResult = cluster.requestJobResult(id).get();
      long wall = System.currentTimeMillis() - start;
      JobExecutionResult result =
          jobResult.toJobExecutionResult(MeasuredRun.class.getClassLoader());
      AccessExecutionGraph graph = cluster.getArchivedExecutionGraph(id).get();
      List<Stage> stages = new ArrayList<>();
      for (AccessExecutionJobVertex v : graph.getVerticesTopologically()) {
        long first = Long.MAX_VALUE;
        long last = 0;
        for (AccessExecutionVertex t : v.getTaskVertices()) {
          long running = t.getStateTimestamp(ExecutionState.RUNNING);
          long finished = t.getStateTimestamp(ExecutionState.FINISHED);
          if (running > 0) {
            first = Math.min(first, running);
          }
          last = Math.max(last, finished);
        }
        boolean ran = first != Long.MAX_VALUE;
        stages.add(new Stage(v.getName(), v.getParallelism(), ran ? last - first : 0,
            ran ? first - start : 0));
      }
      return new MeasuredRun(result, wall, stages);
    }
  }

  public void printStages(PrintStream out) {
    out.println("Wall time per stage (job vertex, chained operators), from when its first subtask"
        + " started, seconds after submission:");
    for (Stage s : stages) {
      if (s.millis >= 50) {
        String name = s.name.length() > 90 ? s.name.substring(0, 87) + "..." : s.name;
        out.printf("  %7.1f s  from %5.1f s  x%d  %s%n", s.millis / 1000.0, s.startMillis / 1000.0,
            s.parallelism, name);
      }
    }
  }

  /** Peak resident set size of this process (Linux VmHWM), in MiB; -1 where unknown. */
  public static long peakRssMiB() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
        }
      }
    } catch (Exception e) {
      // not Linux
    }
    return -1;
  }

  /** Sum of the heap pools' peak usage, in MiB. */
  public static long peakHeapMiB() {
    long sum = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP && pool.getPeakUsage() != null) {
        sum += pool.getPeakUsage().getUsed();
      }
    }
    return sum / (1024 * 1024);
  }
}
