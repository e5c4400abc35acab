package io.clickstream.propensity.cli;

import io.clickstream.propensity.lakehouse.Secrets;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import picocli.CommandLine.Option;

/** Kafka client settings users expect to pass through (security, SASL, ...), shared by commands. */
public final class KafkaOptions {
  @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
      description = "Kafka client property, repeatable (e.g. security.protocol=SASL_SSL); "
          + "${env:NAME} reads a variable")
  Map<String, String> properties = new LinkedHashMap<>();

  @Option(names = "--kafka-properties", paramLabel = "FILE",
      description = "Kafka client properties file (applied before --kafka-property)")
  Path file;

  /** The merged properties: file first, then the individual --kafka-property values. */
  public Map<String, String> merged() {
    Map<String, String> out = new LinkedHashMap<>();
    if (file != null) {
      Properties p = new Properties();
      try (InputStream in = Files.newInputStream(file)) {
        p.load(in);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read --kafka-properties " + file + ": " + e.getMessage());
      }
      p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
    }
    out.putAll(properties);
    out.replaceAll((k, v) -> CatalogOptions.resolveEnv(k, v, System::getenv));
    Secrets.remember(out);
    return out;
  }
}
