package io.clickstream.propensity.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.jobs.BackfillJob;
import io.clickstream.propensity.jobs.BackfillReport;
import io.clickstream.propensity.lakehouse.CatalogConfig;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.testing.EmbeddedKafka;
import io.clickstream.propensity.testing.PostgresServer;
import io.clickstream.propensity.testing.RestCatalogServer;
import io.clickstream.propensity.testing.S3ProxyServer;
import io.clickstream.propensity.testing.Samples;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands against real platform parts, all started here: Iceberg's reference REST catalog
 * server backed by a JDBC catalog on PostgreSQL, the tables' files on an S3 API server (S3Proxy)
 * through Iceberg's S3FileIO, Kafka in-JVM. Backfill, stream, train and sql give the same tables
 * as with the embedded Hadoop catalog, and no command prints a secret.
 */
@Timeout(value = 900, unit = TimeUnit.SECONDS)
class RestCatalogS3Test {
  @TempDir static Path tmp;

  static PostgresServer pg;
  static S3ProxyServer s3;
  static RestCatalogServer rest;
  static EmbeddedKafka kafka;
  static Path history;
  static Path live;
  static int liveRecords;

  @BeforeAll
  static void startServers() throws Exception {
    S3ProxyServer.useSdkChecksumsWhenRequired();
    s3 = new S3ProxyServer("lakehouse");
    pg = new PostgresServer().start();
    s3.start(Files.createDirectories(tmp.resolve("s3")));
    rest = new RestCatalogServer().start(pg, "catalog", s3, Files.createDirectories(tmp.resolve("rest")));
    kafka = new EmbeddedKafka().start();
    // the real sample split: its first lines are backfilled, the next few thousand streamed
    List<String> lines = Files.readAllLines(Samples.reesHead());
    int cut = 8_000;
    history = Files.write(tmp.resolve("history.csv"), lines.subList(0, cut));
    List<String> rest = new ArrayList<>(List.of(lines.get(0)));
    rest.addAll(lines.subList(cut, cut + 3_000));
    live = Files.write(tmp.resolve("live.csv"), rest);
    liveRecords = rest.size() - 1;
  }

