package io.clickstream.propensity.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.apache.flink.configuration.ConfigOption;

/**
 * Reads the project's {@code k8s/} folder the way a cluster would see it: overlays rendered with
 * {@code kubectl kustomize}, Flink custom resources validated against the Flink Kubernetes Operator's
 * own CRDs (closed, as {@code kubectl --validate=strict} would), {@code flinkConfiguration} keys
 * checked against Flink's own {@link ConfigOption}s.
 */
final class K8sManifests {
  static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  static final Set<String> FLINK_KINDS = Set.of("FlinkDeployment", "FlinkSessionJob", "FlinkStateSnapshot");

  /**
   * Operator settings read from flinkConfiguration (not Flink options, so not on the classpath: the
   * operator's jars are not served here). Names from the operator 1.15 configuration reference.
   */
  static final Set<String> OPERATOR_KEYS = Set.of(
      "kubernetes.operator.periodic.savepoint.interval",
      "kubernetes.operator.savepoint.history.max.count",
      "kubernetes.operator.savepoint.history.max.age",
      "kubernetes.operator.job.upgrade.last-state-fallback.enabled",
      "kubernetes.operator.job.restart.failed");

  /** Options of the Prometheus reporter plugin itself ({@code metrics.reporter.<name>.port}). */
  static final Set<String> PROMETHEUS_REPORTER_KEYS = Set.of("port", "filterLabelValueCharacters");

  private K8sManifests() {}

