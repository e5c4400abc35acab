package io.clickstream.propensity.kafka;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.GroupIdNotFoundException;

/**
 * A real single-node Kafka broker (KRaft, combined broker + controller) run as a background
 * process on 127.0.0.1, for demos and benchmarks without Docker. Everything lives in one folder:
 * {@code server.properties}, {@code data/} (the log, kept across stop/start), {@code broker.log}
 * (its stdout and stderr) and {@code broker.pid} while it runs.
 *
 * <p>The broker's classpath is the folder the {@code kafka-broker} Maven module fills with
 * {@code kafka_2.13} and its runtime dependencies: system property {@value #LIB_PROPERTY} or
 * environment variable {@value #LIB_ENV} (bin/clickstream sets it).
 */
public final class LocalKafkaBroker {
  public static final String LIB_PROPERTY = "clickstream.kafka.lib";
  public static final String LIB_ENV = "CLICKSTREAM_KAFKA_LIB";
  public static final int DEFAULT_PORT = 9092;
  private static final String PID_FILE = "broker.pid";
  private static final String LOG_FILE = "broker.log";
  private static final String MAIN_CLASS = "kafka.Kafka";
  /** A group no client uses: asked about to learn when the group coordinator is ready. */
  private static final String READINESS_PROBE_GROUP = "clickstream-readiness-probe";

  private final Path dir;
  private final Path lib;
  private String heapOptions = "-Xms256m -Xmx1g";

  public LocalKafkaBroker(Path dir, Path lib) {
    this.dir = dir.toAbsolutePath().normalize();
    this.lib = lib == null ? null : lib.toAbsolutePath().normalize();
  }

  /** The broker classpath folder configured for this JVM, if any. */
  public static Optional<Path> configuredLib() {
    String v = System.getProperty(LIB_PROPERTY);
    if (v == null || v.isBlank()) {
      v = System.getenv(LIB_ENV);
    }
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(Path.of(v));
  }

  /** JVM heap flags of the broker process (default {@code -Xms256m -Xmx1g}). */
  public LocalKafkaBroker heapOptions(String options) {
    this.heapOptions = options;
    return this;
  }

  public Path dir() {
    return dir;
  }

  public Path logFile() {
    return dir.resolve(LOG_FILE);
  }

  /** Outcome of {@link #start}. */
  public record Started(String bootstrapServers, long pid, boolean alreadyRunning, long millis) {}

  /**
   * Starts the broker (formatting the storage on first use) and returns once it answers a client,
   * or reports that one already runs in this folder on the same port.
   *
   * @throws IllegalStateException with a message for the user: port taken, another broker in the
   *     folder on another port, missing classpath, or the broker failed (its log tail included)
   */
  public Started start(int port, int numPartitions, Duration timeout, PrintStream info)
      throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    Files.createDirectories(dir);
    Optional<ProcessHandle> running = runningProcess();
    if (running.isPresent()) {
      int runningPort = configuredPort();
      if (runningPort == port) {
        return new Started(bootstrap(port), running.get().pid(), true, 0);
      }
      throw new IllegalStateException("a broker already runs in " + dir + " (pid "
          + running.get().pid() + ", " + bootstrap(runningPort) + "); stop it first");
    }
    Path libDir = checkLib();
    if (!portIsFree(port)) {
      throw new IllegalStateException("port " + port + " on 127.0.0.1 is already in use "
          + "(another Kafka broker?): choose another port");
    }
    int controllerPort = freePort(port);
    Path properties = dir.resolve("server.properties");
    writeServerProperties(properties, port, controllerPort, numPartitions);
    Path log4j = dir.resolve("log4j2.properties");
    Files.writeString(log4j, LOG4J_CONFIG, StandardCharsets.UTF_8);

    Path dataDir = dir.resolve("data");
    if (!Files.exists(dataDir.resolve("meta.properties"))) {
      info.println("kafka: formatting new storage in " + dataDir);
      format(libDir, properties, log4j);
    }

    List<String> command = new ArrayList<>();
    // its own session: the broker outlives this command and ignores the terminal's hangup/Ctrl-C
    if (new File("/usr/bin/setsid").canExecute()) {
      command.add("/usr/bin/setsid");
    }
    command.add(javaBinary());
    command.addAll(List.of(heapOptions.trim().split("\\s+")));
    command.addAll(List.of("-XX:+UseG1GC", "-Djava.awt.headless=true",
        "-Dlog4j2.configurationFile=" + log4j.toUri(),
        "-cp", libDir + File.separator + "*", MAIN_CLASS, properties.toString()));
    ProcessBuilder pb = new ProcessBuilder(command)
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process process = pb.start();
    Files.writeString(dir.resolve(PID_FILE), process.pid() + "\n", StandardCharsets.UTF_8);
    info.println("kafka: started broker pid " + process.pid() + " in " + dir
        + " (log: " + logFile() + ")");

