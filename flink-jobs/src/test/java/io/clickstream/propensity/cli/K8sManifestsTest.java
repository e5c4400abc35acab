package io.clickstream.propensity.cli;

import static io.clickstream.propensity.cli.K8sManifests.FLINK_KINDS;
import static io.clickstream.propensity.cli.K8sManifests.YAML;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.networknt.schema.JsonSchema;
import io.clickstream.propensity.lakehouse.Secrets;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * What a platform team would apply from {@code k8s/}, checked without a cluster: every overlay
 * rendered with {@code kubectl kustomize} (where kubectl is on the PATH; otherwise the files as
 * written), every Flink custom resource strict against the Flink Kubernetes Operator 1.15.0 CRDs,
 * every flinkConfiguration key a Flink 2.1 option, every job's arguments accepted by the CLI and in
 * agreement with the deployment, and the plain objects well formed with placeholder-only Secrets.
 */
@Timeout(300)
class K8sManifestsTest {
  static final String OPTIONS_DIR = "/opt/clickstream/options/";

  /** Rendered documents per overlay name; empty when kubectl is not on the PATH. */
  static final Map<String, List<JsonNode>> rendered = new TreeMap<>();
  /** Documents to check: rendered overlays, or (without kubectl) the resources as written. */
  static final List<JsonNode> documents = new ArrayList<>();
  static Map<String, Map<String, JsonSchema>> schemas;
  static Set<String> flinkKeys;
  static Set<String> reporterKeys;
  static Path kubectl;

  @TempDir static Path tmp;

  @BeforeAll
  static void load() throws Exception {
    kubectl = K8sManifests.kubectl();
    if (kubectl != null) {
      for (Path overlay : K8sManifests.overlays()) {
        List<JsonNode> docs = K8sManifests.documents(K8sManifests.render(kubectl, overlay));
        rendered.put(overlay.getFileName().toString(), docs);
        documents.addAll(docs);
      }
    } else {
      System.out.println("K8sManifestsTest: kubectl is not on the PATH: overlays are not rendered; "
          + "checking k8s/base and the overlays' own resources as written");
      documents.addAll(K8sManifests.resourcesAsWritten(K8sManifests.k8s().resolve("base")));
      for (Path overlay : K8sManifests.overlays()) {
        documents.addAll(K8sManifests.resourcesAsWritten(overlay));
      }
    }
    try (var s = Files.list(K8sManifests.k8s().resolve("examples"))) {
      for (Path p : s.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        documents.addAll(K8sManifests.documents(p));
      }
    }
    Path crds = K8sManifests.crdDir();
    if (Files.isDirectory(crds)) {
      schemas = K8sManifests.crdSchemas(crds);
    } else {
      System.out.println("K8sManifestsTest: the operator CRDs are absent (" + crds
          + "): the CRD checks are skipped");
    }
    flinkKeys = K8sManifests.flinkOptionKeys();
    reporterKeys = K8sManifests.metricReporterKeys(flinkKeys);
  }

  static List<JsonNode> ofKind(List<JsonNode> docs, String kind) {
    return docs.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
  }

  static JsonNode named(List<JsonNode> docs, String kind, String name) {
    List<JsonNode> found = ofKind(docs, kind).stream()
        .filter(d -> d.at("/metadata/name").asText().equals(name)).toList();
    assertThat(found.size()).as("number of %s %s", kind, name).isEqualTo(1);
    return found.get(0);
  }

  static void assumeRendered() {
    assumeTrue(kubectl != null, "kubectl is not on the PATH: rendering the overlays is skipped");
  }

  static void assumeCrds() {
    assumeTrue(schemas != null, "operator CRDs absent at " + K8sManifests.crdDir());
  }

  // ------------------------------------------------------------------ rendering and CRDs