  @AfterAll
  static void stopServers() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {kafka, rest, s3, pg}) {
      if (c != null) {
        c.close();
      }
    }
  }

  /** Runs a command; returns its exit code and everything it wrote to stdout and stderr. */
  static Object[] run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    PrintStream both = new PrintStream(buf, true, StandardCharsets.UTF_8);
    System.setOut(both);
    System.setErr(both);
    try {
      int code = ClickstreamCli.run(args);
      String text = buf.toString(StandardCharsets.UTF_8);
      for (String secret : List.of(s3.secretKey(), s3.accessKey(), pg.password())) {
        assertThat(text).as("output of %s", args[0]).doesNotContain(secret);
      }
      return new Object[] {code, text};
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  /** The client's catalog: REST on S3, secrets in a properties file (never on the command line). */
  static Path restProperties() throws IOException {
    Properties p = new Properties();
    p.putAll(s3.s3FileIoProperties());
    p.put("type", "rest");
    p.put("uri", rest.uri());
    Path file = tmp.resolve("rest-catalog.properties");
    try (var w = Files.newBufferedWriter(file)) {
      p.store(w, "REST catalog on S3");
    }
    return file;
  }

  static Map<LakehouseTable, Long> counts(Lakehouse lakehouse) {
    Map<LakehouseTable, Long> out = new HashMap<>();
    for (LakehouseTable t : BackfillJob.TABLES) {
      out.put(t, BackfillReport.rowCount(lakehouse.load(t)));
    }
    return out;
  }

  /** SHA-256 of the sorted training rows (every feature, label and split; not the ingest time). */
  static String trainingChecksum(Lakehouse lakehouse) throws Exception {
    Table table = lakehouse.load(LakehouseTable.GOLD_TRAINING_FEATURES);
    List<String> rows = new ArrayList<>();
    try (CloseableIterable<Record> it = IcebergGenerics.read(table).build()) {
      for (Record r : it) {
        rows.add(r.toString());
      }
    }
    rows.sort(null);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    rows.forEach(r -> sha.update((r + "\n").getBytes(StandardCharsets.UTF_8)));
    return rows.size() + ":" + HexFormat.of().formatHex(sha.digest());
  }

  static long sqlCount(String table, String... catalogArgs) {
    List<String> args = new ArrayList<>(List.of("sql"));
    args.addAll(List.of(catalogArgs));
    args.addAll(List.of("--format", "csv", "-e", "SELECT COUNT(*) AS n FROM " + table));
    Object[] r = run(args.toArray(String[]::new));
    assertThat(r[0]).as((String) r[1]).isEqualTo(0);
    String[] lines = ((String) r[1]).trim().split("\n");
    return Long.parseLong(lines[lines.length - 1].trim());
  }

  @Test
  void backfillStreamTrainAndSqlThroughRestCatalogOnS3() throws Exception {
    // the same backfill on the embedded catalog, for reference
    String embedded = tmp.resolve("embedded").toString();
    Object[] e = run("backfill", "--input", history.toString(), "--warehouse", embedded,
        "--parallelism", "2");
    assertThat(e[0]).as((String) e[1]).isEqualTo(0);
    Lakehouse reference = Lakehouse.at(embedded);

    String props = restProperties().toString();
    Object[] b = run("backfill", "--input", history.toString(), "--catalog-properties", props,
        "--parallelism", "2");
    assertThat(b[0]).as((String) b[1]).isEqualTo(0);
    assertThat((String) b[1]).contains("rest catalog " + rest.uri());
    Lakehouse lakehouse = new CatalogOptionsFixture(props).lakehouse();
    Map<LakehouseTable, Long> backfilled = counts(lakehouse);
    assertThat(backfilled).isEqualTo(counts(reference));
    assertThat(backfilled.get(LakehouseTable.SILVER_EVENTS)).isGreaterThan(7_000);
    assertThat(trainingChecksum(lakehouse)).isEqualTo(trainingChecksum(reference));
    // the files are on the S3 server, the catalog in PostgreSQL
    assertThat(lakehouse.load(LakehouseTable.SILVER_EVENTS).location()).startsWith("s3://lakehouse/");
    assertThat(sqlCount("silver.clickstream_events", "--catalog-properties", props))
        .isEqualTo(backfilled.get(LakehouseTable.SILVER_EVENTS));

    // stream the rest of the sample through Kafka into the same tables (warm-started from them)
    kafka.createTopic("clicks", 2);
    Object[] replay = run("replay", "--input", live.toString(), "--bootstrap-servers",
        kafka.bootstrapServers(), "--topic", "clicks");
    assertThat(replay[0]).as((String) replay[1]).isEqualTo(0);
    Object[] stream = run("stream", "--bootstrap-servers", kafka.bootstrapServers(),
        "--topic", "clicks", "--scores-topic", "scores", "--starting-offsets", "earliest",
        "--bounded", "--catalog-properties", props, "--model", modelDir().toString(),
        "--checkpoint-interval", "2s", "--checkpoint-dir", tmp.resolve("ckpt").toString(),
        "--warm-start-dir", tmp.resolve("warm").toString(), "--web-ui-port", "0",
        "--parallelism", "2");
    assertThat(stream[0]).as((String) stream[1]).isEqualTo(0);
    assertThat(BackfillReport.rowCount(lakehouse.load(LakehouseTable.BRONZE_RAW)))
        .isEqualTo(backfilled.get(LakehouseTable.BRONZE_RAW) + liveRecords);
    long scored = BackfillReport.rowCount(lakehouse.load(LakehouseTable.GOLD_SESSION_SCORES));
    assertThat(scored).isGreaterThan(1_000);
    assertThat(sqlCount("gold.session_scores", "--catalog-properties", props)).isEqualTo(scored);

    // train from it
    Path model = tmp.resolve("model");
    Object[] t = run("train", "--catalog-properties", props, "--out", model.toString(),
        "--trials", "1", "--max-rounds", "20", "--threads", "1");
    assertThat(t[0]).as((String) t[1]).isEqualTo(0);
    String card = Files.readString(model.resolve("model-card.json"));
    assertThat(card).contains(rest.uri()).doesNotContain(s3.secretKey()).doesNotContain(s3.accessKey());

    // a second backfill would erase the streamed rows: refused, unless told
    Object[] refused = run("backfill", "--input", history.toString(), "--catalog-properties", props);
    assertThat(refused[0]).isEqualTo(2);
    assertThat(((String) refused[1]).lines().filter(l -> l.startsWith("error:")))
        .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
        .contains("since the last backfill", "--replace-streamed-data");
    assertThat(BackfillReport.rowCount(lakehouse.load(LakehouseTable.BRONZE_RAW)))
        .isEqualTo(backfilled.get(LakehouseTable.BRONZE_RAW) + liveRecords);
    Object[] told = run("backfill", "--input", history.toString(), "--catalog-properties", props,
        "--replace-streamed-data", "--parallelism", "2");
    assertThat(told[0]).as((String) told[1]).isEqualTo(0);
    assertThat(counts(lakehouse)).isEqualTo(backfilled);
    assertThat(trainingChecksum(lakehouse)).isEqualTo(trainingChecksum(reference));
  }

  @Test
  void jdbcCatalogOnPostgres() throws Exception {
    pg.createDatabase("direct");
    Path props = tmp.resolve("jdbc.properties");
    Files.writeString(props, String.join("\n",
        "type=jdbc",
        "uri=" + pg.jdbcUrl("direct"),
        "jdbc.user=" + pg.user(),
        "jdbc.password=" + pg.password(),
        "jdbc.schema-version=V1",
        "warehouse=" + tmp.resolve("jdbc-warehouse").toUri()) + "\n");
    Path small = Files.write(tmp.resolve("small.csv"),
        Files.readAllLines(Samples.reesHead()).subList(0, 2_000));
    Object[] b = run("backfill", "--input", small.toString(), "--catalog-properties", props.toString(),
        "--parallelism", "2");
    assertThat(b[0]).as((String) b[1]).isEqualTo(0);
    assertThat((String) b[1]).contains("jdbc catalog " + pg.jdbcUrl("direct"));
    Lakehouse lakehouse = new CatalogOptionsFixture(props.toString()).lakehouse();
    long silver = BackfillReport.rowCount(lakehouse.load(LakehouseTable.SILVER_EVENTS));
    assertThat(silver).isGreaterThan(1_500);
    assertThat(sqlCount("silver.clickstream_events", "--catalog-properties", props.toString()))
        .isEqualTo(silver);
  }

  private static Path modelDir() {
    for (Path p : new Path[] {Path.of("../model-artifacts"), Path.of("model-artifacts")}) {
      if (Files.isRegularFile(p.resolve("propensity.onnx"))) {
        return p.toAbsolutePath();
      }
    }
    throw new IllegalStateException("model-artifacts/propensity.onnx not found");
  }

  /** The catalog a properties file names, read the way the commands read it. */
  private static final class CatalogOptionsFixture {
    private final CatalogOptions options = new CatalogOptions();

    CatalogOptionsFixture(String file) {
      options.file = Path.of(file);
    }

    Lakehouse lakehouse() {
      CatalogConfig config = options.config();
      return Lakehouse.of(config);
    }
  }
}
