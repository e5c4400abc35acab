package io.clickstream.propensity.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.clickstream.propensity.lakehouse.CatalogConfig;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.testing.ModuleLib;
import io.clickstream.propensity.testing.Samples;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real Flink SQL client (2.1.0, embedded, its own JVM) on a warehouse backfilled from the real
 * sample: every query of sql/queries/ runs in it and returns the rows `sql` returns.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class SqlClientTest {
  private static final String SECRET = "not-for-output-8c1f2e";
  @TempDir static Path tmp;
  static Path lib;
  static String warehouse;

  @BeforeAll
  static void backfillTheRealSample() throws Exception {
    lib = SqlClientProcess.configuredLib().orElse(null);
    assumeTrue(lib != null && ModuleLib.ensure(lib), "no Flink SQL client classpath at " + lib
        + ": build it once with `mvn -B -pl sql-client package` (a full `mvn verify` does)");
    warehouse = tmp.resolve("warehouse").toString();
    assertThat(ClickstreamCli.run("backfill", "--input", Samples.reesHead().toString(),
        "--warehouse", warehouse, "--parallelism", "2")).isEqualTo(0);
  }

  @Test
  void everyExampleQueryReturnsInTheSqlClientWhatSqlReturns() throws Exception {
    List<Path> files;
    try (Stream<Path> s = Files.list(repoFile("sql/queries"))) {
      files = s.filter(f -> f.toString().endsWith(".sql")).sorted().toList();
    }
    assertThat(files).isNotEmpty();
    // one client session for all files (a client start costs a JVM and a MiniCluster)
    StringBuilder script = new StringBuilder();
    for (Path f : files) {
      script.append(Files.readString(f, StandardCharsets.UTF_8).strip()).append('\n');
    }
    Path scriptFile = Files.writeString(tmp.resolve("all-queries.sql"), script);

    // a secret among the catalog properties must reach the catalog but never the output
    Lakehouse lakehouse = Lakehouse.of(CatalogConfig.of(Map.of("type", "hadoop",
        "warehouse", warehouse, "s3.secret-access-key", SECRET)));
    Path work = Files.createDirectories(tmp.resolve("client-work"));
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    int code = new SqlClientProcess(lib, lakehouse).workIn(work).heapOptions("-Xmx768m")
        .runScript(scriptFile, new PrintStream(buf, true, StandardCharsets.UTF_8));
    String client = buf.toString(StandardCharsets.UTF_8);
    long t1 = System.nanoTime();

    assertThat(code).as(client).isEqualTo(0);
    assertThat(client).doesNotContain(SqlClientProcess.ERROR_MARK).doesNotContain(SECRET);
    try (Stream<Path> left = Files.list(work)) {
      assertThat(left).as("the private folder with the init file is deleted").isEmpty();
    }

    String expected = sqlCommandTables(script.toString());
    System.err.printf("SqlClientTest: %d queries, SQL client %.1f s, sql %.1f s%n", files.size(),
        (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
    List<List<List<String>>> clientTables = tables(client);
    List<List<List<String>>> sqlTables = tables(expected);
    assertThat(sqlTables).as(expected).hasSize(files.size());
    assertThat(clientTables).as(client).hasSize(files.size());
    for (int i = 0; i < files.size(); i++) {
      assertThat(clientTables.get(i).size()).as(files.get(i) + " returns rows").isGreaterThan(1);
      assertThat(clientTables.get(i)).as(files.get(i).toString()).isEqualTo(sqlTables.get(i));
    }
    // and one figure known from the sample itself: 17,429 distinct valid events on 2019-10-01
    int funnel = files.indexOf(repoFile("sql/queries/funnel_by_day.sql"));
    assertThat(funnel).isNotNegative();
    assertThat(clientTables.get(funnel).get(0)).startsWith("day", "events");
    assertThat(clientTables.get(funnel).subList(1, clientTables.get(funnel).size()))
        .containsExactly(List.of("2019-10-01", "17429", "17051", "164", "214", "0.012550583543487185"));
  }

  @Test
  void aFailingStatementMakesTheScriptFail() throws Exception {
    Path bad = Files.writeString(tmp.resolve("bad.sql"),
        "SHOW CURRENT CATALOG;\nSELECT no_such_column FROM silver.clickstream_events;\n");
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    int code = new SqlClientProcess(lib, Lakehouse.at(warehouse)).heapOptions("-Xmx512m")
        .runScript(bad, new PrintStream(buf, true, StandardCharsets.UTF_8));
    String out = buf.toString(StandardCharsets.UTF_8);
    assertThat(code).as(out).isEqualTo(1);
    assertThat(out).contains(Lakehouse.CATALOG_NAME, "[ERROR]", "no_such_column");
  }

  @Test
  void aCatalogThatCannotBeRegisteredFailsWithOneLineAndNoSecret() throws Exception {
    int closedPort;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Lakehouse rest = Lakehouse.of(CatalogConfig.of(Map.of("type", "rest",
        "uri", "http://127.0.0.1:" + closedPort + "/catalog", "credential", "client:" + SECRET)));
    Path one = Files.writeString(tmp.resolve("one.sql"), "SELECT 1 AS x;\n");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = new SqlClientProcess(lib, rest).heapOptions("-Xmx512m")
        .errorsTo(new PrintStream(err, true, StandardCharsets.UTF_8))
        .runScript(one, new PrintStream(out, true, StandardCharsets.UTF_8));
    String errors = err.toString(StandardCharsets.UTF_8);
    assertThat(code).as(errors).isEqualTo(2);
    assertThat(errors.lines().toList()).as(errors).hasSize(1);
    assertThat(errors).contains("could not be registered", String.valueOf(closedPort));
    assertThat(errors + out).doesNotContain(SECRET);
  }

  /** The same script through `sql --format table` (its tables printed by Flink's tableau style). */
  private static String sqlCommandTables(String script) {
    PrintStream original = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertThat(ClickstreamCli.run("sql", "--warehouse", warehouse, "-e", script)).isEqualTo(0);
    } finally {
      System.setOut(original);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  /**
   * The tableau tables in some output, each as its header row then its data rows (cells trimmed).
   * A table is three border lines around a header and rows; the client may print the first border
   * right after the echoed statement, on the same line.
   */
  static List<List<List<String>>> tables(String output) {
    List<List<List<String>>> tables = new ArrayList<>();
    List<List<String>> current = null;
    int borders = 0;
    for (String line : output.lines().toList()) {
      if (line.contains("+-") && line.endsWith("-+")) {
        if (current == null) {
          current = new ArrayList<>();
          tables.add(current);
          borders = 0;
        }
        if (++borders == 3) {
          current = null;
        }
      } else if (current != null && line.startsWith("|") && line.endsWith("|")) {
        current.add(Arrays.stream(line.substring(1, line.length() - 1).split("\\|"))
            .map(String::trim).toList());
      }
    }
    return tables;
  }

  static Path repoFile(String name) {
    Path p = Path.of("..").resolve(name);
    return Files.exists(p) ? p : Path.of(name);
  }
}
