package io.clickstream.propensity.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shaded job jar that `mvn package` builds: what it must carry, what it must leave to the
 * cluster (Flink's lib/, the flink-cluster module's target/lib), and no class of that lib/ twice.
 */
class JobJarIT {
  /** Packages of Flink's own modules and of what a cluster's lib/ provides. */
  static final List<String> FORBIDDEN = List.of(
      "org/apache/flink/streaming/", "org/apache/flink/runtime/", "org/apache/flink/table/api/",
      "org/apache/flink/api/", "org/apache/flink/core/", "org/apache/flink/configuration/",
      "org/apache/flink/client/", "org/apache/flink/util/", "org/apache/hadoop/",
      "org/apache/logging/log4j/", "org/slf4j/");
  /** Connector code that lives under those package names (Flink's Kafka connector). */
  static final List<String> ALLOWED = List.of(
      "org/apache/flink/streaming/connectors/kafka/", "org/apache/flink/streaming/util/serialization/",
      // Iceberg's runtime ships this empty stub, which Flink's KryoSerializer probes for by name
      "org/apache/flink/table/api/runtime/types/FlinkScalaKryoInstantiator.class");

  static Path jobJar;
  static Path lib;
  static List<String> entries;

  @BeforeAll
  static void listTheJar() throws IOException {
    jobJar = Path.of(System.getProperty("clickstream.job.jar", "target/none-job.jar"));
    lib = Path.of(System.getProperty("clickstream.flink.lib", "../flink-cluster/target/lib"));
    assertThat(jobJar).as("the shaded job jar (mvn package builds it)").isRegularFile();
    entries = names(jobJar);
  }

  @Test
  void carriesTheJobConnectorsIcebergAndOnnxRuntime() throws IOException {
    assertThat(entries).contains(
        "io/clickstream/propensity/cli/ClickstreamCli.class",
        "org/apache/flink/connector/kafka/source/KafkaSource.class",
        "org/apache/kafka/clients/consumer/KafkaConsumer.class",
        "org/apache/iceberg/flink/sink/IcebergSink.class",
        "org/apache/iceberg/aws/s3/S3FileIO.class",
        "software/amazon/awssdk/services/s3/S3Client.class",
        "org/apache/flink/state/api/SavepointWriter.class",
        "ai/onnxruntime/OrtEnvironment.class",
        "ai/onnxruntime/native/linux-x64/libonnxruntime.so",
        "ai/onnxruntime/native/linux-x64/libonnxruntime4j_jni.so");
    assertThat(entries).noneMatch(e -> e.startsWith("ai/onnxruntime/native/osx-")
        || e.startsWith("ai/onnxruntime/native/win-"));
    try (JarFile jar = new JarFile(jobJar.toFile())) {
      Manifest mf = jar.getManifest();
      assertThat(mf.getMainAttributes().getValue("Main-Class"))
          .isEqualTo("io.clickstream.propensity.cli.ClickstreamCli");
      // Flink finds table factories through one merged service file
      String factories = new String(jar.getInputStream(
          jar.getEntry("META-INF/services/org.apache.flink.table.factories.Factory")).readAllBytes(),
          StandardCharsets.UTF_8);
      assertThat(factories).contains(
          "org.apache.flink.streaming.connectors.kafka.table.KafkaDynamicTableFactory",
          "org.apache.iceberg.flink.FlinkDynamicTableFactory",
          "org.apache.iceberg.flink.FlinkCatalogFactory");
    }
  }

  @Test
  void hasNoSignatureFilesAndNoFlinkOrHadoopPackages() {
    assertThat(entries).noneMatch(e -> e.startsWith("META-INF/")
        && (e.endsWith(".SF") || e.endsWith(".DSA") || e.endsWith(".RSA") || e.endsWith(".EC")));
    List<String> forbidden = entries.stream()
        .filter(e -> FORBIDDEN.stream().anyMatch(e::startsWith))
        .filter(e -> ALLOWED.stream().noneMatch(e::startsWith))
        .filter(e -> !e.endsWith("/"))
        .toList();
    assertThat(forbidden).as("classes of Flink's lib/ or Hadoop inside the job jar").isEmpty();
  }

  @Test
  void sharesNoClassWithTheClustersLib() throws IOException {
    assertThat(lib.resolve("flink-runtime-2.1.1.jar"))
        .as("Flink's lib/ (built by the flink-cluster module: mvn -pl flink-cluster generate-resources)")
        .isRegularFile();
    Map<String, String> libClasses = new HashMap<>();
    try (Stream<Path> jars = Files.list(lib)) {
      for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
        for (String e : names(jar)) {
          if (isClass(e)) {
            libClasses.putIfAbsent(e, jar.getFileName().toString());
          }
        }
      }
    }
    assertThat(libClasses).hasSizeGreaterThan(10_000);
    Set<String> duplicates = new TreeSet<>();
    for (String e : entries) {
      if (isClass(e) && libClasses.containsKey(e)) {
        duplicates.add(libClasses.get(e) + ": " + e);
      }
    }
    assertThat(duplicates).as("classes both in the job jar and in Flink's lib/").isEmpty();
  }

  static boolean isClass(String entry) {
    return entry.endsWith(".class") && !entry.startsWith("META-INF/")
        && !entry.endsWith("module-info.class");
  }

  static List<String> names(Path jar) throws IOException {
    List<String> out = new ArrayList<>();
    try (JarFile f = new JarFile(jar.toFile())) {
      f.stream().map(ZipEntry::getName).forEach(out::add);
    }
    return out;
  }
}
