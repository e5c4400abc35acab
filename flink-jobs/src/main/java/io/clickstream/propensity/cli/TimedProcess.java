package io.clickstream.propensity.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One command run as its own process under {@code /usr/bin/time -v}: wall time, CPU time and peak
 * resident memory as the kernel accounts them for the whole process tree, so that two programs
 * (two JVMs here) are measured the same way.
 */
record TimedProcess(int exitCode, double wallSeconds, double userSeconds, double systemSeconds,
    long peakRssKiB, Path log) {
  static final Path TIME = Path.of("/usr/bin/time");

  double cpuSeconds() {
    return userSeconds + systemSeconds;
  }

  long peakRssMiB() {
    return peakRssKiB / 1024;
  }

  /** Runs {@code command}; its stdout and stderr go to {@code log}. */
  static TimedProcess run(List<String> command, Path log) throws IOException, InterruptedException {
    if (!Files.isExecutable(TIME)) {
      throw new IllegalStateException("/usr/bin/time is missing: install GNU time "
          + "(Debian/Ubuntu: apt-get install time)");
    }
    Path report = Files.createTempFile("time-v", ".txt");
    try {
      List<String> cmd = new ArrayList<>(List.of(TIME.toString(), "-v", "-o", report.toString()));
      cmd.addAll(command);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      int rc = p.waitFor();
      String text = Files.readString(report, StandardCharsets.UTF_8);
      return new TimedProcess(rc, wall(text), seconds(text, "User time (seconds)"),
          seconds(text, "System time (seconds)"),
          (long) seconds(text, "Maximum resident set size (kbytes)"), log);
    } finally {
      Files.deleteIfExists(report);
    }
  }

  private static double seconds(String text, String label) {
    Matcher m = Pattern.compile(Pattern.quote(label) + ": ([0-9.]+)").matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("no '" + label + "' in the output of /usr/bin/time -v");
    }
    return Double.parseDouble(m.group(1));
  }

  /** {@code h:mm:ss} or {@code m:ss.ss}. */
  private static double wall(String text) {
    Matcher m = Pattern.compile("Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\): ([0-9:.]+)")
        .matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("no wall time in the output of /usr/bin/time -v");
    }
    double total = 0;
    for (String part : m.group(1).split(":")) {
      total = total * 60 + Double.parseDouble(part);
    }
    return total;
  }

  /** The CPU model, core count and date of this machine, for benchmark records. */
  static String machine() {
    String model = "unknown CPU";
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          model = line.substring(line.indexOf(':') + 1).trim();
          break;
        }
      }
    } catch (IOException e) {
      // not Linux: the model stays unknown
    }
    long memMiB = -1;
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          memMiB = Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
          break;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // unknown memory size
    }
    return String.format("machine: %s, %d cores, %s RAM, %s, %s UTC", model,
        Runtime.getRuntime().availableProcessors(),
        memMiB > 0 ? String.format("%.1f GiB", memMiB / 1024.0) : "unknown",
        System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
        java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
  }

  /** The median of a non-empty list (mean of the middle two for an even count). */
  static double median(List<Double> values) {
    List<Double> v = new ArrayList<>(values);
    v.sort(Double::compare);
    int n = v.size();
    return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
  }
}
