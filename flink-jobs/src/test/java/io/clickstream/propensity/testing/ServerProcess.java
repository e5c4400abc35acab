package io.clickstream.propensity.testing;

import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A test server as a child JVM on a classpath folder copied by its Maven module (its dependencies
 * clash with the test's own), logging to a file, stopped with the test.
 */
final class ServerProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;

  private ServerProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /** The classpath folder named by system property {@code key} (set by surefire). */
  static Path lib(String key, String module) {
    String dir = System.getProperty(key);
    Path p = dir == null ? null : Path.of(dir);
    if (p == null || !Files.isDirectory(p)) {
      throw new IllegalStateException("no " + module + " classpath at " + p + ": build it with "
          + "'mvn -B -o -q generate-resources -pl " + module + "'");
    }
    return p;
  }

  static ServerProcess start(String name, Path lib, String mainClass, List<String> args,
      Map<String, String> env, Path workDir) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(lib.toAbsolutePath() + File.separator + "*");
    cmd.add(mainClass);
    cmd.addAll(args);
    Path log = workDir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .directory(workDir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return new ServerProcess(name, pb.start(), log);
  }

  /** Waits until {@code url} answers HTTP (any status) or fails with the server's log tail. */
  void awaitHttp(String url, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(name + " exited with " + process.exitValue() + ":\n" + tail());
      }
      try {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setConnectTimeout(1000);
        c.setReadTimeout(2000);
        c.getResponseCode();
        c.disconnect();
        return;
      } catch (IOException notYet) {
        Thread.sleep(200);
      }
    }
    throw new IllegalStateException(name + " did not answer on " + url + " within " + timeout
        + ":\n" + tail());
  }

  String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
