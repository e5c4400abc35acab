package io.clickstream.propensity.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.propensity.features.DailySeed;
import io.clickstream.propensity.features.DailyState;
import io.clickstream.propensity.features.FeatureSerializers;
import io.clickstream.propensity.features.FeatureSet;
import io.clickstream.propensity.features.StateBootstrap;
import io.clickstream.propensity.jobs.FeaturePipeline;
import io.clickstream.propensity.jobs.StateFormatCheck;
import io.clickstream.propensity.jobs.WarmStartJob;
import io.clickstream.propensity.scoring.ModelContract;
import io.clickstream.propensity.testing.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.OperatorTransformation;
import org.apache.flink.state.api.SavepointWriter;
import org.apache.flink.state.api.StateBootstrapTransformation;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Bad configuration fails at start-up, through the command line as users call it, with one line
 * on stderr that says what to fix, exit code 2 and no stack trace.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class StartupChecksTest {
  @RegisterExtension static final EmbeddedKafka KAFKA = new EmbeddedKafka();
  @TempDir static Path tmp;

  static final String TOPIC = "startup-events";
  static Path model;
  static Path aFile;

  @BeforeAll
  static void setUp() throws IOException {
    KAFKA.createTopic(TOPIC, 1);
    model = copyModel("model");
    aFile = Files.writeString(tmp.resolve("a-file"), "not a directory");
  }

  /** The project's model folder, copied so that a test may spoil it. */
  static Path copyModel(String name) throws IOException {
    Path from = CliTest.repoFile("model-artifacts");
    Path to = Files.createDirectories(tmp.resolve(name));
    for (String f : List.of(ModelContract.CARD_FILE, ModelContract.ONNX_FILE)) {
      Files.copy(from.resolve(f), to.resolve(f));
    }
    return to;
  }

  record Result(int code, String stderr, String stdout, long millis) {
    /** Asserts the one-line failure and returns that line. */
    String oneLine() {
      assertThat(stderr).as("stderr of a failed start-up").doesNotContain("\tat ")
          .doesNotContain("Exception:");
      assertThat(stderr.lines().toList()).as("stderr lines").hasSize(1);
      assertThat(code).as("exit code").isEqualTo(2);
      String line = stderr.strip();
      assertThat(line).startsWith("error: ");
      return line;
    }
  }

  /** Runs the CLI with its own error handling, capturing both streams. */
  static Result run(List<String> args) {
    StringWriter err = new StringWriter();
    PrintStream out = System.out;
    PrintStream errStream = System.err;
    ByteArrayOutputStream outBuf = new ByteArrayOutputStream();
    ByteArrayOutputStream errBuf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(outBuf, true, StandardCharsets.UTF_8));
    System.setErr(new PrintStream(errBuf, true, StandardCharsets.UTF_8));
    long start = System.nanoTime();
    int code;
    try {
      code = new CommandLine(new ClickstreamCli())
          .setExecutionExceptionHandler(new ClickstreamCli.FailFast())
          .setErr(new PrintWriter(err, true))
          .execute(args.toArray(String[]::new));
    } finally {
      System.setOut(out);
      System.setErr(errStream);
    }
    long millis = (System.nanoTime() - start) / 1_000_000;
    return new Result(code, errBuf.toString(StandardCharsets.UTF_8) + err,
        outBuf.toString(StandardCharsets.UTF_8), millis);
  }

  /** A stream command line that passes every check, with {@code overrides} replacing options. */
  static List<String> stream(String... overrides) {
    Map<String, String> options = new LinkedHashMap<>();
    options.put("--bootstrap-servers", KAFKA.bootstrapServers());
    options.put("--topic", TOPIC);
    options.put("--warehouse", tmp.resolve("warehouse").toString());
    options.put("--model", model.toString());
    options.put("--checkpoint-dir", tmp.resolve("checkpoints").toString());
    options.put("--kafka-check-timeout", "3s");
    options.put("--bounded", null);
    options.put("--no-warm-start", null);
    for (int i = 0; i < overrides.length; i += 2) {
      options.put(overrides[i], overrides[i + 1]);
    }
    List<String> args = new ArrayList<>(List.of("stream"));
    options.forEach((k, v) -> {
      args.add(k);
      if (v != null) {
        args.add(v);
      }
    });
    return args;
  }

  static int closedPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** An existing directory this process cannot write to (as root, chmod does not stop it). */
  static Path unwritableDirectory() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("read-only"));
    dir.toFile().setWritable(false, false);
    if (!Files.isWritable(dir)) {
      return dir;
    }
    // root writes anywhere on a normal file system; proc refuses new files even to root
    return Path.of("/proc/self");
  }

  @Test
  void unreachableKafkaFailsWithinTheTimeoutNamingTheServers() throws IOException {
    String servers = "127.0.0.1:" + closedPort();
    Result r = run(stream("--bootstrap-servers", servers, "--kafka-check-timeout", "2s"));
    assertThat(r.oneLine())
        .contains("Kafka at " + servers + " did not answer within 2 s")
        .contains("--bootstrap-servers");
    assertThat(r.millis()).as("ms until the line").isLessThan(15_000);
  }

  @Test
  void replayChecksKafkaToo() throws IOException {
    String servers = "127.0.0.1:" + closedPort();
    Path csv = Files.writeString(tmp.resolve("replay.csv"), "event_time\n");
    Result r = run(List.of("replay", "--input", csv.toString(), "--bootstrap-servers", servers,
        "--kafka-check-timeout", "2s"));
    assertThat(r.oneLine()).contains("Kafka at " + servers + " did not answer within 2 s")
        .contains("--bootstrap-servers");
    assertThat(r.millis()).as("ms until the line").isLessThan(15_000);
  }

  @Test
  void aMessageThatQuotesALineBreakStaysOneLine() {
    assertThat(run(stream("--starting-offsets", "next\nweek")).oneLine())
        .contains("starting offsets 'next week' must be earliest, latest, committed");
  }

  @Test
  void unusableBootstrapServersAreNamed() {
    Result r = run(stream("--bootstrap-servers", "no-such-host.invalid:9092"));
    assertThat(r.oneLine()).contains("no-such-host.invalid:9092").contains("--bootstrap-servers");
  }

  @Test
  void aMissingInputTopicSaysHowToCreateItOrWhichOptionSetsIt() {
    Result r = run(stream("--topic", "no-such-topic"));
    assertThat(r.oneLine())
        .contains("topic 'no-such-topic' does not exist on Kafka at " + KAFKA.bootstrapServers())
        .contains("create it").contains("--topic");
  }

  @Test
  void aWarehouseThatCannotBeCreatedOrWrittenIsNamed() throws IOException {
    String underAFile = aFile.resolve("warehouse").toString();
    assertThat(run(stream("--warehouse", underAFile)).oneLine())
        .startsWith("error: --warehouse " + underAFile + ": ").contains("cannot create");
    Path readOnly = unwritableDirectory();
    assertThat(run(stream("--warehouse", readOnly.toString())).oneLine())
        .startsWith("error: --warehouse " + readOnly + ": ")
        .contains("warehouse directory " + readOnly + " is not writable");
    // the backfill writes there too
    Path csv = Files.writeString(tmp.resolve("in.csv"), "event_time\n");
    assertThat(run(List.of("backfill", "--input", csv.toString(), "--warehouse",
        readOnly.toString())).oneLine()).contains(readOnly + " is not writable");
  }

  @Test
  void anUnusableCheckpointDirectoryIsNamed() throws IOException {
    String underAFile = aFile.resolve("checkpoints").toString();
    assertThat(run(stream("--checkpoint-dir", underAFile)).oneLine())
        .startsWith("error: --checkpoint-dir " + underAFile + ": ")
        .contains(aFile + " is a file, not a directory");
    String readOnly = unwritableDirectory().toString();
    assertThat(run(stream("--checkpoint-dir", readOnly)).oneLine())
        .startsWith("error: --checkpoint-dir " + readOnly + ": ")
        .contains("checkpoint directory " + readOnly + " is not writable");
  }

  @Test
  void otherCommandsCheckTheDirectoriesTheyWrite() {
    String underAFile = aFile.resolve("x").toString();
    assertThat(run(List.of("bootstrap", "--warehouse", tmp.resolve("warehouse").toString(),
        "--savepoint-dir", underAFile)).oneLine())
        .startsWith("error: --savepoint-dir " + underAFile + ": ");
    assertThat(run(List.of("train", "--warehouse", tmp.resolve("warehouse").toString(),
        "--out", underAFile)).oneLine())
        .startsWith("error: --out " + underAFile + ": ");
  }

  @Test
  void aCorruptOrMismatchedModelIsOneLineAgainstTheModelOption() throws Exception {
    ObjectMapper json = new ObjectMapper();
    // not ONNX, with a card that describes these very bytes: the ONNX loader refuses them
    Path corrupt = copyModel("corrupt-model");
    byte[] garbage = "this is not an ONNX model".getBytes(StandardCharsets.UTF_8);
    Files.write(corrupt.resolve(ModelContract.ONNX_FILE), garbage);
    ObjectNode card = (ObjectNode) json.readTree(corrupt.resolve(ModelContract.CARD_FILE).toFile());
    ((ObjectNode) card.get("onnx")).put("sha256",
        HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(garbage)));
    json.writeValue(corrupt.resolve(ModelContract.CARD_FILE).toFile(), card);
    assertThat(run(stream("--model", corrupt.toString())).oneLine())
        .startsWith("error: --model " + corrupt + ": ").contains("is not a loadable ONNX model");

    // an ONNX file the card does not describe (a copy from another training run)
    Path swapped = copyModel("swapped-model");
    Files.write(swapped.resolve(ModelContract.ONNX_FILE), garbage);
    assertThat(run(stream("--model", swapped.toString())).oneLine())
        .startsWith("error: --model " + swapped + ": ").contains("is not the model");

    // trained on another feature layout
    Path mismatched = copyModel("mismatched-model");
    ObjectNode card2 =
        (ObjectNode) json.readTree(mismatched.resolve(ModelContract.CARD_FILE).toFile());
    ArrayNode features = (ArrayNode) card2.get("features");
    var first = features.remove(0);
    features.add(first);
    json.writeValue(mismatched.resolve(ModelContract.CARD_FILE).toFile(), card2);
    assertThat(run(stream("--model", mismatched.toString())).oneLine())
        .startsWith("error: --model " + mismatched + ": ")
        .contains("lists features that differ").contains("retrain");
  }

  /**
   * A real savepoint with keyed state of the product stage, written by Flink's State Processor
   * API with the production serializer, under each of {@code uids}.
   */
  static Path writeSavepoint(String name, String... uids) throws Exception {
    Path dir = tmp.resolve(name);
    StreamExecutionEnvironment env = WarmStartJob.environment(LocalFlink.configuration(1));
    DailySeed seed = new DailySeed();
    seed.set = FeatureSet.PRODUCT;
    seed.state = new DailyState();
    seed.state.productId = 42;
    seed.state.base = new int[] {1, 2, 3, 4};
    StateBootstrapTransformation<DailySeed> state = OperatorTransformation
        .bootstrapWith(env.fromData(Types.POJO(DailySeed.class), seed))
        .keyBy(new StateBootstrap.DailySeedKey(FeatureSet.PRODUCT), Types.LONG)
        .transform(new StateBootstrap.Daily(FeatureSet.PRODUCT));
    SavepointWriter writer =
        SavepointWriter.newSavepoint(env, new HashMapStateBackend(), WarmStartJob.MAX_PARALLELISM);
    for (String uid : uids) {
      writer = writer.withOperator(OperatorIdentifier.forUid(uid), state);
    }
    writer.write(dir.toUri().toString());
    env.execute("startup-check-savepoint");
    assertThat(dir.resolve("_metadata")).exists();
    return dir;
  }

  /**
   * Rewrites the layout version in every serializer snapshot of DailyState in the files of a
   * savepoint: what a build with another layout of that record would have written.
   */
  static int patchLayout(Path savepoint, int layout) throws IOException {
    ByteArrayOutputStream name = new ByteArrayOutputStream();
    new java.io.DataOutputStream(name).writeUTF(
        FeatureSerializers.DailyStateSerializer.DailyStateSnapshot.class.getName());
    byte[] needle = name.toByteArray();
    int patched = 0;
    try (Stream<Path> files = Files.list(savepoint)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        byte[] bytes = Files.readAllBytes(f);
        for (int i = indexOf(bytes, needle, 0); i >= 0; i = indexOf(bytes, needle, i + 1)) {
          int at = i + needle.length;
          // snapshot version 4, then the layout (1 in this build)
          if (Arrays.equals(bytes, at, at + 8, new byte[] {0, 0, 0, 4, 0, 0, 0, 1}, 0, 8)) {
            bytes[at + 7] = (byte) layout;
            patched++;
          }
        }
        Files.write(f, bytes);
      }
    }
    return patched;
  }

  static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else {
          Files.copy(f, target);
        }
      }
    }
  }

  @Test
  void aSavepointOfAnotherStateLayoutOrAnotherJobIsRefusedInOneLine() throws Exception {
    // the product stage's state under its uid, and the same under a uid the job does not have
    Path savepoint = writeSavepoint("savepoint", FeaturePipeline.stageUid(FeatureSet.PRODUCT),
        "an-operator-of-another-job");
    // as written by this build: the layout check finds nothing to refuse
    assertThat(StateFormatCheck.unreadable(savepoint.toUri().toString())).isEmpty();

    Path otherLayout = tmp.resolve("savepoint-layout-2");
    copyTree(savepoint, otherLayout);
    assertThat(patchLayout(otherLayout, 2)).as("patched snapshots").isPositive();
    String path = otherLayout.toUri().toString();
    Result r = run(stream("--restore", path));
    assertThat(r.oneLine())
        .startsWith("error: --restore " + path + " holds state this build does not read")
        .contains("DailyState state has layout 2, this build reads layout 1")
        .contains("clickstream bootstrap");

    // of the two operators only the foreign one is refused: the product stage is the job's
    Result f = run(stream("--restore", savepoint.toUri().toString()));
    assertThat(f.oneLine())
        .startsWith("error: --restore " + savepoint.toUri() + " holds state of 1 operator(s) this "
            + "job does not have")
        .contains("not a checkpoint or savepoint of this stream job");
  }

  /**
   * The positive case of both restore checks: a retained checkpoint of this very stream job
   * passes them, and Flink restores the job from it.
   */
  @Test
  void aCheckpointOfThisStreamJobPassesTheRestoreChecks() throws Exception {
    String topic = "restore-events";
    KAFKA.createTopic(topic, 1);
    String event = "{\"event_time\":\"2020-09-24T11:57:0%dZ\",\"event_type\":\"%s\","
        + "\"product_id\":1996170,\"category_id\":2144415922528452715,\"brand\":\"samsung\","
        + "\"price\":35.79,\"user_id\":1515915625519388267,\"user_session\":\"s1\"}";
    KAFKA.produceStrings(topic, "u", String.format(event, 1, "view"),
        "u", String.format(event, 2, "cart"), "u", String.format(event, 3, "view"));
    Path checkpoints = tmp.resolve("restore-checkpoints");
    int port = closedPort();
    List<String> args = new ArrayList<>(stream("--topic", topic, "--checkpoint-dir",
        checkpoints.toString(), "--checkpoint-interval", "1s", "--web-ui-port",
        String.valueOf(port), "--group-id", "restore-test", "--starting-offsets", "earliest",
        "--parallelism", "1"));
    args.remove("--bounded");
    Rest rest = new Rest(port);

    CompletableFuture<Result> first = CompletableFuture.supplyAsync(() -> run(args));
    String firstJob = rest.awaitRunningJob(first);
    await("a completed checkpoint", first, () -> retainedCheckpoint(checkpoints));
    rest.cancel(firstJob);
    first.get(60, TimeUnit.SECONDS);
    // later checkpoints subsume earlier ones: the one kept on cancel is the newest
    Path checkpoint = retainedCheckpoint(checkpoints);
    assertThat(checkpoint.getParent().getFileName().toString()).isEqualTo(firstJob);

    List<String> restoreArgs = new ArrayList<>(args);
    restoreArgs.addAll(List.of("--restore", checkpoint.toUri().toString()));
    CompletableFuture<Result> second = CompletableFuture.supplyAsync(() -> run(restoreArgs));
    String secondJob = rest.awaitRunningJob(second);
    assertThat(secondJob).isNotEqualTo(firstJob);
    // Flink itself restored the job from that checkpoint
    JsonNode restored = await("the restore in the job's checkpoint statistics", second, () -> {
      JsonNode latest = rest.get("/jobs/" + secondJob + "/checkpoints").path("latest");
      return latest.path("restored").isObject() ? latest.path("restored") : null;
    });
    assertThat(restored.path("external_path").asText()).contains(checkpoint.getFileName().toString());
    rest.cancel(secondJob);
    Result r = second.get(60, TimeUnit.SECONDS);
    assertThat(r.stderr()).doesNotContain("error: --restore");
  }

  /** The newest complete checkpoint under {@code dir}, or null. */
  static Path retainedCheckpoint(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return null;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.getFileName().toString().equals("_metadata"))
          .map(Path::getParent)
          .max(java.util.Comparator.comparingInt(
              c -> Integer.parseInt(c.getFileName().toString().substring("chk-".length()))))
          .orElse(null);
    }
  }

  interface Probe<T> {
    T get() throws Exception;
  }

  /** Polls {@code probe} until it returns a value, failing early when the CLI run has ended. */
  static <T> T await(String what, CompletableFuture<Result> run, Probe<T> probe)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (System.nanoTime() < deadline) {
      if (run.isDone()) {
        throw new AssertionError("the stream ended before " + what + ": " + run.get());
      }
      T value;
      try {
        value = probe.get();
      } catch (IOException | java.io.UncheckedIOException e) {
        value = null; // not up yet, or a subsumed checkpoint deleted while listed
      }
      if (value != null) {
        return value;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("no " + what + " within 180 s");
  }

  /** The local MiniCluster's REST API. */
  static final class Rest {
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private final String base;

    Rest(int port) {
      this.base = "http://127.0.0.1:" + port;
    }

    JsonNode get(String path) throws IOException, InterruptedException {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).GET()
          .build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IOException(path + ": HTTP " + r.statusCode());
      }
      return json.readTree(r.body());
    }

    String awaitRunningJob(CompletableFuture<Result> run) throws Exception {
      return await("a running job", run, () -> {
        for (JsonNode job : get("/jobs").path("jobs")) {
          if ("RUNNING".equals(job.path("status").asText())) {
            return job.path("id").asText();
          }
        }
        return null;
      });
    }

    void cancel(String job) throws IOException, InterruptedException {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(
              URI.create(base + "/jobs/" + job + "?mode=cancel"))
          .method("PATCH", HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("cancel " + job).isEqualTo(202);
    }
  }

  /**
   * As users see it: the launcher's JVM with the launcher's logging, so that warnings logged
   * while the check waits would show up on stderr too.
   */
  @Test
  void aLauncherJvmPrintsOnlyTheLine() throws Exception {
    String servers = "127.0.0.1:" + closedPort();
    Path argFile = tmp.resolve("java-args");
    Files.writeString(argFile, "-cp \"" + System.getProperty("java.class.path")
        .replace("\\", "\\\\") + "\"\n");
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "@" + argFile,
        "-Xmx512m", "-XX:+UseSerialGC", "--add-opens=java.base/java.nio=ALL-UNNAMED",
        "--add-opens=java.base/java.util=ALL-UNNAMED",
        "-Dlog4j.configurationFile=clickstream-log4j2.properties",
        ClickstreamCli.class.getName()));
    command.addAll(stream("--bootstrap-servers", servers, "--kafka-check-timeout", "2s"));
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectOutput(tmp.resolve("launcher.out").toFile())
        .redirectError(tmp.resolve("launcher.err").toFile());
    pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
    Process p = pb.start();
    assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("launcher ended").isTrue();
    String err = Files.readString(tmp.resolve("launcher.err"));
    Result r = new Result(p.exitValue(), err, Files.readString(tmp.resolve("launcher.out")), 0);
    assertThat(r.oneLine()).contains("Kafka at " + servers + " did not answer within 2 s");
    assertThat(r.stdout()).isEmpty();
  }
}
