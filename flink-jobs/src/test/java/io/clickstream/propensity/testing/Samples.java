package io.clickstream.propensity.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real public data samples committed under {@code samples/} at the repository root. */
public final class Samples {
  private Samples() {}

  /** First 17,434 rows (+ a truncated line) of the REES46 multi-category October 2019 file. */
  public static Path reesHead() {
    return resolve("rees46-multicategory-2019-10-01-head.csv");
  }

  private static Path resolve(String name) {
    // surefire runs in the module directory; IDEs may run at the repository root
    for (Path dir : new Path[] {Path.of("../samples"), Path.of("samples")}) {
      Path p = dir.resolve(name);
      if (Files.isRegularFile(p)) {
        return p.toAbsolutePath().normalize();
      }
    }
    throw new IllegalStateException("sample " + name + " not found under samples/ of the repository");
  }
}
