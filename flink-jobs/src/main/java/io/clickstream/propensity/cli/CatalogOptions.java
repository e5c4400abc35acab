package io.clickstream.propensity.cli;

import io.clickstream.propensity.lakehouse.CatalogConfig;
import io.clickstream.propensity.lakehouse.Lakehouse;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * Where the tables are, shared by every command that touches them: the embedded Hadoop catalog on
 * {@code --warehouse DIR}, or any Iceberg catalog through its own properties. Values may name
 * environment variables as {@code ${env:NAME}}, so secrets stay off the command line.
 */
public final class CatalogOptions {
  private static final Pattern ENV_REF = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)}");

  @Option(names = {"-w", "--warehouse"}, paramLabel = "DIR",
      description = "Embedded Hadoop catalog on this directory or URI (default: warehouse, unless "
          + "catalog properties are given; with them it sets their 'warehouse')")
  String warehouse;

  @Option(names = "--catalog-property", paramLabel = "KEY=VALUE",
      description = "Iceberg catalog property, repeatable, passed through unchanged (type=rest, "
          + "uri=..., warehouse=..., io-impl=..., s3.endpoint=...); ${env:NAME} reads a variable")
  Map<String, String> properties = new LinkedHashMap<>();

  @Option(names = "--catalog-properties", paramLabel = "FILE",
      description = "Iceberg catalog properties file (applied before --catalog-property)")
  Path file;

  /** The catalog these options name. */
  public CatalogConfig config() {
    return config(System::getenv);
  }

  CatalogConfig config(UnaryOperator<String> env) {
    Map<String, String> merged = new LinkedHashMap<>();
    if (file != null) {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot read --catalog-properties " + file + ": " + e.getMessage());
      }
      p.stringPropertyNames().forEach(k -> merged.put(k, p.getProperty(k)));
    }
    merged.putAll(properties);
    if (merged.isEmpty()) {
      String dir = warehouse != null ? warehouse : "warehouse";
      try {
        return CatalogConfig.hadoop(dir);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--warehouse " + dir + ": " + e.getMessage(), e);
      }
    }
    if (warehouse != null) {
      merged.put("warehouse", warehouse);
    }
    merged.replaceAll((k, v) -> resolveEnv(k, v, env));
    return CatalogConfig.of(merged);
  }

  /** The lakehouse these options name. */
  public Lakehouse lakehouse() {
    return Lakehouse.of(config());
  }

  static String resolveEnv(String key, String value, UnaryOperator<String> env) {
    Matcher m = ENV_REF.matcher(value);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = env.apply(m.group(1));
      if (v == null) {
        throw new IllegalArgumentException("property " + key + " reads ${env:" + m.group(1)
            + "}, which is not set: export " + m.group(1) + " or set the property directly");
      }
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }
}