  @Test
  void everyOverlayRendersTheThreeJobsAndWhatTheyReferTo() {
    assumeRendered();
    assertThat(rendered.keySet()).containsExactly("local", "production");
    Set<String> exampleSecrets = new TreeSet<>();
    for (JsonNode d : documents) {
      if (d.path("kind").asText().equals("Secret")) {
        exampleSecrets.add(d.at("/metadata/name").asText());
      }
    }
    rendered.forEach((overlay, docs) -> {
      List<JsonNode> deployments = ofKind(docs, "FlinkDeployment");
      assertThat(deployments).extracting(d -> d.at("/metadata/name").asText()).as(overlay)
          .containsExactlyInAnyOrder("clickstream-backfill", "clickstream-bootstrap", "clickstream-stream");
      assertThat(ofKind(docs, "PodMonitor")).as(overlay).hasSize(1);
      assertThat(ofKind(docs, "ServiceAccount")).as(overlay).hasSize(1);
      Set<String> configMaps = new TreeSet<>();
      ofKind(docs, "ConfigMap").forEach(c -> configMaps.add(c.at("/metadata/name").asText()));
      for (JsonNode d : deployments) {
        assertThat(d.at("/metadata/namespace").asText()).as("%s namespace", overlay).isEqualTo("clickstream");
        assertThat(d.at("/spec/serviceAccount").asText())
            .isEqualTo(ofKind(docs, "ServiceAccount").get(0).at("/metadata/name").asText());
        for (JsonNode v : d.at("/spec/podTemplate/spec/volumes")) {
          if (v.has("configMap")) {
            String name = v.at("/configMap/name").asText();
            // the model ConfigMap is created from a model folder (k8s/README.md), all others rendered
            if (!name.startsWith("clickstream-model-v")) {
              assertThat(configMaps).as("%s: ConfigMap %s of %s", overlay, name, d.at("/metadata/name"))
                  .contains(name);
            }
          }
          if (v.has("secret")) {
            assertThat(exampleSecrets).as("%s: Secret %s has an example", overlay, v.at("/secret/secretName"))
                .contains(v.at("/secret/secretName").asText());
          }
        }
        for (JsonNode e : d.at("/spec/podTemplate/spec/containers/0/envFrom")) {
          if (e.has("secretRef")) {
            assertThat(exampleSecrets).as("%s: Secret %s has an example", overlay, e.at("/secretRef/name"))
                .contains(e.at("/secretRef/name").asText());
          }
        }
      }
    });
    // each overlay's own wiring reached the custom resources
    JsonNode prod = named(rendered.get("production"), "FlinkDeployment", "clickstream-stream");
    assertThat(prod.at("/spec/image").asText()).startsWith("registry.example.com/");
    assertThat(prod.at("/spec/jobManager/replicas").asInt()).as("standby JobManager").isEqualTo(2);
    JsonNode local = named(rendered.get("local"), "FlinkDeployment", "clickstream-stream");
    assertThat(local.at("/spec/flinkConfiguration/s3.endpoint").asText()).isEqualTo("http://s3:9000");
    assertThat(ofKind(rendered.get("local"), "Service")).extracting(s -> s.at("/metadata/name").asText())
        .contains("s3", "kafka", "iceberg-rest");
  }

  @Test
  void flinkResourcesMatchTheOperatorCrdsStrictly() {
    assumeCrds();
    Map<String, Integer> counted = new TreeMap<>();
    for (JsonNode d : documents) {
      String kind = d.path("kind").asText();
      if (FLINK_KINDS.contains(kind)) {
        counted.merge(kind, 1, Integer::sum);
        assertThat(K8sManifests.validate(schemas, d))
            .as("%s %s against the operator 1.15.0 CRD (closed)", kind, d.at("/metadata/name").asText())
            .isEmpty();
      }
    }
    assertThat(counted).containsKeys("FlinkDeployment", "FlinkStateSnapshot");
  }

