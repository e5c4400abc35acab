package io.clickstream.propensity.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.testing.Samples;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The command line as users call it: backfill, then the example queries of sql/ through `sql`. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class CliTest {
  @TempDir static Path tmp;
  static String warehouse;
  static String backfillOutput;

  static Path repoFile(String name) {
    Path p = Path.of("..").resolve(name);
    return Files.exists(p) ? p : Path.of(name);
  }

  /** Runs the CLI capturing stdout; returns [exit code, stdout]. */
  static Object[] run(String... args) {
    PrintStream original = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      int code = ClickstreamCli.run(args);
      return new Object[] {code, buf.toString(StandardCharsets.UTF_8)};
    } finally {
      System.setOut(original);
    }
  }

  @BeforeAll
  static void backfillTheRealSample() {
    warehouse = tmp.resolve("warehouse").toString();
    Object[] r = run("backfill", "--input", Samples.reesHead().toString(), "--warehouse", warehouse,
        "--parallelism", "2");
    assertThat(r[0]).isEqualTo(0);
    backfillOutput = (String) r[1];
  }

  @Test
  void backfillPrintsRowsPerTableAndReconciliation() {
    assertThat(backfillOutput)
        .contains("bronze.clickstream_raw", "gold.training_features")
        .containsPattern("Reconciliation: bronze 17,435 = silver 17,429 \\+ rejected 1 \\+ duplicates 5 : OK")
        .containsPattern("Elapsed: [0-9.]+ s, [0-9,]+ events/s");
  }

  @Test
  void sqlCsvHasAHeaderAndNothingElseOnStdout() {
    Object[] r = run("sql", "--warehouse", warehouse, "--format", "csv", "-e",
        "SELECT event_type, COUNT(*) AS n FROM silver.clickstream_events GROUP BY event_type ORDER BY event_type");
    assertThat(r[0]).isEqualTo(0);
    // sample facts: 17,055 views, 165 carts, 214 purchases, minus 5 duplicate copies (views or carts)
    List<String> lines = ((String) r[1]).lines().toList();
    assertThat(lines.get(0)).isEqualTo("event_type,n");
    assertThat(lines).hasSize(4);
    assertThat(lines.get(2)).isEqualTo("purchase,214");
    long total = lines.stream().skip(1).mapToLong(l -> Long.parseLong(l.split(",")[1])).sum();
    assertThat(total).isEqualTo(17_429);
  }

  @Test
  void exampleQueriesOfSqlFolderRun() throws Exception {
    try (var files = Files.list(repoFile("sql/queries"))) {
      for (Path f : files.sorted().toList()) {
        Object[] r = run("sql", "--warehouse", warehouse, "--format", "csv", "-f", f.toString());
        assertThat(r[0]).as(f.toString()).isEqualTo(0);
        List<String> lines = ((String) r[1]).lines().toList();
        assertThat(lines).as(f + " returns rows").hasSizeGreaterThan(1);
      }
    }
  }

  @Test
  void qualifiedNamesResolveInTheCurrentCatalog() {
    // the label rule (docs/features.md, Label) recomputed from silver: a purchase of the same cart-product
    // later in canonical order (one input file: position = line)
    Object[] r = run("sql", "--warehouse", warehouse, "--format", "csv", "-e",
        "SELECT COUNT(*) AS n FROM gold.training_features WHERE label = 1; "
            + "SELECT COUNT(*) AS n FROM silver.clickstream_events e WHERE e.event_type <> 'purchase' "
            + "AND EXISTS (SELECT 1 FROM clickstream.silver.clickstream_events p "
            + "WHERE p.event_type = 'purchase' AND p.user_id = e.user_id "
            + "AND p.user_session = e.user_session AND p.product_id = e.product_id "
            + "AND (p.event_time > e.event_time "
            + "OR (p.event_time = e.event_time AND p.source_offset > e.source_offset))); "
            + "SELECT COUNT(*) AS n FROM clickstream.gold.user_metrics");
    assertThat(r[0]).isEqualTo(0);
    List<String> lines = ((String) r[1]).lines().toList();
    assertThat(lines).hasSize(6);
    assertThat(List.of(lines.get(0), lines.get(2), lines.get(4))).containsOnly("n");
    long labelled = Long.parseLong(lines.get(1));
    assertThat(labelled).as("rows labelled 1").isPositive();
    assertThat(Long.parseLong(lines.get(3))).as("rows the label rule selects in silver").isEqualTo(labelled);
    assertThat(lines.get(5)).as("users in the sample").isEqualTo("4504");
  }

  @Test
  void badOptionsFailWithAMessage() {
    assertThat(run("backfill", "--warehouse", warehouse)[0]).isEqualTo(2);
    assertThat(run("backfill", "--input", tmp.resolve("missing.csv").toString(), "--warehouse", warehouse)[0])
        .isEqualTo(2);
    assertThat(run("sql", "--warehouse", warehouse, "--format", "xml", "-e", "SELECT 1")[0]).isEqualTo(2);
    // a missing model stops the streaming job before anything starts
    assertThat(run("stream", "--bootstrap-servers", "127.0.0.1:1", "--warehouse", warehouse,
        "--model", tmp.resolve("no-model").toString())[0]).isEqualTo(2);
    assertThat(run("stream", "--bootstrap-servers", "127.0.0.1:1", "--warehouse", warehouse,
        "--out-of-orderness", "soon")[0]).isEqualTo(2);
  }
}
