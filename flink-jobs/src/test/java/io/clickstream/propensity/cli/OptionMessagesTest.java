package io.clickstream.propensity.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The library says what is wrong in its own terms; where the user typed a command, the message
 * names the option to change.
 */
class OptionMessagesTest {
  @TempDir Path tmp;

  /** Runs a command line with the CLI's own error handling; returns [exit code, stderr]. */
  private static Object[] run(String... args) {
    StringWriter err = new StringWriter();
    int code = new CommandLine(new ClickstreamCli())
        .setExecutionExceptionHandler(new ClickstreamCli.FailFast())
        .setErr(new PrintWriter(err, true))
        .execute(args);
    return new Object[] {code, err.toString()};
  }

  @Test
  void aMissingModelIsReportedAgainstTheModelOption() {
    Path missing = tmp.resolve("no-model");
    Object[] r = run("stream", "--bootstrap-servers", "127.0.0.1:1",
        "--warehouse", tmp.resolve("wh").toString(), "--model", missing.toString());
    assertThat(r[0]).isEqualTo(2);
    assertThat((String) r[1]).startsWith("error: --model " + missing + ": ")
        .contains("does not exist");
  }

  @Test
  void missingRequiredInputsNameTheirOptions() {
    Object[] backfill = run("backfill", "--warehouse", tmp.resolve("wh").toString());
    assertThat(backfill[0]).isEqualTo(2);
    assertThat((String) backfill[1]).contains("--input");
    Object[] replay = run("replay", "--input", tmp.resolve("x.csv").toString());
    assertThat(replay[0]).isEqualTo(2);
    assertThat((String) replay[1]).contains("--bootstrap-servers");
  }
}