    String bootstrap = bootstrap(port);
    try {
      awaitReady(process, port, timeout);
    } catch (RuntimeException | IOException | InterruptedException e) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
      Files.deleteIfExists(dir.resolve(PID_FILE));
      throw new IllegalStateException("the broker did not come up: " + e.getMessage()
          + "\n--- last lines of " + logFile() + " ---\n" + logTail(40), e);
    }
    return new Started(bootstrap, process.pid(), false, (System.nanoTime() - t0) / 1_000_000);
  }

  /**
   * Stops the broker of this folder: SIGTERM, then SIGKILL after {@code grace}.
   *
   * @return false when no broker was running (a stale pid file is removed)
   */
  public boolean stop(Duration grace, PrintStream info) throws IOException, InterruptedException {
    Optional<ProcessHandle> running = runningProcess();
    Path pidFile = dir.resolve(PID_FILE);
    if (running.isEmpty()) {
      Files.deleteIfExists(pidFile);
      info.println("kafka: no broker running in " + dir);
      return false;
    }
    ProcessHandle p = running.get();
    long t0 = System.nanoTime();
    p.destroy();
    try {
      p.onExit().get(grace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      info.println("kafka: broker pid " + p.pid() + " did not stop within " + grace.toSeconds()
          + " s; killing it");
      p.destroyForcibly();
      try {
        p.onExit().get(10, TimeUnit.SECONDS);
      } catch (TimeoutException | ExecutionException e2) {
        throw new IllegalStateException("broker pid " + p.pid() + " survived SIGKILL");
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
    Files.deleteIfExists(pidFile);
    info.printf("kafka: stopped broker pid %d in %.1f s%n", p.pid(),
        (System.nanoTime() - t0) / 1e9);
    return true;
  }

  /** The running broker of this folder (a pid file whose process is alive and is a broker). */
  public Optional<ProcessHandle> runningProcess() throws IOException {
    Path pidFile = dir.resolve(PID_FILE);
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    long pid;
    try {
      pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).trim());
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    // a reused pid after a reboot must not be mistaken for (or killed as) our broker
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(p -> p.info().commandLine()
        .map(cl -> cl.contains(MAIN_CLASS) && cl.contains(dir.toString())).orElse(true));
  }

  /** The client port in this folder's server.properties, or -1. */
  public int configuredPort() throws IOException {
    Path properties = dir.resolve("server.properties");
    if (!Files.exists(properties)) {
      return -1;
    }
    Properties p = new Properties();
    try (var in = Files.newBufferedReader(properties, StandardCharsets.UTF_8)) {
      p.load(in);
    }
    String listeners = p.getProperty("listeners", "");
    for (String l : listeners.split(",")) {
      if (l.startsWith("PLAINTEXT://")) {
        return Integer.parseInt(l.substring(l.lastIndexOf(':') + 1).trim());
      }
    }
    return -1;
  }

  public static String bootstrap(int port) {
    return "127.0.0.1:" + port;
  }

  /** The last lines of broker.log (empty when there is none). */
  public String logTail(int lines) {
    try {
      if (!Files.exists(logFile())) {
        return "";
      }
      List<String> all = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + logFile() + ": " + e.getMessage() + ")";
    }
  }

  private Path checkLib() {
    if (lib == null) {
      throw new IllegalStateException("no Kafka broker classpath configured: set -D" + LIB_PROPERTY
          + " or " + LIB_ENV + " to kafka-broker/target/lib (bin/clickstream does)");
    }
    try (var files = Files.list(lib)) {
      if (files.anyMatch(f -> f.getFileName().toString().startsWith("kafka_2.13-"))) {
        return lib;
      }
    } catch (IOException e) {
      // reported below
    }
    throw new IllegalStateException("the Kafka broker classpath " + lib + " is missing: build it "
        + "with `mvn -B -pl kafka-broker package` at the repository root");
  }

  private void writeServerProperties(Path file, int port, int controllerPort, int numPartitions)
      throws IOException {
    String text = String.join("\n",
        "# Written by `clickstream kafka start` at every start (ports may change); data is in data/.",
        "process.roles=broker,controller",
        "node.id=1",
        "controller.quorum.voters=1@127.0.0.1:" + controllerPort,
        "listeners=PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort,
        "advertised.listeners=PLAINTEXT://127.0.0.1:" + port,
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs=" + dir.resolve("data"),
        "num.partitions=" + numPartitions,
        "auto.create.topics.enable=true",
        "default.replication.factor=1",
        "min.insync.replicas=1",
        "# one node: internal topics with replication 1, or consumer groups and transactions hang",
        "offsets.topic.replication.factor=1",
        "# one partition: once a group's coordinator answers (start waits for one), every group's does",
        "offsets.topic.num.partitions=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "# Flink's KafkaSink transaction timeout must not exceed this",
        "transaction.max.timeout.ms=3600000",
        "group.initial.rebalance.delay.ms=0",
        "# its own controller fences a broker that misses heartbeats for this long, leaving every",
        "# partition without a leader: on a machine starved of CPU that happened at the default 9 s",
        "broker.session.timeout.ms=60000",
        "");
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  private void format(Path libDir, Path properties, Path log4j)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(javaBinary(), "-Xmx256m",
        "-Dlog4j2.configurationFile=" + log4j.toUri(),
        "-cp", libDir + File.separator + "*", "kafka.tools.StorageTool", "format",
        "--cluster-id", Uuid.randomUuid().toString(), "--config", properties.toString(),
        "--ignore-formatted")
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("formatting the storage timed out\n" + logTail(20));
    }
    if (p.exitValue() != 0) {
      throw new IllegalStateException("formatting the storage failed (exit " + p.exitValue()
          + ")\n--- last lines of " + logFile() + " ---\n" + logTail(20));
    }
  }

  private static void awaitReady(Process process, int port, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    // The port first (cheap, and no client warnings about refused connections), then metadata.
    while (!canConnect(port)) {
      checkAlive(process);
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("port " + port + " not open after " + timeout.toSeconds()
            + " s");
      }
      Thread.sleep(100);
    }
    try (Admin admin = Admin.create(Map.of(
        AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(port),
        AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000,
        AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5000))) {
      while (true) {
        checkAlive(process);
        try {
          if (!admin.describeCluster(new DescribeClusterOptions().timeoutMs(3000)).nodes()
              .get(4, TimeUnit.SECONDS).isEmpty() && groupCoordinatorAnswers(admin)) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("no cluster metadata after " + timeout.toSeconds()
                + " s: " + e.getMessage());
          }
        }
        Thread.sleep(100);
      }
    }
  }

  /**
   * Whether the group coordinator answers. The first group request creates the offsets topic; until
   * its partition is loaded, consumers' offset commits fail (and are retried with a warning).
   */
  private static boolean groupCoordinatorAnswers(Admin admin) throws InterruptedException {
    try {
      admin.describeConsumerGroups(List.of(READINESS_PROBE_GROUP),
              new DescribeConsumerGroupsOptions().timeoutMs(3000))
          .all().get(4, TimeUnit.SECONDS);
      return true;
    } catch (ExecutionException e) {
      // an answer about the group (it does not exist) comes from a ready coordinator
      return e.getCause() instanceof GroupIdNotFoundException;
    } catch (TimeoutException e) {
      return false;
    }
  }

  private static void checkAlive(Process process) {
    if (!process.isAlive()) {
      throw new IllegalStateException("the broker process exited with code " + process.exitValue());
    }
  }

  private static boolean canConnect(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static boolean portIsFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * A free port on 127.0.0.1 other than {@code taken}: the OS may hand out a port that was just
   * closed again, and a broker refuses two listeners on one port.
   */
  public static int freePort(int... taken) throws IOException {
    while (true) {
      int port;
      try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
        port = s.getLocalPort();
      }
      if (java.util.Arrays.stream(taken).noneMatch(t -> t == port)) {
        return port;
      }
    }
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  // Kafka at INFO writes ~2,000 lines per start: warnings only, plus the "started" line.
  private static final String LOG4J_CONFIG = String.join("\n",
      "rootLogger.level = WARN",
      "rootLogger.appenderRef.console.ref = console",
      "appender.console.type = Console",
      "appender.console.name = console",
      "appender.console.layout.type = PatternLayout",
      "appender.console.layout.pattern = [%d] %p %m (%c)%n",
      "logger.server.name = kafka.server.KafkaRaftServer",
      "logger.server.level = INFO",
      "logger.quorum.name = org.apache.kafka.controller.QuorumController",
      "logger.quorum.level = ERROR",
      "");
}
