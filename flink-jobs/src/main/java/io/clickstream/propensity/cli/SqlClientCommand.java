package io.clickstream.propensity.cli;

import io.clickstream.propensity.lakehouse.Lakehouse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "sql-client",
    mixinStandardHelpOptions = true,
    description = {
      "Opens the Flink SQL client (embedded) with the Iceberg catalog '" + Lakehouse.CATALOG_NAME
          + "' registered and current, batch mode, tableau results.",
      "With -f it runs a script and exits non-zero when a statement fails."
    })
public final class SqlClientCommand implements Callable<Integer> {
  @Mixin CatalogOptions catalog = new CatalogOptions();

  @Option(names = {"-f", "--file"}, paramLabel = "FILE",
      description = "Run this SQL script non-interactively, then exit")
  Path file;

  @Override
  public Integer call() throws Exception {
    if (file != null && !Files.isReadable(file)) {
      throw new IllegalArgumentException("cannot read -f " + file + ": give a SQL script file");
    }
    SqlClientProcess client = new SqlClientProcess(
        SqlClientProcess.configuredLib().orElse(null), catalog.lakehouse());
    return file == null ? client.interactive() : client.runScript(file, System.out);
  }
}