  static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("k8s/base"))) {
        return p;
      }
    }
    throw new IllegalStateException("no k8s/base above " + dir);
  }

  static Path k8s() {
    return repoRoot().resolve("k8s");
  }

  /** The operator 1.15.0 CRDs: {@code ../shared/k8s/operator-1.15.0-crds} beside the checkout. */
  static Path crdDir() {
    return repoRoot().resolveSibling("shared").resolve("k8s/operator-1.15.0-crds");
  }

  static List<Path> overlays() throws IOException {
    try (Stream<Path> s = Files.list(k8s().resolve("overlays"))) {
      return s.filter(p -> Files.isRegularFile(p.resolve("kustomization.yaml"))).sorted().toList();
    }
  }

  static List<JsonNode> documents(String yaml) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (var parser = YAML.getFactory().createParser(yaml)) {
      Iterator<JsonNode> it = YAML.readValues(parser, JsonNode.class);
      it.forEachRemaining(d -> {
        if (d != null && !d.isNull() && !d.isMissingNode()) {
          docs.add(d);
        }
      });
    }
    return docs;
  }

  static List<JsonNode> documents(Path file) throws IOException {
    return documents(Files.readString(file));
  }

  /** The whole resources of a kustomization as written (files only, not rendered). */
  static List<JsonNode> resourcesAsWritten(Path kustomizationDir) throws IOException {
    JsonNode k = YAML.readTree(kustomizationDir.resolve("kustomization.yaml").toFile());
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode r : k.path("resources")) {
      Path p = kustomizationDir.resolve(r.asText()).normalize();
      if (Files.isRegularFile(p)) {
        out.addAll(documents(p));
      }
    }
    return out;
  }

  /** kubectl on the PATH, or null. */
  static Path kubectl() {
    String path = System.getenv("PATH");
    if (path == null) {
      return null;
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path p = Path.of(dir, "kubectl");
      if (Files.isExecutable(p)) {
        return p;
      }
    }
    return null;
  }

  /** {@code kubectl kustomize DIR}: the overlay as it would be applied. */
  static String render(Path kubectl, Path overlay) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(kubectl.toString(), "kustomize", overlay.toString())
        .redirectErrorStream(false).start();
    byte[] out;
    byte[] err;
    try (InputStream o = p.getInputStream(); InputStream e = p.getErrorStream()) {
      out = o.readAllBytes();
      err = e.readAllBytes();
    }
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("kubectl kustomize " + overlay + " did not finish");
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("kubectl kustomize " + overlay + " failed: "
          + new String(err, StandardCharsets.UTF_8));
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- CRD schemas

  /** Strict schemas of the Flink custom resources by kind, for every version the CRD serves. */
  static Map<String, Map<String, JsonSchema>> crdSchemas(Path dir) throws IOException {
    // draft-04 plus the Kubernetes extensions the CRDs carry: preserve-unknown-fields is applied by
    // close(); int-or-string fields also list anyOf integer/string, which the validator checks
    JsonMetaSchema v4 = JsonMetaSchema.getV4();
    JsonMetaSchema kubernetes = JsonMetaSchema.builder(v4.getIri(), v4)
        .keyword(new NonValidationKeyword("x-kubernetes-preserve-unknown-fields"))
        .keyword(new NonValidationKeyword("x-kubernetes-int-or-string"))
        .build();
    JsonSchemaFactory factory = JsonSchemaFactory.builder(JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V4))
        .metaSchema(kubernetes).build();
    Map<String, Map<String, JsonSchema>> out = new HashMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml")).toList()) {
        JsonNode crd = YAML.readTree(f.toFile());
        String group = crd.at("/spec/group").asText();
        String kind = crd.at("/spec/names/kind").asText();
        for (JsonNode v : crd.at("/spec/versions")) {
          if (!v.path("served").asBoolean(true)) {
            continue;
          }
          ObjectNode schema = v.at("/schema/openAPIV3Schema").deepCopy();
          implicitRootFields(schema);
          close(schema);
          out.computeIfAbsent(kind, k -> new HashMap<>()).put(group + "/" + v.path("name").asText(),
              factory.getSchema(schema));
        }
      }
    }
    return out;
  }

  /**
   * A generated CRD lists only spec and status at the root: the API server supplies apiVersion, kind
   * and metadata (ObjectMeta). Add them with the metadata fields a manifest may set.
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
   * additionalProperties: false on every object schema that lists properties, unless it preserves
   * unknown fields (flinkConfiguration, ...): what the API server would otherwise prune silently.
   */
  static void close(JsonNode node) {
    if (node instanceof ObjectNode o) {
      if (o.path("properties").isObject()
          && !o.path("x-kubernetes-preserve-unknown-fields").asBoolean(false)
          && !o.has("additionalProperties")) {
        o.put("additionalProperties", false);
      }
      o.elements().forEachRemaining(K8sManifests::close);
    } else if (node instanceof ArrayNode a) {
      a.elements().forEachRemaining(K8sManifests::close);
    }
  }

  static Set<String> validate(Map<String, Map<String, JsonSchema>> schemas, JsonNode doc) {
    String kind = doc.path("kind").asText();
    Map<String, JsonSchema> versions = schemas.get(kind);
    if (versions == null) {
      return Set.of("no CRD for kind " + kind);
    }
    JsonSchema schema = versions.get(doc.path("apiVersion").asText());
    if (schema == null) {
      return Set.of(kind + " " + doc.path("apiVersion").asText() + " is not served; served: " + versions.keySet());
    }
    Set<String> out = new TreeSet<>();
    for (ValidationMessage m : schema.validate(doc)) {
      out.add(m.getMessage());
    }
    return out;
  }

  // ---------------------------------------------------------------- Flink configuration keys

  /** Keys of every {@link ConfigOption} constant of Flink's option classes on the classpath. */
  static Set<String> flinkOptionKeys() throws IOException {
    Set<String> keys = new TreeSet<>();
    ClassLoader loader = K8sManifests.class.getClassLoader();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      Path jar = Path.of(entry);
      if (!jar.getFileName().toString().startsWith("flink-") || !entry.endsWith(".jar")) {
        continue;
      }
      try (JarFile jf = new JarFile(jar.toFile())) {
        for (Enumeration<JarEntry> en = jf.entries(); en.hasMoreElements(); ) {
          String name = en.nextElement().getName();
          if (name.startsWith("org/apache/flink/") && name.endsWith("Options.class")
              && !name.contains("/shaded/")) {
            addOptions(loader, name.substring(0, name.length() - 6).replace('/', '.'), keys);
          }
        }
      }
    }
    return keys;
  }

  private static void addOptions(ClassLoader loader, String className, Set<String> keys) {
    try {
      Class<?> c = Class.forName(className, false, loader);
      for (Field f : c.getDeclaredFields()) {
        if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
          f.setAccessible(true);
          ConfigOption<?> o = (ConfigOption<?>) f.get(null);
          if (o != null) {
            keys.add(o.key());
          }
        }
      }
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      // an options class whose dependencies are not on this classpath defines none we use
    }
  }

  /**
   * Null when {@code key} is a setting Flink 2.1 (or the operator, or Flink's S3 plugin) reads, else
   * why not.
   */
  static String unknownKey(String key, Set<String> flinkKeys, Set<String> metricReporterKeys) {
    if (flinkKeys.contains(key) || OPERATOR_KEYS.contains(key)) {
      return null;
    }
    if (key.startsWith("kubernetes.operator.")) {
      return "operator setting not in the known list (K8sManifests.OPERATOR_KEYS)";
    }
    if (key.startsWith("metrics.reporter.")) {
      String[] parts = key.split("\\.", 4);
      if (parts.length == 4 && (metricReporterKeys.contains(parts[3])
          || PROMETHEUS_REPORTER_KEYS.contains(parts[3]))) {
        return null;
      }
      return "not a metric reporter option (metrics.reporter.<name>.<option>)";
    }
    if (key.startsWith("s3.")) {
      // Flink's S3 file system plugins mirror every s3.* key to their S3 client (fs.s3a.*)
      if (key.contains("secret") || key.contains("access-key") || key.contains("access.key")) {
        return "a credential: take it from a Secret (environment), never from flinkConfiguration";
      }
      return null;
    }
    return "not a Flink 2.1 configuration option (removed, renamed or misspelt)";
  }

  /** Reporter-scoped options of {@code MetricOptions} (factory.class, interval, ...). */
  static Set<String> metricReporterKeys(Set<String> flinkKeys) {
    Set<String> out = new TreeSet<>();
    for (Field f : org.apache.flink.configuration.MetricOptions.class.getDeclaredFields()) {
      if (Modifier.isStatic(f.getModifiers()) && ConfigOption.class.isAssignableFrom(f.getType())) {
        try {
          String key = ((ConfigOption<?>) f.get(null)).key();
          if (!key.startsWith("metrics.")) {
            out.add(key);
          }
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return out;
  }

  static Map<String, String> flinkConfiguration(JsonNode doc) {
    Map<String, String> out = new LinkedHashMap<>();
    flatten("", doc.at("/spec/flinkConfiguration"), out);
    return out;
  }

  /** flinkConfiguration may be nested YAML: {@code a: {b: 1}} is the key {@code a.b}. */
  private static void flatten(String prefix, JsonNode node, Map<String, String> out) {
    if (node.isObject()) {
      node.fields().forEachRemaining(e -> flatten(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), e.getValue(), out));
    } else if (!node.isMissingNode()) {
      out.put(prefix, node.asText());
    }
  }
}
