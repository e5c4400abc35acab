package io.clickstream.propensity.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.propensity.lakehouse.CatalogConfig;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.Secrets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Catalog properties from the command line, files and the environment, and their masking. */
class CatalogOptionsTest {
  private static final String S3_SECRET = "s3-secret-value-1";
  private static final String JDBC_PASSWORD = "jdbc-password-value-2";
  private static final String TOKEN = "rest-token-value-3";

  @TempDir Path tmp;

  private static CatalogOptions parse(String... args) {
    CatalogOptions options = new CatalogOptions();
    new CommandLine(options).parseArgs(args);
    return options;
  }

  @Test
  void propertiesFileThenFlagsThenEnvironment() throws Exception {
    Path file = Files.writeString(tmp.resolve("c.properties"), String.join("\n",
        "type=rest",
        "uri=http://catalog:8181",
        "io-impl=org.apache.iceberg.aws.s3.S3FileIO",
        "s3.secret-access-key=${env:S3_SECRET}",
        "s3.access-key-id=AKIAEXAMPLE",
        "token=from-file") + "\n");
    Map<String, String> env = Map.of("S3_SECRET", S3_SECRET, "REST_TOKEN", TOKEN);
    CatalogConfig config = parse("--catalog-properties", file.toString(),
        "--catalog-property", "token=${env:REST_TOKEN}",
        "--catalog-property", "s3.endpoint=http://127.0.0.1:9000")
        .config(env::get);

    assertThat(config.properties())
        .containsEntry("type", "rest")
        .containsEntry("s3.secret-access-key", S3_SECRET)
        .containsEntry("token", TOKEN) // the flag overrides the file
        .containsEntry("s3.endpoint", "http://127.0.0.1:9000");
    assertThat(config.masked())
        .containsEntry("s3.secret-access-key", Secrets.MASK)
        .containsEntry("s3.access-key-id", Secrets.MASK)
        .containsEntry("token", Secrets.MASK)
        .containsEntry("uri", "http://catalog:8181");
    assertThat(config.toString()).doesNotContain(S3_SECRET, TOKEN, "AKIAEXAMPLE");
    assertThat(config.describe()).isEqualTo("rest catalog http://catalog:8181");
    // the SQL options carry the secrets to Iceberg, with Iceberg's own names
    assertThat(config.flinkSqlOptions())
        .containsEntry("catalog-type", "rest")
        .containsEntry("s3.secret-access-key", S3_SECRET);
  }

  @Test
  void missingEnvironmentVariableFailsWithWhatToSet() {
    CatalogOptions options = parse("--catalog-property", "type=jdbc",
        "--catalog-property", "uri=jdbc:postgresql://db/iceberg",
        "--catalog-property", "jdbc.password=${env:NOT_SET_ANYWHERE}");
    assertThatThrownBy(() -> options.config(name -> null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("jdbc.password")
        .hasMessageContaining("export NOT_SET_ANYWHERE");
  }

  @Test
  void jdbcAndCustomCatalogsAndUriCredentials() {
    CatalogConfig jdbc = parse("--catalog-property", "type=jdbc",
        "--catalog-property", "uri=jdbc:postgresql://alice:" + JDBC_PASSWORD + "@db:5432/iceberg",
        "--catalog-property", "jdbc.password=" + JDBC_PASSWORD,
        "--warehouse", "s3://bucket/wh").config(name -> null);
    assertThat(jdbc.warehouse()).isEqualTo("s3://bucket/wh");
    assertThat(jdbc.flinkSqlOptions())
        .containsEntry("catalog-impl", "org.apache.iceberg.jdbc.JdbcCatalog")
        .doesNotContainKey("catalog-type");
    assertThat(jdbc.describe()).isEqualTo("jdbc catalog jdbc:postgresql://******@db:5432/iceberg");
    assertThat(jdbc.toString()).doesNotContain(JDBC_PASSWORD);
    // a message that quotes the secrets (Flink's failing CREATE CATALOG, say) is scrubbed
    String sql = Lakehouse.of(jdbc).createCatalogSql();
    assertThat(sql).contains(JDBC_PASSWORD);
    assertThat(Secrets.scrub("failed: " + sql)).doesNotContain(JDBC_PASSWORD).contains(Secrets.MASK);

    CatalogConfig glue = parse("--catalog-property",
        "catalog-impl=org.apache.iceberg.aws.glue.GlueCatalog",
        "--catalog-property", "warehouse=s3://bucket/wh").config(name -> null);
    assertThat(glue.flinkSqlOptions())
        .containsEntry("catalog-impl", "org.apache.iceberg.aws.glue.GlueCatalog");
    assertThat(glue.describe()).isEqualTo("org.apache.iceberg.aws.glue.GlueCatalog catalog s3://bucket/wh");
  }

  @Test
  void warehouseAloneIsTheEmbeddedHadoopCatalog() {
    CatalogConfig config = parse("--warehouse", tmp.resolve("wh").toString()).config(name -> null);
    assertThat(config.isLocalHadoop()).isTrue();
    assertThat(Files.isDirectory(tmp.resolve("wh"))).isTrue();
  }

  @Test
  void secretKeyNames() {
    assertThat(Map.of(
        "s3.secret-access-key", true, "s3.access-key-id", true, "s3.session-token", true,
        "jdbc.password", true, "credential", true, "token", true,
        "sasl.jaas.config", true, "ssl.keystore.password", true,
        "s3.endpoint", false, "uri", false))
        .allSatisfy((key, secret) -> assertThat(Secrets.isSecret(key)).as(key).isEqualTo(secret));
  }

  @Test
  void kafkaPropertiesReadTheEnvironmentToo() {
    KafkaOptions kafka = new KafkaOptions();
    new CommandLine(kafka).parseArgs("--kafka-property", "sasl.jaas.config=${env:HOME}",
        "--kafka-property", "security.protocol=SASL_SSL");
    assertThat(kafka.merged())
        .containsEntry("sasl.jaas.config", System.getenv("HOME"))
        .containsEntry("security.protocol", "SASL_SSL");
  }
}
