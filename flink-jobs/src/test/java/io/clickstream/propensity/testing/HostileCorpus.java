package io.clickstream.propensity.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * The hostile-input corpus of {@code src/test/resources/hostile/manifest.json}: bad (and a few
 * tricky but valid) CSV records, CSV files and Kafka JSON values, each with the outcome it must
 * have: a rejection reason, {@code valid}, or {@code duplicate} (an exact copy of an earlier
 * record, removed from silver and counted).
 *
 * <p>A case's bytes are its {@code text} (UTF-8), its {@code base64}, no value at all
 * ({@code tombstone}), or made by {@code generate}: {@code large} (a record of that many bytes)
 * or {@code deep} (an extra JSON field nested that deep), too big to keep in the repository.
 */
public final class HostileCorpus {
  public static final String CSV_HEADER =
      "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session";
  public static final String VALID = "valid";
  public static final String DUPLICATE = "duplicate";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One case. */
  public static final class Case {
    public final String id;
    public final String mode;
    /** The record's bytes (null: a tombstone). */
    public final byte[] bytes;
    /** Per record: the reason, {@link #VALID} or {@link #DUPLICATE} (one entry unless a file). */
    public final List<String> expect;
    public final String why;

    Case(String id, String mode, byte[] bytes, List<String> expect, String why) {
      this.id = id;
      this.mode = mode;
      this.bytes = bytes;
      this.expect = expect;
      this.why = why;
    }

    /** The one expected outcome of a single-record case. */
    public String expected() {
      return expect.get(0);
    }

    @Override
    public String toString() {
      return id;
    }
  }

  private HostileCorpus() {}

  /** Single CSV record lines (without terminator), to follow {@link #CSV_HEADER}. */
  public static List<Case> csvRecords() {
    return of("csv");
  }

  /** Whole CSV files, one expectation per record. */
  public static List<Case> csvFiles() {
    return of("csv-file");
  }

  /** Kafka record values. */
  public static List<Case> jsonRecords() {
    return of("json");
  }

  /** Every case of a mode, in manifest order. */
  public static List<Case> of(String mode) {
    List<Case> out = new ArrayList<>();
    for (JsonNode c : manifest()) {
      if (!c.get("mode").asText().equals(mode)) {
        continue;
      }
      List<String> expect = new ArrayList<>();
      if (c.get("expect").isArray()) {
        c.get("expect").forEach(e -> expect.add(e.asText()));
      } else {
        expect.add(c.get("expect").asText());
      }
      out.add(new Case(c.get("id").asText(), mode, bytes(c, mode), List.copyOf(expect),
          c.get("why").asText()));
    }
    return out;
  }

  /** The CSV record cases as one file: the header, then one case per line (line n + 2). */
  public static byte[] csvFile(List<Case> cases) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes((CSV_HEADER + "\n").getBytes(StandardCharsets.UTF_8));
    for (Case c : cases) {
      out.writeBytes(c.bytes);
      out.write('\n');
    }
    return out.toByteArray();
  }

  private static byte[] bytes(JsonNode c, String mode) {
    if (c.has("tombstone")) {
      return null;
    }
    if (c.has("text")) {
      return c.get("text").asText().getBytes(StandardCharsets.UTF_8);
    }
    if (c.has("base64")) {
      return Base64.getDecoder().decode(c.get("base64").asText());
    }
    JsonNode g = c.get("generate");
    String session = c.get("session").asText();
    switch (g.get("kind").asText()) {
      case "large": {
        int size = g.get("bytes").asInt();
        if (mode.equals("csv")) {
          String head = "2019-10-01 00:00:00 UTC,view,44600062,,,";
          String tail = ",35.79,541312140," + session;
          return (head + "x".repeat(size - head.length() - tail.length()) + tail)
              .getBytes(StandardCharsets.UTF_8);
        }
        ObjectNode o = validObject(session);
        int rest = size - o.toString().length() - ",\"pad\":\"\"".length();
        o.put("pad", "x".repeat(rest));
        return o.toString().getBytes(StandardCharsets.UTF_8);
      }
      case "deep": {
        int depth = g.get("depth").asInt();
        String s = validObject(session).toString();
        return (s.substring(0, s.length() - 1) + ",\"deep\":" + "[".repeat(depth)
            + "]".repeat(depth) + "}").getBytes(StandardCharsets.UTF_8);
      }
      default:
        throw new IllegalArgumentException("unknown generator in case " + c.get("id"));
    }
  }

  private static ObjectNode validObject(String session) {
    ObjectNode o = JSON.createObjectNode();
    o.put("event_time", "2019-10-01 00:00:00 UTC");
    o.put("event_type", "view");
    o.put("product_id", 44600062L);
    o.put("price", "35.79");
    o.put("user_id", 541312140L);
    o.put("user_session", session);
    return o;
  }

  private static JsonNode manifest() {
    try (InputStream in = HostileCorpus.class.getResourceAsStream("/hostile/manifest.json")) {
      if (in == null) {
        throw new IllegalStateException("test resource hostile/manifest.json is missing");
      }
      return JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
