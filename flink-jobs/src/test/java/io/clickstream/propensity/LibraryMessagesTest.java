package io.clickstream.propensity;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Library classes (every package but {@code cli}) do not mention command-line options in their
 * messages: they say what is wrong in their own terms, and the cli layer names its options.
 */
class LibraryMessagesTest {
  private static final Pattern STRING_LITERAL = Pattern.compile("\"((?:[^\"\\\\\\n]|\\\\.)*)\"");
  /** An option, e.g. in "pass --warehouse DIR"; a literal that is just one is a process argument. */
  private static final Pattern OPTION = Pattern.compile("--[a-z][a-z-]*");

  static List<String> optionMentions(String file, String source) {
    List<String> out = new ArrayList<>();
    String[] lines = source.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      Matcher literal = STRING_LITERAL.matcher(lines[i]);
      while (literal.find()) {
        String text = literal.group(1);
        if (OPTION.matcher(text).find() && !OPTION.matcher(text).matches()) {
          out.add(file + ":" + (i + 1) + ": " + literal.group());
        }
      }
    }
    return out;
  }

  @Test
  void libraryMessagesNameNoOptions() throws IOException {
    Path main = Path.of("src/main/java/io/clickstream/propensity");
    assertThat(main).as("run from the flink-jobs module").isDirectory();
    List<String> mentions = new ArrayList<>();
    try (Stream<Path> files = Files.walk(main)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
        if (!main.relativize(f).startsWith("cli")) {
          mentions.addAll(optionMentions(main.relativize(f).toString(),
              Files.readString(f, StandardCharsets.UTF_8)));
        }
      }
    }
    assertThat(mentions).as("option names in library string literals").isEmpty();
  }

  @Test
  void theScanFindsAnOptionInAMessageButNotAnArgument() {
    String source = "class A {\n  void f() {\n"
        + "    throw new IllegalArgumentException(\"no input: pass --input FILE\");\n"
        + "    run(\"--config\", path);\n  }\n}\n";
    assertThat(optionMentions("A.java", source)).containsExactly(
        "A.java:3: \"no input: pass --input FILE\"");
  }
}
