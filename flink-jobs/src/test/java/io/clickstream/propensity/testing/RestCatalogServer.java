package io.clickstream.propensity.testing;

import io.clickstream.propensity.kafka.LocalKafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Iceberg's reference REST catalog server ({@code org.apache.iceberg.rest.RESTCatalogServer}) as a
 * child process, configured the way it reads its configuration: {@code CATALOG_*} environment
 * variables ({@code CATALOG_JDBC_USER} = {@code jdbc.user}, {@code __} = {@code -}). Its backend is
 * a JDBC catalog on PostgreSQL, its tables' files on S3 through S3FileIO.
 */
public final class RestCatalogServer implements AutoCloseable {
  private ServerProcess process;
  private String uri;

  public RestCatalogServer start(PostgresServer pg, String db, S3ProxyServer s3, Path workDir)
      throws Exception {
    int port = LocalKafkaBroker.freePort();
    Map<String, String> backend = new HashMap<>(s3.s3FileIoProperties());
    backend.put("catalog-impl", "org.apache.iceberg.jdbc.JdbcCatalog");
    backend.put("uri", pg.jdbcUrl(db));
    backend.put("jdbc.user", pg.user());
    backend.put("jdbc.password", pg.password());
    backend.put("warehouse", "s3://" + s3.bucket() + "/warehouse");
    backend.put("rest.port", Integer.toString(port));
    Map<String, String> env = new HashMap<>(S3ProxyServer.SDK_CHECKSUMS_WHEN_REQUIRED);
    backend.forEach((k, v) -> env.put(envName(k), v));
    process = ServerProcess.start("iceberg-rest",
        ServerProcess.lib("clickstream.rest-server.lib", "iceberg-rest-server"),
        "org.apache.iceberg.rest.RESTCatalogServer", List.of(),
        withQuietLogs(env), workDir);
    uri = "http://127.0.0.1:" + port;
    process.awaitHttp(uri + "/v1/config", Duration.ofSeconds(90));
    return this;
  }

  /** {@code s3.path-style-access} -> {@code CATALOG_S3_PATH__STYLE__ACCESS}. */
  static String envName(String property) {
    return "CATALOG_" + property.replace("-", "__").replace(".", "_").toUpperCase(java.util.Locale.ROOT);
  }

  private static Map<String, String> withQuietLogs(Map<String, String> env) {
    // slf4j-simple reads its level from a system property only; JAVA_TOOL_OPTIONS reaches the JVM
    env.put("JAVA_TOOL_OPTIONS", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    return env;
  }

  public String uri() {
    return uri;
  }

  @Override
  public void close() throws Exception {
    if (process != null) {
      process.close();
    }
  }
}
