package io.clickstream.propensity.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The classpath folders that the kafka-broker and sql-client modules copy to {@code target/lib}.
 * The reactor builds them before flink-jobs; only `mvn -pl flink-jobs ...` on a fresh clone lacks
 * them. Then they are built here with the Maven that runs the tests, so the tests run, not skip.
 */
public final class ModuleLib {
  private ModuleLib() {}

  /** Builds {@code <module>/target/lib} when it is missing; returns whether it exists now. */
  public static boolean ensure(Path lib) throws Exception {
    if (Files.isDirectory(lib)) {
      return true;
    }
    String mavenHome = System.getProperty("clickstream.maven.home");
    Path pom = lib.getParent().getParent().resolve("pom.xml");
    if (mavenHome == null || mavenHome.isBlank() || !Files.isRegularFile(pom)) {
      return false;
    }
    List<String> cmd = new ArrayList<>(List.of(
        Path.of(mavenHome, "bin", "mvn").toString(), "-q", "-B", "-f", pom.toString()));
    // "offline=true": a plain ${settings.offline} reaches surefire as a Boolean and breaks it
    if (System.getProperty("clickstream.maven.offline", "").endsWith("=true")) {
      cmd.add("-o");
    }
    String repo = System.getProperty("clickstream.maven.repo");
    if (repo != null && !repo.isBlank()) {
      cmd.add("-Dmaven.repo.local=" + repo);
    }
    cmd.add("generate-resources");
    Path log = Files.createTempFile("module-lib-", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    } else if (p.exitValue() != 0) {
      System.err.println("building " + lib + " failed:\n" + Files.readString(log));
    }
    Files.deleteIfExists(log);
    return Files.isDirectory(lib);
  }
}