  @Test
  void theValidatorRejectsUnknownFieldsWrongTypesAndValuesOutsideTheEnums() {
    assumeCrds();
    JsonNode stream = ofKind(documents, "FlinkDeployment").stream()
        .filter(d -> d.at("/metadata/name").asText().equals("clickstream-stream")).findFirst().orElseThrow();
    assertThat(K8sManifests.validate(schemas, stream)).isEmpty();

    ObjectNode typo = stream.deepCopy();
    ((ObjectNode) typo.at("/spec/job")).put("jarUri", "local:///x.jar");
    assertThat(K8sManifests.validate(schemas, typo)).as("spec.job.jarUri (typo)").isNotEmpty();

    ObjectNode nested = stream.deepCopy();
    ((ObjectNode) nested.at("/spec/podTemplate/spec/containers/0/securityContext")).put("readOnlyRootFs", true);
    assertThat(K8sManifests.validate(schemas, nested)).as("pod template securityContext typo").isNotEmpty();

    ObjectNode type = stream.deepCopy();
    ((ObjectNode) type.at("/spec/job")).put("parallelism", "two");
    assertThat(K8sManifests.validate(schemas, type)).as("parallelism as a string").isNotEmpty();

    ObjectNode version = stream.deepCopy();
    ((ObjectNode) version.path("spec")).put("flinkVersion", "v2_9");
    assertThat(K8sManifests.validate(schemas, version)).as("flinkVersion outside the enum").isNotEmpty();

    ObjectNode meta = stream.deepCopy();
    ((ObjectNode) meta.path("metadata")).put("label", "x");
    assertThat(K8sManifests.validate(schemas, meta)).as("metadata typo").isNotEmpty();

    ObjectNode apiVersion = stream.deepCopy();
    apiVersion.put("apiVersion", "flink.apache.org/v1alpha1");
    assertThat(K8sManifests.validate(schemas, apiVersion)).as("a version the CRD does not serve").isNotEmpty();

    JsonNode snapshot = ofKind(documents, "FlinkStateSnapshot").get(0);
    ObjectNode snap = snapshot.deepCopy();
    ((ObjectNode) snap.at("/spec/savepoint")).put("formatType", "ZIP");
    assertThat(K8sManifests.validate(schemas, snap)).as("savepoint formatType outside the enum").isNotEmpty();

    // flinkConfiguration preserves unknown fields: the schema accepts any key, hence the key check
    ObjectNode free = stream.deepCopy();
    ((ObjectNode) free.at("/spec/flinkConfiguration")).put("state.backend", "rocksdb");
    assertThat(K8sManifests.validate(schemas, free)).isEmpty();
    assertThat(unknownKeys(free)).containsOnlyKeys("state.backend");
  }

  // ------------------------------------------------------------------ Flink configuration keys

  static Map<String, String> unknownKeys(JsonNode deployment) {
    Map<String, String> out = new LinkedHashMap<>();
    K8sManifests.flinkConfiguration(deployment).forEach((k, v) -> {
      String why = K8sManifests.unknownKey(k, flinkKeys, reporterKeys);
      if (why != null) {
        out.put(k, why);
      }
    });
    return out;
  }

  @Test
  void everyFlinkConfigurationKeyIsAFlink21Option() {
    assertThat(flinkKeys).as("options found on the classpath")
        .contains("execution.checkpointing.dir", "high-availability.type", "state.backend.type",
            "kubernetes.taskmanager.cpu.limit-factor", "metrics.scope.operator");
    assertThat(reporterKeys).contains("factory.class");
    int checked = 0;
    for (JsonNode d : documents) {
      if (d.path("kind").asText().equals("FlinkDeployment")) {
        assertThat(unknownKeys(d)).as("flinkConfiguration of %s", d.at("/metadata/name").asText()).isEmpty();
        checked++;
      }
    }
    assertThat(checked).isGreaterThanOrEqualTo(3);
  }

  @Test
  void theKeyCheckRejectsRemovedMisspeltAndSecretKeys() {
    for (String key : List.of(
        "state.backend", "state.checkpoints.dir", "state.savepoints.dir", "high-availability",
        "execution.checkpointing.dirr", "metrics.reporter.prom.factory.klass",
        "kubernetes.operator.periodic.savepoint.intervall", "s3.secret-key", "s3.access-key")) {
      assertThat(K8sManifests.unknownKey(key, flinkKeys, reporterKeys)).as(key).isNotNull();
    }
    for (String key : List.of(
        "state.backend.type", "execution.checkpointing.savepoint-dir", "high-availability.storageDir",
        "metrics.reporter.prom.port", "kubernetes.operator.periodic.savepoint.interval", "s3.endpoint")) {
      assertThat(K8sManifests.unknownKey(key, flinkKeys, reporterKeys)).as(key).isNull();
    }
  }

  // ------------------------------------------------------------------ the jobs

  /** The CLI arguments of a deployment with its @FILE read from the rendered options ConfigMap. */
  static List<String> arguments(List<JsonNode> docs, JsonNode deployment) throws IOException {
    String optionsConfigMap = null;
    for (JsonNode v : deployment.at("/spec/podTemplate/spec/volumes")) {
      if (v.path("name").asText().equals("job-options")) {
        optionsConfigMap = v.at("/configMap/name").asText();
      }
    }
    JsonNode data = named(docs, "ConfigMap", optionsConfigMap).path("data");
    List<String> args = new ArrayList<>();
    for (JsonNode a : deployment.at("/spec/job/args")) {
      String arg = a.asText();
      if (arg.startsWith("@" + OPTIONS_DIR)) {
        String file = arg.substring(OPTIONS_DIR.length() + 1);
        assertThat(data.has(file)).as("%s in ConfigMap %s", file, optionsConfigMap).isTrue();
        Path local = Files.createTempDirectory(tmp, "options").resolve(file);
        Files.writeString(local, data.path(file).asText());
        arg = "@" + local;
      }
      args.add(arg);
    }
    return args;
  }

