package io.clickstream.propensity.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Checks the operator manifests in {@code k8s/} without a cluster: every FlinkDeployment against a closed
 * schema of the FlinkDeployment fields we use (src/test/resources/k8s: written for this project,
 * since the operator's CRD is not served by Maven Central), so that unknown fields (which the API
 * server would silently prune) fail, plus the settings this project needs on a cluster.
 */
class K8sManifestsTest {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final String CRD = "/k8s/flinkdeployment-subset.schema.yaml";
  private static final String JAR_URI = "local:///opt/flink/usrlib/clickstream-propensity-job.jar";
  /** Flink 1.x names that Flink 2.1 no longer reads. */
  private static final Set<String> REMOVED_KEYS = Set.of(
      "state.backend", "state.checkpoints.dir", "state.savepoints.dir", "state.backend.incremental",
      "state.checkpoints.num-retained", "high-availability", "execution.checkpointing.externalized-checkpoint-retention.enabled",
      "restart-strategy");

  static Path k8sDir;
  static JsonSchema schema;

  @BeforeAll
  static void load() throws IOException {
    Path dir = Path.of("").toAbsolutePath();
    k8sDir = Files.isDirectory(dir.resolve("k8s")) ? dir.resolve("k8s") : dir.resolveSibling("k8s");
    assertThat(k8sDir.resolve("flink-deployment-stream.yaml")).as("k8s/ folder").exists();
    JsonNode openApi;
    try (InputStream in = K8sManifestsTest.class.getResourceAsStream(CRD)) {
      assertThat(in).as(CRD).isNotNull();
      openApi = YAML.readTree(in);
    }
    schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4).getSchema(openApi);
  }

  /**
   * The generated CRD lists only spec and status at the root: the API server supplies apiVersion,
   * kind and metadata (ObjectMeta). Add them, with the metadata fields a manifest may set.
   */
  static void implicitRootFields(ObjectNode root) {
    ObjectNode props = (ObjectNode) root.path("properties");
    props.putObject("apiVersion").put("type", "string");
    props.putObject("kind").put("type", "string");
    ObjectNode meta = props.putObject("metadata");
    meta.put("type", "object");
    ObjectNode metaProps = meta.putObject("properties");
    for (String s : List.of("name", "namespace", "generateName")) {
      metaProps.putObject(s).put("type", "string");
    }
    for (String m : List.of("labels", "annotations")) {
      ObjectNode map = metaProps.putObject(m);
      map.put("type", "object");
      map.putObject("additionalProperties").put("type", "string");
    }
    root.putArray("required").add("apiVersion").add("kind").add("metadata").add("spec");
    meta.putArray("required").add("name");
  }

  /**
   * additionalProperties: false on every object schema listing properties, unless it preserves
   * unknown fields (flinkConfiguration, logConfiguration...) or already says what extra keys are.
   */
  static void close(JsonNode node) {
    if (node instanceof ObjectNode o) {
      if (o.has("properties") && o.path("properties").isObject()
          && !o.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)
          && !o.has("additionalProperties")) {
        o.put("additionalProperties", false);
      }
      o.elements().forEachRemaining(K8sManifestsTest::close);
    } else if (node instanceof ArrayNode a) {
      a.elements().forEachRemaining(K8sManifestsTest::close);
    }
  }

  static List<Path> manifests() throws IOException {
    try (Stream<Path> s = Files.list(k8sDir)) {
      return s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
          .sorted().toList();
    }
  }

  static List<JsonNode> documents(Path file) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(file.toFile())) {
      Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class);
      it.forEachRemaining(d -> {
        if (d != null && !d.isNull() && !d.isMissingNode()) {
          docs.add(d);
        }
      });
    }
    return docs;
  }

  static Set<ValidationMessage> validate(JsonNode doc) {
    return schema.validate(doc);
  }

  static JsonNode deployment(String file) throws IOException {
    List<JsonNode> docs = documents(k8sDir.resolve(file));
    assertThat(docs).hasSize(1);
    return docs.get(0);
  }

  @Test
  void everyFlinkDeploymentMatchesTheClosedCrdSchema() throws IOException {
    List<Path> files = manifests();
    assertThat(files).extracting(p -> p.getFileName().toString())
        .contains("flink-deployment-stream.yaml", "flink-deployment-backfill.yaml");
    int deployments = 0;
    for (Path file : files) {
      for (JsonNode doc : documents(file)) {
        assertThat(doc.path("kind").asText()).as("%s: kind", file).isNotEmpty();
        if (!doc.path("kind").asText().equals("FlinkDeployment")) {
          continue;
        }
        deployments++;
        assertThat(doc.path("apiVersion").asText()).as("%s apiVersion", file)
            .isEqualTo("flink.apache.org/v1beta1");
        assertThat(validate(doc)).as("%s against the FlinkDeployment CRD (closed)", file).isEmpty();
      }
    }
    assertThat(deployments).isGreaterThanOrEqualTo(2);
  }

  @Test
  void closedSchemaRejectsUnknownFieldsAndWrongTypes() throws IOException {
    ObjectNode typo = (ObjectNode) deployment("flink-deployment-stream.yaml").deepCopy();
    ((ObjectNode) typo.path("spec").path("job")).put("jarUri", JAR_URI);
    assertThat(validate(typo)).as("spec.job.jarUri (typo)").isNotEmpty();

    ObjectNode nested = (ObjectNode) deployment("flink-deployment-stream.yaml").deepCopy();
    ((ObjectNode) nested.at("/spec/podTemplate/spec/containers/0")).put("envfrom", "x");
    assertThat(validate(nested)).as("pod template container typo").isNotEmpty();

    ObjectNode version = (ObjectNode) deployment("flink-deployment-stream.yaml").deepCopy();
    ((ObjectNode) version.path("spec")).put("flinkVersion", "v2_9");
    assertThat(validate(version)).as("flinkVersion outside the enum").isNotEmpty();

    ObjectNode mode = (ObjectNode) deployment("flink-deployment-stream.yaml").deepCopy();
    ((ObjectNode) mode.path("spec").path("job")).put("upgradeMode", "savepoints");
    assertThat(validate(mode)).as("upgradeMode outside the enum").isNotEmpty();

    ObjectNode meta = (ObjectNode) deployment("flink-deployment-stream.yaml").deepCopy();
    ((ObjectNode) meta.path("metadata")).put("label", "x");
    assertThat(validate(meta)).as("metadata typo").isNotEmpty();

    ObjectNode free = (ObjectNode) deployment("flink-deployment-stream.yaml").deepCopy();
    ((ObjectNode) free.path("spec").path("flinkConfiguration")).put("any.key", "kept");
    assertThat(validate(free)).as("flinkConfiguration preserves unknown keys").isEmpty();
  }

  @Test
  void streamDeploymentHasTheProjectSettings() throws IOException {
    JsonNode d = deployment("flink-deployment-stream.yaml");
    List<String> args = commonSettings(d, "stream");
    JsonNode conf = d.at("/spec/flinkConfiguration");
    assertThat(d.at("/spec/job/upgradeMode").asText()).isEqualTo("savepoint");
    assertThat(conf.path("state.backend.type").asText()).isEqualTo("rocksdb");
    assertThat(conf.path("high-availability.type").asText()).isEqualTo("kubernetes");
    assertThat(conf.path("high-availability.storageDir").asText()).isNotBlank();
    assertThat(conf.path("execution.checkpointing.interval").asText()).isNotBlank();
    assertThat(conf.path("execution.checkpointing.savepoint-dir").asText()).startsWith("s3a://");
    String checkpointDir = conf.path("execution.checkpointing.dir").asText();
    assertThat(checkpointDir).startsWith("s3a://");
    // the job sets these itself, overriding the cluster's values: they must agree
    assertThat(option(args, "--checkpoint-dir")).isEqualTo(checkpointDir);
    assertThat(option(args, "--checkpoint-interval"))
        .isEqualTo(conf.path("execution.checkpointing.interval").asText());
    assertThat(option(args, "--warehouse")).startsWith("s3a://");
    assertThat(option(args, "--bootstrap-servers")).isNotBlank();
    assertThat(option(args, "--model")).isEqualTo("/opt/flink/model-artifacts");
    // a local warm start would override the operator's restore path on every upgrade
    assertThat(args).contains("--no-warm-start").doesNotContain("--restore");
  }

  @Test
  void backfillDeploymentHasTheProjectSettings() throws IOException {
    JsonNode d = deployment("flink-deployment-backfill.yaml");
    List<String> args = commonSettings(d, "backfill");
    assertThat(d.at("/spec/job/upgradeMode").asText()).isEqualTo("stateless");
    assertThat(option(args, "--input")).isNotBlank();
    assertThat(option(args, "--warehouse")).startsWith("s3a://");
  }

  @Test
  void dockerfileBuildsTheImageTheManifestsExpect() throws IOException {
    String dockerfile = Files.readString(k8sDir.resolve("Dockerfile"));
    assertThat(dockerfile)
        .contains("ARG FLINK_IMAGE=flink:2.1.1-java17")
        .contains("FROM ${FLINK_IMAGE}")
        .contains("-pl flink-jobs -am package")
        .contains("COPY flink-cluster/pom.xml")
        .contains("/opt/flink/usrlib/clickstream-propensity-job.jar")
        .contains("/opt/flink/model-artifacts/")
        .contains("ENV ORT_DISABLE_TELEMETRY=1")
        .contains("/opt/flink/lib/")
        .contains("plugins/s3-fs-hadoop");
  }

  /** Settings both jobs need; returns the CLI arguments after checking picocli accepts them. */
  private static List<String> commonSettings(JsonNode d, String command) {
    JsonNode spec = d.path("spec");
    assertThat(spec.path("flinkVersion").asText()).isEqualTo("v2_1");
    assertThat(spec.path("image").asText()).isNotBlank();
    JsonNode conf = spec.path("flinkConfiguration");
    assertThat(conf.path("containerized.taskmanager.env.ORT_DISABLE_TELEMETRY").asText())
        .isEqualTo("1");
    assertThat(conf.path("containerized.master.env.ORT_DISABLE_TELEMETRY").asText()).isEqualTo("1");
    assertThat(conf.path("classloader.parent-first-patterns.additional").asText())
        .contains("ai.onnxruntime");
    for (Iterator<Map.Entry<String, JsonNode>> it = conf.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      assertThat(REMOVED_KEYS).as("Flink 2.1 config name").doesNotContain(e.getKey());
      assertThat(e.getValue().isValueNode()).as("%s is a plain value", e.getKey()).isTrue();
    }
    List<String> names = new ArrayList<>();
    spec.at("/podTemplate/spec/containers").forEach(c -> names.add(c.path("name").asText()));
    assertThat(names).containsExactly("flink-main-container");
    assertThat(spec.at("/jobManager/resource/memory").asText()).isNotBlank();
    assertThat(spec.at("/taskManager/resource/memory").asText()).isNotBlank();

    JsonNode job = spec.path("job");
    assertThat(job.path("jarURI").asText()).isEqualTo(JAR_URI);
    assertThat(job.path("entryClass").asText()).isEqualTo(ClickstreamCli.class.getName());
    List<String> args = new ArrayList<>();
    job.path("args").forEach(a -> args.add(a.asText()));
    assertThat(args).first().isEqualTo(command);
    // the CLI itself must accept the arguments (parsed, not run)
    CommandLine.ParseResult parsed = new CommandLine(new ClickstreamCli()).parseArgs(args.toArray(String[]::new));
    assertThat(parsed.subcommand().commandSpec().name()).isEqualTo(command);
    // the job sets its parallelism from --parallelism (default: the JM's cores): keep them equal
    assertThat(option(args, "--parallelism")).isEqualTo(job.path("parallelism").asText());
    return args;
  }

  private static String option(List<String> args, String name) {
    int i = args.indexOf(name);
    assertThat(i).as("argument %s", name).isNotNegative();
    assertThat(i + 1).as("value of %s", name).isLessThan(args.size());
    return args.get(i + 1);
  }
}
