package io.clickstream.propensity.cli;

import io.clickstream.propensity.events.synthetic.ClickstreamGenerator;
import io.clickstream.propensity.features.SessionPolicy;
import io.clickstream.propensity.jobs.BackfillJob;
import io.clickstream.propensity.jobs.BackfillReport;
import io.clickstream.propensity.jobs.MeasuredRun;
import io.clickstream.propensity.lakehouse.Lakehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks that print measured figures (not tests).",
    subcommands = {BenchCommand.Backfill.class})
public final class BenchCommand {

  @Command(
      name = "backfill",
      mixinStandardHelpOptions = true,
      description = "Generates N events, backfills them into a fresh warehouse and prints events/s, "
          + "wall time per stage and peak memory.")
  static final class Backfill implements Callable<Integer> {
    @Option(names = {"-n", "--events"}, defaultValue = "1000000",
        description = "Events to generate (default: ${DEFAULT-VALUE})")
    long events;

    @Option(names = "--seed", defaultValue = "42", description = "Generator seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--work-dir", defaultValue = "work/bench", paramLabel = "DIR",
        description = "Where the data and the warehouse go (default: ${DEFAULT-VALUE})")
    Path workDir;

    @Option(names = {"-p", "--parallelism"}, defaultValue = "0",
        description = "Flink parallelism (default: number of cores)")
    int parallelism;

    @Override
    public Integer call() throws Exception {
      Files.createDirectories(workDir);
      Path data = workDir.resolve("bench-" + events + "-" + seed + ".csv");
      if (!Files.exists(data)) {
        System.err.printf("Generating %,d events (seed %d) into %s%n", events, seed, data);
        ClickstreamGenerator.builder().events(events).seed(seed).build().writeTo(data);
      }
      Path wh = workDir.resolve("warehouse-" + System.currentTimeMillis());
      Lakehouse lakehouse = Lakehouse.at(wh.toString());
      int p = parallelism > 0 ? parallelism : LocalFlink.defaultParallelism();
      Configuration conf = LocalFlink.configuration(p);
      StreamExecutionEnvironment env = BackfillJob.batchEnvironment(conf);
      long start = System.currentTimeMillis();
      BackfillJob.builder().inputs(List.of(data.toString())).lakehouse(lakehouse)
          .sessionPolicy(SessionPolicy.DEFAULT).build().addTo(env);
      MeasuredRun run = MeasuredRun.run(env, conf, p, "bench-backfill");
      long elapsed = System.currentTimeMillis() - start;
      Long dups = run.result.getAccumulatorResult(BackfillJob.DUPLICATES_REMOVED);
      BackfillReport report = BackfillReport.of(lakehouse, dups == null ? 0 : dups, elapsed);
      System.out.printf("bench backfill: %,d events, parallelism %d, %d cores, max heap %,d MiB%n",
          events, p, Runtime.getRuntime().availableProcessors(),
          Runtime.getRuntime().maxMemory() / (1024 * 1024));
      report.print(System.out);
      System.out.printf("Job wall time %.1f s (cluster start + job + Iceberg commits: %.1f s end to end "
          + "incl. table preparation)%n", run.wallMillis / 1000.0, elapsed / 1000.0);
      run.printStages(System.out);
      System.out.printf("Peak memory: RSS %,d MiB (whole JVM), heap %,d MiB%n",
          MeasuredRun.peakRssMiB(), MeasuredRun.peakHeapMiB());
      return report.reconciles() ? 0 : 3;
    }
  }
}