  static CommandLine.ParseResult parse(List<String> args) {
    CommandLine.ParseResult parsed = new CommandLine(new ClickstreamCli()).parseArgs(args.toArray(String[]::new));
    assertThat(parsed.subcommand()).as("a command in %s", args).isNotNull();
    return parsed.subcommand();
  }

  static String option(CommandLine.ParseResult r, String name) {
    assertThat(r.hasMatchedOption(name)).as("option %s", name).isTrue();
    return r.matchedOption(name).stringValues().get(0);
  }

  static String mountPath(JsonNode deployment, String volume) {
    for (JsonNode m : deployment.at("/spec/podTemplate/spec/containers/0/volumeMounts")) {
      if (m.path("name").asText().equals(volume)) {
        return m.path("mountPath").asText();
      }
    }
    throw new AssertionError("no mount of volume " + volume);
  }

  @Test
  void everyJobsArgumentsParseAndAgreeWithItsDeployment() throws IOException {
    assumeRendered();
    Set<String> commands = new CommandLine(new ClickstreamCli()).getSubcommands().keySet();
    for (Map.Entry<String, List<JsonNode>> overlay : rendered.entrySet()) {
      for (JsonNode d : ofKind(overlay.getValue(), "FlinkDeployment")) {
        String name = d.at("/metadata/name").asText();
        List<String> args = arguments(overlay.getValue(), d);
        String command = args.get(0);
        assertThat(name).isEqualTo("clickstream-" + command);
        if (!commands.contains(command)) {
          System.out.println("K8sManifestsTest: the CLI has no `" + command + "` command yet: "
              + overlay.getKey() + "/" + name + " arguments not parsed");
          continue;
        }
        CommandLine.ParseResult r = parse(args);
        String at = overlay.getKey() + "/" + name;
        Map<String, String> conf = K8sManifests.flinkConfiguration(d);
        // the job sets its parallelism itself (default: the JobManager's cores): keep them equal
        if (r.hasMatchedOption("--parallelism")) {
          assertThat(option(r, "--parallelism")).as(at).isEqualTo(d.at("/spec/job/parallelism").asText());
        }
        assertThat(option(r, "--catalog-properties")).as(at)
            .isEqualTo(mountPath(d, "catalog") + "/catalog.properties");
        if (command.equals("stream")) {
          // the job's own settings win over the cluster's: they must agree
          assertThat(option(r, "--checkpoint-dir")).as(at).isEqualTo(conf.get("execution.checkpointing.dir"));
          assertThat(option(r, "--checkpoint-interval")).as(at)
              .isEqualTo(conf.get("execution.checkpointing.interval"));
          assertThat(option(r, "--model")).as(at).isEqualTo(mountPath(d, "model"));
          // a local warm start would replace the operator's restore path on every upgrade
          assertThat(r.matchedOptionValue("--warm-start", Boolean.TRUE)).as(at + " --no-warm-start").isFalse();
          assertThat(r.hasMatchedOption("--restore")).as(at).isFalse();
          if (r.hasMatchedOption("--kafka-properties")) {
            assertThat(option(r, "--kafka-properties")).as(at).startsWith(mountPath(d, "kafka-client") + "/");
          }
        }
        for (String arg : args) {
          assertThat(Secrets.isSecret(arg.replaceFirst("^--", ""))).as("%s: secret on the command line", at).isFalse();
        }
      }
    }
  }

