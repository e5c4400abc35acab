package io.clickstream.propensity.cli;

import io.clickstream.propensity.lakehouse.Secrets;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the job jar and of {@code bin/clickstream}. */
@Command(
    name = "clickstream",
    mixinStandardHelpOptions = true,
    versionProvider = ClickstreamCli.Version.class,
    description = "Clickstream to Iceberg medallion tables and purchase-propensity scores, on Flink.",
    subcommands = {
      BackfillCommand.class,
      BenchCommand.class,
      BootstrapCommand.class,
      GenerateCommand.class,
      SqlCommand.class,
      SqlClientCommand.class,
      KafkaCommand.class,
      ReplayCommand.class,
      StreamCommand.class,
      TrainCommand.class,
      DemoCommand.class,
      CommandLine.HelpCommand.class
    })
public final class ClickstreamCli implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    int code = run(args);
    if (submittedToFlink()) {
      // `flink run` / application mode: main() runs in Flink's process (in application mode the
      // JobManager), where System.exit would kill it. Succeed by returning, fail by throwing.
      if (code != 0) {
        throw new IllegalStateException(
            "clickstream " + (args.length > 0 ? args[0] : "") + " failed with exit code " + code);
      }
      return;
    }
    System.exit(code);
  }

  /** True when loaded from a job jar by Flink (user-code class loader), not by bin/clickstream. */
  static boolean submittedToFlink() {
    return ClickstreamCli.class.getClassLoader()
        instanceof org.apache.flink.util.FlinkUserCodeClassLoader;
  }

  /** Runs a command line and returns its exit code (for tests: no System.exit). */
  public static int run(String... args) {
    return new CommandLine(new ClickstreamCli())
        .setExecutionExceptionHandler(new FailFast())
        .execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "choose a command");
  }

  /** Configuration errors end the run with their message, not a stack trace. */
  static final class FailFast implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(
        Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
      if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException) {
        // one line: a message that quotes another (a file name, a server's answer) may span more
        String line = String.valueOf(ex.getMessage()).replaceAll("\\s*\\R\\s*", " ");
        cmd.getErr().println(cmd.getColorScheme().errorText("error: " + Secrets.scrub(line)));
        return 2;
      }
      java.io.StringWriter trace = new java.io.StringWriter();
      ex.printStackTrace(new java.io.PrintWriter(trace));
      cmd.getErr().print(Secrets.scrub(trace.toString()));
      cmd.getErr().flush();
      return 1;
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = ClickstreamCli.class.getPackage().getImplementationVersion();
      return new String[] {"clickstream-propensity " + (v == null ? "dev" : v)};
    }
  }
}
