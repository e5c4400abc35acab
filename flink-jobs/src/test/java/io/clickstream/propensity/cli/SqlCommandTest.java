package io.clickstream.propensity.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** `sql` answers a wrong statement with one line saying what and where, not a stack trace. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SqlCommandTest {
  @TempDir Path tmp;

  /** Runs `sql` with the CLI's own error handling; returns [exit code, stderr]. */
  private Object[] sql(String script) {
    StringWriter err = new StringWriter();
    int code = new CommandLine(new ClickstreamCli())
        .setExecutionExceptionHandler(new ClickstreamCli.FailFast())
        .setErr(new PrintWriter(err, true))
        .execute("sql", "--warehouse", tmp.resolve("warehouse").toString(), "-e", script);
    return new Object[] {code, err.toString()};
  }

  @Test
  void aMistypedQueryGetsTheParsersOneLineMessage() {
    Object[] r = sql("SELECT 1 AS x; SELECT event_type FORM silver.clickstream_events");
    String err = (String) r[1];
    assertThat(r[0]).isEqualTo(2);
    assertThat(err.lines().toList()).hasSize(1);
    assertThat(err).contains("Encountered \"silver\" at line 1, column 24")
        .contains("statement 2 of 2")
        .doesNotContain("\tat ", "Was expecting");
  }

  @Test
  void anUnknownTableGetsTheValidatorsOneLineMessage() {
    Object[] r = sql("SELECT * FROM silver.no_such_table");
    String err = (String) r[1];
    assertThat(r[0]).isEqualTo(2);
    assertThat(err.lines().toList()).hasSize(1);
    assertThat(err).contains("SQL validation failed", "line 1, column 15", "not found")
        .doesNotContain("\tat ");
  }
}