  @Test
  void streamDeploymentIsSavepointUpgradedHaAndHardened() {
    for (JsonNode d : ofKind(documents, "FlinkDeployment")) {
      String name = d.at("/metadata/name").asText();
      JsonNode spec = d.path("spec");
      Map<String, String> conf = K8sManifests.flinkConfiguration(d);
      assertThat(spec.path("flinkVersion").asText()).as(name).isEqualTo("v2_1");
      assertThat(spec.at("/job/jarURI").asText()).as(name)
          .isEqualTo("local:///opt/flink/usrlib/flink-jobs-0.1.0-SNAPSHOT-job.jar");
      assertThat(spec.at("/job/entryClass").asText()).isEqualTo(ClickstreamCli.class.getName());
      assertThat(spec.at("/jobManager/resource/memory").asText()).as(name).isNotBlank();
      assertThat(spec.at("/taskManager/resource/cpu").isNumber()).as(name).isTrue();
      JsonNode pod = spec.at("/podTemplate/spec");
      assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).as(name).isTrue();
      assertThat(pod.path("containers")).as(name).hasSize(1);
      JsonNode c = pod.at("/containers/0");
      assertThat(c.path("name").asText()).isEqualTo("flink-main-container");
      assertThat(c.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).as(name).isFalse();
      assertThat(c.at("/securityContext/readOnlyRootFilesystem").asBoolean()).as(name).isTrue();
      Map<String, String> env = new TreeMap<>();
      c.path("env").forEach(e -> env.put(e.path("name").asText(), e.path("value").asText()));
      assertThat(env).as(name).containsEntry("ORT_DISABLE_TELEMETRY", "1");
      // writable only where Flink writes: every mount not read-only is an emptyDir
      Map<String, JsonNode> volumes = new TreeMap<>();
      pod.path("volumes").forEach(v -> volumes.put(v.path("name").asText(), v));
      Set<String> writable = new TreeSet<>();
      for (JsonNode m : c.path("volumeMounts")) {
        JsonNode v = volumes.get(m.path("name").asText());
        assertThat(v).as("%s: volume of mount %s", name, m.path("name")).isNotNull();
        if (!m.path("readOnly").asBoolean(false)) {
          assertThat(v.has("emptyDir")).as("%s: writable mount %s", name, m.path("mountPath")).isTrue();
          writable.add(m.path("mountPath").asText());
        }
      }
      assertThat(writable).as(name).containsExactlyInAnyOrder("/tmp", "/opt/flink/log");
      assertThat(conf.get("io.tmp.dirs")).as(name).isEqualTo("/tmp");
      // Prometheus reporter on the port the PodMonitor scrapes
      assertThat(conf.get("metrics.reporter.prom.factory.class"))
          .isEqualTo("org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
      assertThat(c.path("ports")).anySatisfy(p -> {
        assertThat(p.path("name").asText()).isEqualTo("metrics");
        assertThat(p.path("containerPort").asText()).isEqualTo(conf.get("metrics.reporter.prom.port"));
      });
      assertThat(conf.get("classloader.parent-first-patterns.additional")).contains("ai.onnxruntime");

      if (name.equals("clickstream-stream")) {
        assertThat(spec.at("/job/upgradeMode").asText()).isEqualTo("savepoint");
        assertThat(conf).containsEntry("high-availability.type", "kubernetes")
            .containsEntry("state.backend.type", "rocksdb")
            .containsKey("kubernetes.operator.periodic.savepoint.interval");
        for (String k : List.of("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir",
            "high-availability.storageDir")) {
          assertThat(conf.get(k)).as(k).startsWith("s3://");
        }
        assertThat(volumes.get("model").at("/configMap/name").asText()).startsWith("clickstream-model-v");
      } else {
        assertThat(spec.at("/job/upgradeMode").asText()).as(name).isEqualTo("stateless");
        assertThat(spec.has("restartNonce")).as("%s re-runs by restartNonce", name).isTrue();
      }
    }
    if (kubectl != null) {
      for (List<JsonNode> docs : rendered.values()) {
        JsonNode stream = named(docs, "FlinkDeployment", "clickstream-stream");
        assertThat(stream.at("/spec/job/initialSavepointPath").asText()).startsWith("s3://");
      }
    }
  }

  // ------------------------------------------------------------------ plain objects and secrets

