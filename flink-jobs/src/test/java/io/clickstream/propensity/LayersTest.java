package io.clickstream.propensity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layers point one way: {@code cli -> jobs -> (training, lakehouse, scoring, features, kafka)
 * -> events}. Inside the middle tier the order is explicit too, so no two packages depend on each
 * other. Each production source file may name (import, static import or fully qualified use) only
 * the packages its layer may use; sub-packages (events.serde) belong to their top-level package.
 * Test code is not checked: end-to-end tests drive the CLI from any package.
 */
class LayersTest {
  /** What each top-level package may use besides itself. */
  static final Map<String, Set<String>> MAY_USE = Map.of(
      "events", Set.of(),
      "features", Set.of("events"),
      "kafka", Set.of("events"),
      "scoring", Set.of("events", "features"),
      "lakehouse", Set.of("events", "features", "scoring"),
      "training", Set.of("events", "features", "scoring", "lakehouse"),
      "jobs", Set.of("events", "features", "kafka", "scoring", "lakehouse", "training"),
      "cli", Set.of("events", "features", "kafka", "scoring", "lakehouse", "training", "jobs"));

  private static final String ROOT = "io.clickstream.propensity";
  private static final Pattern PACKAGE =
      Pattern.compile("^package\\s+" + Pattern.quote(ROOT) + "\\.([a-z0-9_]+)[\\w.]*;", Pattern.MULTILINE);
  private static final Pattern REFERENCE =
      Pattern.compile("\\b" + Pattern.quote(ROOT) + "\\.([a-z0-9_]+)\\b");

  /**
   * The references against the layer order in one source file, as {@code file:line: a -> b}; a
   * file outside every known layer is one violation too.
   */
  static List<String> violations(String file, String source) {
    Matcher pkg = PACKAGE.matcher(source);
    if (!pkg.find()) {
      return List.of(file + ": not in a package under " + ROOT + ".<layer>");
    }
    String layer = pkg.group(1);
    Set<String> allowed = MAY_USE.get(layer);
    if (allowed == null) {
      return List.of(file + ": package " + layer + " has no layer; add it to LayersTest.MAY_USE");
    }
    List<String> out = new ArrayList<>();
    String[] lines = source.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].startsWith("package ")) {
        continue;
      }
      Matcher ref = REFERENCE.matcher(lines[i]);
      while (ref.find()) {
        String used = ref.group(1);
        if (!used.equals(layer) && !allowed.contains(used)) {
          out.add(file + ":" + (i + 1) + ": " + layer + " -> " + used);
        }
      }
    }
    return out;
  }

  @Test
  void productionSourcesFollowTheLayerOrder() throws IOException {
    Path main = Path.of("src/main/java/io/clickstream/propensity");
    assertThat(main).as("run from the flink-jobs module").isDirectory();
    List<String> violations = new ArrayList<>();
    Set<String> layersSeen = new HashSet<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(main)) {
      files = walk.filter(p -> p.toString().endsWith(".java")).collect(Collectors.toList());
    }
    for (Path f : files) {
      String source = Files.readString(f, StandardCharsets.UTF_8);
      violations.addAll(violations(main.relativize(f).toString(), source));
      Matcher pkg = PACKAGE.matcher(source);
      if (pkg.find()) {
        layersSeen.add(pkg.group(1));
      }
    }
    assertThat(layersSeen).as("every layer has sources").containsAll(MAY_USE.keySet());
    assertThat(violations).as("references against the layer order").isEmpty();
  }

  @Test
  void checkerReportsEveryKindOfReferenceAgainstTheOrder() {
    String serde = "package io.clickstream.propensity.events.serde;\n"
        + "\n"
        + "import io.clickstream.propensity.events.ClickEvent;\n"
        + "import io.clickstream.propensity.features.FeaturedEvent;\n"
        + "import static io.clickstream.propensity.jobs.FeaturePipeline.STAGES;\n"
        + "class X { io.clickstream.propensity.cli.ClickstreamCli cli; }\n";
    assertThat(violations("X.java", serde)).containsExactly(
        "X.java:4: events -> features", "X.java:5: events -> jobs", "X.java:6: events -> cli");
    // the order within the middle tier: scoring may use features, not the other way round
    assertThat(violations("S.java", "package io.clickstream.propensity.scoring;\n"
        + "import io.clickstream.propensity.features.FeatureRules;\n")).isEmpty();
    assertThat(violations("F.java", "package io.clickstream.propensity.features;\n"
        + "import io.clickstream.propensity.scoring.Score;\n"))
        .containsExactly("F.java:2: features -> scoring");
    assertThat(violations("C.java", "package io.clickstream.propensity.cli;\n"
        + "import io.clickstream.propensity.jobs.StreamingJob;\n"
        + "import io.clickstream.propensity.events.ClickEvent;\n")).isEmpty();
    assertThat(violations("N.java", "package io.clickstream.propensity.newthing;\n"))
        .singleElement().asString().contains("has no layer");
  }
}
