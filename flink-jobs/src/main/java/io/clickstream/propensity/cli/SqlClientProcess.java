package io.clickstream.propensity.cli;

import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.Secrets;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The real Flink SQL client in embedded mode, run as a child JVM on the classpath that the
 * {@code sql-client} Maven module copies (the client is served only at 2.1.0 and brings its own
 * 2.1.0 planner, which must not share a classpath with the jobs' Flink 2.1.1). The catalog is
 * registered and made current by an init file; batch mode and tableau results come from the
 * client's {@code config.yaml}. Both live in a private folder (0700, the init file 0600: it holds
 * the catalog's secrets) that is deleted when the client ends.
 *
 * <p>The classpath folder: system property {@value #LIB_PROPERTY} or environment variable
 * {@value #LIB_ENV} (bin/clickstream sets it).
 */
final class SqlClientProcess {
  static final String LIB_PROPERTY = "clickstream.sqlclient.lib";
  static final String LIB_ENV = "CLICKSTREAM_SQL_CLIENT_LIB";
  private static final String MAIN_CLASS = "org.apache.flink.table.client.SqlClient";
  /** What the client prints for a failed statement (it still exits 0). */
  static final String ERROR_MARK = "[ERROR]";
  /** What it prints when the init file (the catalog) failed; the reason is only in its log. */
  private static final String INIT_FAILED = "Failed to initialize from sql script";

  private final Path lib;
  private final Lakehouse lakehouse;
  private Path workParent;
  private String heapOptions = "-Xmx2g";
  private PrintStream err = System.err;

  SqlClientProcess(Path lib, Lakehouse lakehouse) {
    this.lib = lib == null ? null : lib.toAbsolutePath().normalize();
    this.lakehouse = lakehouse;
  }

  /** The client classpath folder configured for this JVM, if any. */
  static Optional<Path> configuredLib() {
    String v = System.getProperty(LIB_PROPERTY);
    if (v == null || v.isBlank()) {
      v = System.getenv(LIB_ENV);
    }
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(Path.of(v));
  }

  /** Where the private folder is created (default: the system temp folder). */
  SqlClientProcess workIn(Path parent) {
    this.workParent = parent;
    return this;
  }

  /** Where this class reports (default stderr); the client's own output is not redirected. */
  SqlClientProcess errorsTo(PrintStream stream) {
    this.err = stream;
    return this;
  }

  SqlClientProcess heapOptions(String options) {
    this.heapOptions = options;
    return this;
  }

  /** Opens the interactive client on this terminal; returns its exit code. */
  int interactive() throws IOException, InterruptedException {
    try (Session session = new Session()) {
      Process process = session.start(List.of(), true);
      // Ctrl-C belongs to the client (it cancels the running query); this JVM must outlive it
      // to delete the private folder.
      sun.misc.Signal interrupt = new sun.misc.Signal("INT");
      sun.misc.SignalHandler previous = sun.misc.Signal.handle(interrupt, signal -> { });
      int code;
      try {
        code = process.waitFor();
      } finally {
        sun.misc.Signal.handle(interrupt, previous);
      }
      return session.reportInitFailure() ? 2 : code;
    }
  }

  /**
   * Runs the statements of {@code script} and copies the client's output to {@code out}.
   *
   * @return 0 when every statement succeeded, 1 when one failed (the client stops there), 2 when
   *     the catalog could not be registered, or the client's own non-zero exit code
   */
  int runScript(Path script, PrintStream out) throws IOException, InterruptedException {
    try (Session session = new Session()) {
      Process process = session.start(List.of("-f", script.toAbsolutePath().toString()), false);
      boolean failed = false;
      try (BufferedReader reader = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          out.println(session.mask(line));
          failed |= line.contains(ERROR_MARK) || line.contains(INIT_FAILED);
        }
      }
      int code = process.waitFor();
      out.flush();
      if (session.reportInitFailure()) {
        return 2;
      }
      if (code != 0) {
        err.println(session.logTail(30)); // a failed statement is explained in the output
      }
      return code != 0 ? code : failed ? 1 : 0;
    }
  }

  private Path checkLib() {
    if (lib == null) {
      throw new IllegalStateException("no Flink SQL client classpath configured: set -D"
          + LIB_PROPERTY + " or " + LIB_ENV + " to sql-client/target/lib (bin/clickstream does)");
    }
    try (Stream<Path> files = Files.list(lib)) {
      if (files.anyMatch(f -> f.getFileName().toString().startsWith("flink-sql-client-"))) {
        return lib;
      }
    } catch (IOException e) {
      // reported below
    }
    throw new IllegalStateException("the Flink SQL client classpath " + lib + " is missing: build "
        + "it with `mvn -B -pl sql-client package` at the repository root");
  }

  /** The private folder of one client run: config, init file, log. */
  private final class Session implements AutoCloseable {
    private final Path dir;
    private final Thread cleanup;
    private Process process;

    Session() throws IOException {
      checkLib();
      var owner = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
      dir = workParent == null
          ? Files.createTempDirectory("clickstream-sql-client-", owner)
          : Files.createTempDirectory(workParent, "clickstream-sql-client-", owner);
      cleanup = new Thread(this::destroy, "sql-client-cleanup");
      // a kill (TERM, HUP) of this JVM must not leave the init file with its secrets behind
      Runtime.getRuntime().addShutdownHook(cleanup);
      Path conf = Files.createDirectory(dir.resolve("conf"));
      Files.writeString(conf.resolve("config.yaml"), CONFIG, StandardCharsets.UTF_8);
      Files.writeString(conf.resolve("log4j.properties"),
          LOG4J.replace("LOG_FILE", dir.resolve("sql-client.log").toString()), StandardCharsets.UTF_8);
      Path init = Files.createFile(dir.resolve("init.sql"),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(init, lakehouse.createCatalogSql() + ";\nUSE CATALOG "
          + Lakehouse.CATALOG_NAME + ";\n", StandardCharsets.UTF_8);
    }

    Process start(List<String> args, boolean terminal) throws IOException {
      List<String> command = new ArrayList<>();
      command.add(javaBinary());
      command.addAll(List.of(heapOptions.trim().split("\\s+")));
      command.addAll(JAVA_17_OPENS);
      command.add("-Dlog4j.configurationFile=" + dir.resolve("conf/log4j.properties").toUri());
      if (!terminal) {
        command.add("-Dorg.jline.terminal.dumb=true"); // no "cannot create a system terminal" warning
      }
      command.addAll(List.of("-cp", lib + File.separator + "*", MAIN_CLASS, "embedded",
          "-i", dir.resolve("init.sql").toString()));
      command.addAll(args);
      ProcessBuilder pb = new ProcessBuilder(command);
      pb.environment().put("FLINK_CONF_DIR", dir.resolve("conf").toString());
      if (terminal) {
        pb.inheritIO();
      } else {
        pb.redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      }
      process = pb.start();
      return process;
    }

    /** A line of client output with the catalog's secret values masked. */
    String mask(String line) {
      String masked = line;
      for (Map.Entry<String, String> e : lakehouse.config().properties().entrySet()) {
        if (Secrets.isSecret(e.getKey()) && e.getValue().length() >= 4) {
          masked = masked.replace(e.getValue(), Secrets.MASK);
        }
      }
      return masked;
    }

    /**
     * When the catalog could not be registered, says why in one line on stderr (the client points
     * to its log, which is deleted with the private folder).
     */
    boolean reportInitFailure() {
      Path log = dir.resolve("sql-client.log");
      List<String> lines;
      try {
        lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
      } catch (IOException e) {
        return false;
      }
      int start = -1;
      for (int i = 0; i < lines.size() && start < 0; i++) {
        if (lines.get(i).contains("Unable to create catalog")) {
          start = i;
        }
      }
      if (start < 0) {
        return false;
      }
      String reason = lines.get(start).replaceFirst("^.*?Exception: ", "");
      for (int i = start + 1; i < lines.size() && !LOG_LINE.matcher(lines.get(i)).lookingAt(); i++) {
        if (lines.get(i).startsWith("Caused by: ")) {
          reason = lines.get(i).substring("Caused by: ".length());
        }
      }
      err.println("sql-client: the catalog '" + Lakehouse.CATALOG_NAME + "' ("
          + lakehouse.describe() + ") could not be registered: " + mask(reason));
      return true;
    }

    String logTail(int lines) {
      Path log = dir.resolve("sql-client.log");
      try {
        if (!Files.exists(log)) {
          return "";
        }
        List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
        StringBuilder tail = new StringBuilder("--- last lines of the SQL client's log ---");
        for (String l : all.subList(Math.max(0, all.size() - lines), all.size())) {
          tail.append('\n').append(mask(l));
        }
        return tail.toString();
      } catch (IOException e) {
        return "(cannot read the SQL client's log: " + e.getMessage() + ")";
      }
    }

    private void destroy() {
      if (process != null && process.isAlive()) {
        process.destroyForcibly();
      }
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        err.println("sql-client: could not delete " + dir + " (it holds the catalog's "
            + "secrets): " + e.getMessage());
      }
    }

    @Override
    public void close() {
      destroy();
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException e) {
        // already shutting down: the hook runs anyway
      }
    }
  }

  private static final Pattern LOG_LINE = Pattern.compile("\\d\\d:\\d\\d:\\d\\d,\\d{3} ");

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static final List<String> JAVA_17_OPENS = List.of(
      "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/java.time=ALL-UNNAMED");

  // Embedded client: a local MiniCluster per query on 127.0.0.1, batch, tableau results, UTC
  // (the features define days in UTC).
  private static final String CONFIG = String.join("\n",
      "execution:",
      "  target: local",
      "  runtime-mode: batch",
      "jobmanager:",
      "  rpc:",
      "    address: 127.0.0.1",
      "  bind-host: 127.0.0.1",
      "taskmanager:",
      "  host: 127.0.0.1",
      "  bind-host: 127.0.0.1",
      "rest:",
      "  address: 127.0.0.1",
      "  bind-address: 127.0.0.1",
      "sql-gateway:",
      "  endpoint:",
      "    rest:",
      "      bind-address: 127.0.0.1",
      "sql-client:",
      "  execution:",
      "    result-mode: tableau",
      "table:",
      "  dml-sync: true",
      "  local-time-zone: UTC",
      "  exec:",
      "    iceberg:",
      "      use-v2-sink: true",
      "classloader:",
      "  check-leaked-classloader: false",
      "");

  // The terminal belongs to the client's own output; the log goes to the private folder.
  private static final String LOG4J = String.join("\n",
      "rootLogger.level = WARN",
      "rootLogger.appenderRef.file.ref = File",
      "appender.file.name = File",
      "appender.file.type = File",
      "appender.file.fileName = LOG_FILE",
      "appender.file.layout.type = PatternLayout",
      "appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n",
      "");
}