  @Test
  void plainObjectsAreWellFormedAndSecretsArePlaceholders() throws IOException {
    Set<String> kinds = Set.of("Namespace", "ConfigMap", "Secret", "ServiceAccount", "Role", "RoleBinding",
        "PodMonitor", "Deployment", "Service", "PersistentVolumeClaim");
    int secrets = 0;
    for (JsonNode d : documents) {
      String kind = d.path("kind").asText();
      String name = d.at("/metadata/name").asText();
      assertThat(d.path("apiVersion").asText()).as("%s apiVersion", name).isNotBlank();
      assertThat(name).as("%s metadata.name", kind).isNotBlank();
      if (FLINK_KINDS.contains(kind)) {
        continue;
      }
      assertThat(kinds).as("kind of %s", name).contains(kind);
      switch (kind) {
        case "Secret" -> {
          secrets++;
          for (String field : List.of("stringData", "data")) {
            d.path(field).fields().forEachRemaining(e -> assertThat(e.getValue().asText())
                .as("Secret %s %s is a placeholder", name, e.getKey()).contains("REPLACE_ME"));
          }
        }
        case "Role" -> assertThat(d.path("rules")).as(name).isNotEmpty();
        case "RoleBinding" -> {
          assertThat(d.at("/roleRef/kind").asText()).isEqualTo("Role");
          assertThat(d.path("subjects")).as(name).isNotEmpty();
        }
        case "PodMonitor" -> {
          assertThat(d.path("apiVersion").asText()).isEqualTo("monitoring.coreos.com/v1");
          assertThat(d.at("/spec/podMetricsEndpoints/0/port").asText()).isEqualTo("metrics");
        }
        case "Deployment" -> {
          assertThat(d.at("/spec/selector/matchLabels")).as(name).isNotEmpty();
          assertThat(d.at("/spec/template/metadata/labels")).as(name).isEqualTo(d.at("/spec/selector/matchLabels"));
          d.at("/spec/template/spec/containers").forEach(c ->
              assertThat(c.path("image").asText()).as("%s image pinned", name).contains(":").doesNotEndWith(":latest"));
        }
        case "ConfigMap" -> catalogHoldsNoSecret(d);
        default -> { }
      }
    }
    assertThat(secrets).as("example Secrets").isGreaterThanOrEqualTo(3);
    // the Role covers what the JobManagers do: TaskManager pods and HA ConfigMaps
    JsonNode role = ofKind(documents, "Role").get(0);
    Set<String> resources = new TreeSet<>();
    role.path("rules").forEach(r -> r.path("resources").forEach(x -> resources.add(x.asText())));
    assertThat(resources).contains("pods", "configmaps");
  }

  /** Catalog properties name secrets only as ${env:NAME}, taken from a Secret at run time. */
  static void catalogHoldsNoSecret(JsonNode configMap) {
    JsonNode props = configMap.at("/data/catalog.properties");
    if (props.isMissingNode()) {
      return;
    }
    Properties p = new Properties();
    try {
      p.load(new StringReader(props.asText()));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    assertThat(p).as("catalog.properties").isNotEmpty();
    for (String k : p.stringPropertyNames()) {
      if (Secrets.isSecret(k)) {
        assertThat(p.getProperty(k)).as("catalog property %s", k).matches("\\$\\{env:[A-Z0-9_]+}");
      }
    }
  }

  @Test
  void secretCheckFailsOnARealLookingValue() {
    ObjectNode cm = YAML.createObjectNode();
    cm.putObject("data").set("catalog.properties", TextNode.valueOf("type=rest\ncredential=abc:def\n"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> catalogHoldsNoSecret(cm))
        .isInstanceOf(AssertionError.class).hasMessageContaining("credential");
  }

  @Test
  void dockerfileBuildsTheImageTheDeploymentsExpect() throws IOException {
    String dockerfile = Files.readString(K8sManifests.k8s().resolve("Dockerfile"));
    assertThat(dockerfile)
        .contains("ARG FLINK_IMAGE=flink:2.1.1-java17")
        .contains("FROM ${FLINK_IMAGE}")
        .contains("-pl flink-jobs -am package")
        .contains("flink-jobs-*-job.jar")
        .contains("/opt/flink/usrlib/")
        .contains("ENV ORT_DISABLE_TELEMETRY=1")
        .contains("/opt/flink/lib/")
        .contains("plugins/s3-fs-hadoop")
        .contains("plugins/metrics-prometheus")
        .doesNotContain("model-artifacts");
    // the jar name the deployments load is the one every package builds
    String pom = Files.readString(K8sManifests.repoRoot().resolve("flink-jobs/pom.xml"));
    assertThat(pom).contains("<shadedClassifierName>job</shadedClassifierName>");
    String root = Files.readString(K8sManifests.repoRoot().resolve("pom.xml"));
    assertThat(root).contains("<version>0.1.0-SNAPSHOT</version>");
  }
}
