package io.clickstream.propensity.cli;

import io.clickstream.propensity.jobs.BackfillJob;
import io.clickstream.propensity.jobs.BackfillReport;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.TableReplacement;
import java.io.PrintStream;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "backfill",
    mixinStandardHelpOptions = true,
    description = {
      "Backfills the Iceberg tables (bronze, silver, rejected, gold metrics, training features) "
          + "from clickstream CSV files in BATCH mode.",
      "The backfill replaces the tables' content, one atomic commit per table when the job has "
          + "finished (a failed run changes nothing): re-running it over the same input leaves the "
          + "same rows. It refuses to replace tables a stream has written since the last backfill "
          + "unless --replace-streamed-data is given."
    })
public final class BackfillCommand implements Callable<Integer> {
  @Option(names = {"-i", "--input"}, arity = "1..*", required = true, paramLabel = "PATH",
      description = "CSV files (plain or .gz) or folders, in canonical order")
  List<String> inputs;

  @picocli.CommandLine.Mixin CatalogOptions catalog = new CatalogOptions();

  @Option(names = {"-p", "--parallelism"}, defaultValue = "0",
      description = "Flink parallelism (default: number of cores when run locally)")
  int parallelism;


  @picocli.CommandLine.Mixin SessionOptions session;

  @Option(names = "--replace-streamed-data",
      description = "Replace the tables even if a stream has written to them since the last "
          + "backfill (those rows are lost unless the input holds them too)")
  boolean replaceStreamedData;
  @picocli.CommandLine.Mixin InputLimitOptions input = new InputLimitOptions();

  @Override
  public Integer call() throws Exception {
    BackfillReport report = run(System.out, System.err);
    return report.reconciles() ? 0 : 3;
  }

  BackfillReport run(PrintStream out, PrintStream progress) throws Exception {
    StartupCheck.writableWarehouse(catalog);
    Lakehouse lakehouse = catalog.lakehouse();
    BackfillJob job = BackfillJob.builder()
        .inputs(inputs)
        .lakehouse(lakehouse)
        .sessionPolicy(session.policy())
        .replaceStreamedData(replaceStreamedData)
        .inputLimits(input.limits())
        .build();
    StreamExecutionEnvironment env =
        BackfillJob.batchEnvironment(LocalFlink.jobConfiguration(parallelism));
    progress.printf("Backfilling %d file(s) into %s%n", job.inputs().size(), lakehouse.describe());
    long start = System.currentTimeMillis();
    JobExecutionResult result;
    try {
      result = job.run(env, "clickstream-backfill", progress);
    } catch (TableReplacement.StreamedDataException e) {
      throw new IllegalStateException(e.getMessage()
          + ": back them up or pass --replace-streamed-data to replace them anyway", e);
    }
    long elapsed = System.currentTimeMillis() - start;
    BackfillReport report = BackfillReport.of(lakehouse, result, elapsed);
    report.print(out);
    return report;
  }
}
