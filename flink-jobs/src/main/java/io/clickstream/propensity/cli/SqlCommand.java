package io.clickstream.propensity.cli;

import com.fasterxml.jackson.databind.SequenceWriter;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.Secrets;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.ResultKind;
import org.apache.flink.table.api.SqlParserException;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "sql",
    mixinStandardHelpOptions = true,
    description = {
      "Runs Flink SQL against the Iceberg catalog '" + Lakehouse.CATALOG_NAME + "' (the current "
          + "catalog, so gold.training_features resolves).",
      "Results go to stdout, logs to stderr."
    })
public final class SqlCommand implements Callable<Integer> {
  @picocli.CommandLine.Mixin CatalogOptions catalog = new CatalogOptions();

  @ArgGroup(exclusive = true, multiplicity = "1")
  Statements statements;

  static final class Statements {
    @Option(names = {"-e", "--execute"}, paramLabel = "SQL", description = "Statements to run (';'-separated)")
    String sql;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "File of statements to run")
    Path file;
  }

  @Option(names = "--format", defaultValue = "table",
      description = "Result format: table or csv (default: ${DEFAULT-VALUE})")
  Format format;

  @Option(names = "--mode", defaultValue = "batch",
      description = "Flink runtime mode for queries: batch or streaming (default: ${DEFAULT-VALUE})")
  String mode;

  enum Format { table, csv }

  private static final CsvMapper CSV = new CsvMapper();

  @Override
  public Integer call() throws Exception {
    String script = statements.sql != null
        ? statements.sql
        : Files.readString(statements.file, StandardCharsets.UTF_8);
    run(script, System.out);
    return 0;
  }

  void run(String script, PrintStream out) throws Exception {
    Lakehouse lakehouse = catalog.lakehouse();
    // the queries' local cluster, configured as every embedded job (LocalFlink): a library that
    // keeps a query job's class loader in a static cache must not fail the next job in this JVM
    EnvironmentSettings.Builder builder = EnvironmentSettings.newInstance()
        .withConfiguration(LocalFlink.configuration(0));
    EnvironmentSettings settings = "streaming".equalsIgnoreCase(mode)
        ? builder.inStreamingMode().build()
        : builder.inBatchMode().build();
    TableEnvironment tEnv = TableEnvironment.create(settings);
    tEnv.getConfig().set("table.exec.iceberg.use-v2-sink", "true");
    tEnv.getConfig().set("table.dml-sync", "true");
    // instants are shown and bucketed in UTC, as the features define days
    tEnv.getConfig().setLocalTimeZone(java.time.ZoneOffset.UTC);
    try {
      tEnv.executeSql(lakehouse.createCatalogSql());
    } catch (RuntimeException e) {
      // Flink's message quotes the statement with every option: name the catalog, not its secrets
      throw new IllegalStateException("cannot open " + lakehouse.describe() + ": "
          + Secrets.scrub(rootMessage(e)));
    }
    tEnv.useCatalog(Lakehouse.CATALOG_NAME);
    List<String> statements = SqlScript.split(script);
    for (int i = 0; i < statements.size(); i++) {
      String statement = statements.get(i);
      if (SqlScript.isCatalogDdl(statement)) {
        continue; // this command registers the catalog itself (scripts in sql/ may too)
      }
      TableResult result = execute(tEnv, statement, i + 1, statements.size());
      if (result.getResultKind() == ResultKind.SUCCESS_WITH_CONTENT) {
        if (format == Format.csv) {
          printCsv(result, out);
        } else {
          result.print();
        }
      } else {
        result.await();
      }
    }
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getClass().getSimpleName() + ": " + root.getMessage();
  }

  /**
   * Runs one statement; a mistyped or invalid one fails with the parser's or validator's first
   * line (which token or name, and where), not the planner's stack trace.
   */
  private static TableResult execute(TableEnvironment tEnv, String statement, int n, int of) {
    try {
      return tEnv.executeSql(statement);
    } catch (SqlParserException | ValidationException e) {
      String where = of > 1 ? " (statement " + n + " of " + of + ")" : "";
      throw new IllegalArgumentException(firstLine(e.getMessage()) + where, e);
    }
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "invalid SQL";
    }
    int end = message.indexOf('\n');
    return (end < 0 ? message : message.substring(0, end)).trim();
  }

  private static void printCsv(TableResult result, PrintStream out) throws Exception {
    List<String> columns = result.getResolvedSchema().getColumnNames();
    try (CloseableIterator<Row> rows = result.collect();
        SequenceWriter writer = CSV.writer(CsvSchema.emptySchema()).writeValues(new NoClose(out))) {
      writer.write(columns);
      List<String> cells = new ArrayList<>(columns.size());
      while (rows.hasNext()) {
        Row row = rows.next();
        cells.clear();
        for (int i = 0; i < row.getArity(); i++) {
          Object v = row.getField(i);
          cells.add(v == null ? "" : v.toString()); // Jackson skips null list elements
        }
        writer.write(cells);
      }
    }
  }

  /** Keeps stdout open when the CSV writer closes. */
  private static final class NoClose extends java.io.FilterOutputStream {
    NoClose(PrintStream out) {
      super(out);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
