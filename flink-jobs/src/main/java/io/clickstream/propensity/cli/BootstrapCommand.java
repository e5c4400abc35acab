package io.clickstream.propensity.cli;

import io.clickstream.propensity.jobs.WarmStartJob;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "bootstrap",
    mixinStandardHelpOptions = true,
    description = {
      "Writes the streaming job's warm-start savepoint from silver.clickstream_events (the "
          + "backfilled history, one snapshot) without streaming: what `stream` does before it "
          + "starts locally. The last line on stdout is the savepoint's path.",
      "For a cluster: flink run -s <that path> ... job.jar stream --no-warm-start ... "
          + "(run it locally, or with `flink run job.jar bootstrap` on the cluster)."
    })
public final class BootstrapCommand implements Callable<Integer> {
  @Mixin CatalogOptions catalog = new CatalogOptions();

  @Option(names = "--savepoint-dir", required = true, paramLabel = "URI",
      description = "Folder or URI (s3://..., hdfs://..., file:///...) the savepoint goes under, "
          + "in a subfolder named after the silver snapshot and the session TTLs (an existing one "
          + "is reused); the cluster must reach it")
  String savepointDir;

  @Mixin SessionOptions session;

  @Override
  public Integer call() throws Exception {
    if (!ClickstreamCli.submittedToFlink()) {
      StartupCheck.writableDirectory("--savepoint-dir", savepointDir, "savepoint directory");
    }
    String path = new WarmStartJob(catalog.lakehouse(), session.policy())
        .prepareSavepoint(savepointDir, LocalFlink.jobConfiguration(1), System.err);
    if (path == null) {
      throw new IllegalStateException("silver.clickstream_events is empty: backfill first, or "
          + "start the stream without a savepoint (stream --no-warm-start)");
    }
    System.out.println(path);
    return 0;
  }
}
