package io.clickstream.propensity.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A standalone Flink session cluster as separate OS processes on 127.0.0.1, the way Flink's own
 * {@code bin/jobmanager.sh} / {@code bin/taskmanager.sh} start it, from a folder of jars that
 * stands for the distribution's {@code lib/} (the {@code flink-cluster} module's target/lib):
 * memory flags from {@code BashJavaUtils}, a JobManager ({@code StandaloneSessionClusterEntrypoint})
 * and one TaskManager ({@code TaskManagerRunner}). {@link #cli} runs Flink's CLI frontend (what
 * {@code flink run} executes) as a third process.
 */
public final class StandaloneFlinkCluster implements AutoCloseable {
  /** What a Flink 2.1 distribution's config.yaml puts in env.java.default-opts.all for Java 17. */
  public static final List<String> JAVA17_OPTS = List.of(
      "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
      "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
      "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens=java.base/java.text=ALL-UNNAMED",
      "--add-opens=java.base/java.time=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");
  private static final String RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path lib;
  private final Path home;
  private final Map<String, String> settings;
  private final HttpClient http = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5)).build();
  private final List<Process> processes = new ArrayList<>();
  private int restPort;
  private int cliRuns;

  /** A cluster on {@code lib} with its conf, logs and temporary files under {@code home}. */
  public StandaloneFlinkCluster(Path lib, Path home, Map<String, String> settings) {
    this.lib = lib;
    this.home = home;
    this.settings = settings;
  }

  /** Result of one CLI run. */
  public record CliResult(int exitCode, String output, Path log) {}

  /** Starts both processes; stops what it started when the cluster does not come up. */
  public StandaloneFlinkCluster start(Duration timeout) throws Exception {
    try {
      return startProcesses(timeout);
    } catch (Exception | AssertionError e) {
      close();
      throw e;
    }
  }

  private StandaloneFlinkCluster startProcesses(Duration timeout) throws Exception {
    restPort = freePort();
    Path conf = Files.createDirectories(home.resolve("conf"));
    Files.createDirectories(home.resolve("log"));
    Files.createDirectories(home.resolve("tmp"));
    StringBuilder yaml = new StringBuilder()
        .append("jobmanager.rpc.address: 127.0.0.1\n")
        .append("jobmanager.bind-host: 127.0.0.1\n")
        .append("jobmanager.rpc.port: ").append(freePort()).append('\n')
        .append("taskmanager.host: 127.0.0.1\n")
        .append("taskmanager.bind-host: 127.0.0.1\n")
        .append("rest.address: 127.0.0.1\n")
        .append("rest.bind-address: 127.0.0.1\n")
        .append("rest.port: ").append(restPort).append('\n')
        .append("io.tmp.dirs: ").append(home.resolve("tmp")).append('\n')
        // RPCs between the two processes wait longer than Flink's 10 s default: on 2 shared cores
        // a TaskManager busy starting tasks once missed it and the job failed at deployment
        .append("pekko.ask.timeout: 60 s\n");
    settings.forEach((k, v) -> yaml.append(k).append(": ").append(v).append('\n'));
    Files.writeString(conf.resolve("config.yaml"), yaml);
    Files.writeString(conf.resolve("log4j.properties"), String.join("\n",
        "rootLogger.level = INFO",
        "rootLogger.appenderRef.file.ref = MainAppender",
        "appender.main.name = MainAppender",
        "appender.main.type = File",
        "appender.main.fileName = ${sys:log.file}",
        "appender.main.layout.type = PatternLayout",
        "appender.main.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-30c{1} - %m%n",
        "logger.kafka.name = org.apache.kafka",
        "logger.kafka.level = WARN",
        ""));

    String[] jm = bashJavaUtils("GET_JM_RESOURCE_PARAMS");
    processes.add(launch("jobmanager", jm[0],
        "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
        concat(List.of("--configDir", conf.toString(), "--executionMode", "cluster"), jm[1])));
    String[] tm = bashJavaUtils("GET_TM_RESOURCE_PARAMS");
    processes.add(launch("taskmanager", tm[0],
        "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
        concat(List.of("--configDir", conf.toString()), tm[1])));
    await("a TaskManager registered at the JobManager", timeout, () -> {
      JsonNode overview = rest("/overview");
      return overview != null && overview.path("taskmanagers").asInt() >= 1;
    });
    return this;
  }

  /** {@code host:port} of the REST endpoint, what {@code flink run -m} takes. */
  public String address() {
    return "127.0.0.1:" + restPort;
  }

  /** GET on the REST API, or null when it does not answer (yet). */
  public JsonNode rest(String path) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(
              URI.create("http://" + address() + path)).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** State of a job ("RUNNING", "FINISHED", ...), or null when unknown. */
  public String jobState(String jobId) {
    JsonNode job = rest("/jobs/" + jobId);
    return job == null ? null : job.path("state").asText(null);
  }

  /**
   * Runs {@code org.apache.flink.client.cli.CliFrontend ARGS} (what {@code bin/flink ARGS} runs) with
   * the cluster's conf and lib/ on its classpath, and waits for it to end.
   */
  public CliResult cli(Duration timeout, String... args) throws Exception {
    int n = ++cliRuns;
    Path out = home.resolve("log").resolve("client-" + n + ".out");
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.addAll(JAVA17_OPTS);
    cmd.addAll(List.of("-Xmx768m", "-cp", lib + File.separator + "*",
        "-Dlog.file=" + home.resolve("log").resolve("client-" + n + ".log"),
        "-Dlog4j.configurationFile=" + home.resolve("conf/log4j.properties").toUri(),
        "org.apache.flink.client.cli.CliFrontend"));
    cmd.addAll(Arrays.asList(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    environment(pb);
    Process p = pb.start();
    if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      throw new IllegalStateException("flink " + args[0] + " did not end within " + timeout
          + "; output:\n" + tail(out));
    }
    return new CliResult(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), out);
  }

  public CliResult cli(Duration timeout, List<String> args) throws Exception {
    return cli(timeout, args.toArray(String[]::new));
  }

  /** The last lines of the cluster's logs, for failure messages. */
  public String logs() {
    StringBuilder sb = new StringBuilder();
    for (String name : List.of("jobmanager.log", "taskmanager.log", "taskmanager.out")) {
      sb.append("--- ").append(name).append(" ---\n").append(tail(home.resolve("log").resolve(name)));
    }
    return sb.toString();
  }

  public static void await(String what, Duration timeout, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
      }
      Thread.sleep(250);
    }
  }

  @Override
  public void close() {
    for (int i = processes.size() - 1; i >= 0; i--) {
      Process p = processes.get(i);
      p.destroy();
      try {
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        p.destroyForcibly();
      }
    }
    processes.clear();
  }

  private String[] bashJavaUtils(String command) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx128m", "-cp", lib + File.separator + "*",
        "-Dlog4j.configurationFile=" + home.resolve("conf/log4j.properties").toUri(),
        "-Dlog.file=" + home.resolve("log").resolve("bash-java-utils.log"),
        "org.apache.flink.runtime.util.bash.BashJavaUtils", command,
        "--configDir", home.resolve("conf").toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("BashJavaUtils " + command + " failed:\n" + output);
    }
    List<String> results = output.lines().filter(l -> l.startsWith(RESULT_PREFIX))
        .map(l -> l.substring(RESULT_PREFIX.length()).trim()).toList();
    if (results.size() < 2) {
      throw new IllegalStateException("BashJavaUtils " + command + " printed no result:\n" + output);
    }
    // line 1: heap and other JVM flags; line 2: "-D key=value" options the entrypoint requires
    return new String[] {results.get(results.size() - 2), results.get(results.size() - 1)};
  }

  private Process launch(String name, String jvmFlags, String mainClass, List<String> args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.addAll(Arrays.asList(jvmFlags.trim().split("\\s+")));
    cmd.addAll(JAVA17_OPTS);
    cmd.addAll(List.of("-cp", lib + File.separator + "*",
        "-Dlog.file=" + home.resolve("log").resolve(name + ".log"),
        "-Dlog4j.configurationFile=" + home.resolve("conf/log4j.properties").toUri(),
        mainClass));
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(home.resolve("log").resolve(name + ".out").toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    environment(pb);
    return pb.start();
  }

  private void environment(ProcessBuilder pb) {
    pb.environment().put("FLINK_CONF_DIR", home.resolve("conf").toString());
    pb.environment().put("FLINK_LIB_DIR", lib.toString());
    // ONNX Runtime 1.29's telemetry crashes JVMs with long command lines (README, STACK)
    pb.environment().put("ORT_DISABLE_TELEMETRY", "1");
  }

  private static List<String> concat(List<String> first, String dynamicOptions) {
    List<String> all = new ArrayList<>(first);
    if (!dynamicOptions.isBlank()) {
      all.addAll(Arrays.asList(dynamicOptions.trim().split("\\s+")));
    }
    return all;
  }

  private static String java() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String tail(Path file) {
    try {
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())) + "\n";
    } catch (IOException e) {
      return "(no " + file.getFileName() + ")\n";
    }
  }
}
