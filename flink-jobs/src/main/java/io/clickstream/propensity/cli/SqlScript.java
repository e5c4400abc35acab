package io.clickstream.propensity.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Splits a SQL script into statements at top-level semicolons (not inside quotes or comments). */
final class SqlScript {
  private SqlScript() {}

  static List<String> split(String script) {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    int n = script.length();
    for (int i = 0; i < n; i++) {
      char c = script.charAt(i);
      if (c == '-' && i + 1 < n && script.charAt(i + 1) == '-') {
        int end = script.indexOf('\n', i);
        i = end < 0 ? n : end;
        current.append('\n');
      } else if (c == '/' && i + 1 < n && script.charAt(i + 1) == '*') {
        int end = script.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 1;
        current.append(' ');
      } else if (c == '\'' || c == '"' || c == '`') {
        int end = i + 1;
        while (end < n) {
          if (script.charAt(end) == c) {
            if (end + 1 < n && script.charAt(end + 1) == c) {
              end += 2; // doubled quote inside a literal
              continue;
            }
            break;
          }
          end++;
        }
        current.append(script, i, Math.min(end + 1, n));
        i = end;
      } else if (c == ';') {
        add(statements, current);
      } else {
        current.append(c);
      }
    }
    add(statements, current);
    return statements;
  }

  /** Statements that (re)define or select the catalog, which the sql command does itself. */
  static boolean isCatalogDdl(String statement) {
    String s = statement.trim().toUpperCase(Locale.ROOT).replaceAll("\\s+", " ");
    return s.startsWith("CREATE CATALOG") || s.startsWith("USE CATALOG");
  }

  private static void add(List<String> statements, StringBuilder current) {
    String s = current.toString().trim();
    if (!s.isEmpty()) {
      statements.add(s);
    }
    current.setLength(0);
  }
}
