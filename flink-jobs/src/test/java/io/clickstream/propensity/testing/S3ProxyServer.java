package io.clickstream.propensity.testing;

import io.clickstream.propensity.kafka.LocalKafkaBroker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A real S3 API server: S3Proxy on a filesystem backend, as a child process on 127.0.0.1 with a
 * free port, one bucket, and random credentials (secrets the tests make sure are never printed).
 */
public final class S3ProxyServer implements AutoCloseable {
  private final String bucket;
  private final String accessKey = "ak-" + UUID.randomUUID();
  private final String secretKey = "sk-" + UUID.randomUUID();
  private ServerProcess process;
  private String endpoint;

  public S3ProxyServer(String bucket) {
    this.bucket = bucket;
  }

  public S3ProxyServer start(Path workDir) throws Exception {
    Path data = Files.createDirectories(workDir.resolve("s3-data"));
    Files.createDirectories(data.resolve(bucket)); // a folder of the backend is a bucket
    int port = LocalKafkaBroker.freePort();
    endpoint = "http://127.0.0.1:" + port;
    Path conf = workDir.resolve("s3proxy.conf");
    Files.writeString(conf, String.join("\n",
        "s3proxy.endpoint=" + endpoint,
        "s3proxy.authorization=aws-v2-or-v4",
        "s3proxy.identity=" + accessKey,
        "s3proxy.credential=" + secretKey,
        "jclouds.provider=filesystem",
        "jclouds.filesystem.basedir=" + data.toAbsolutePath()) + "\n");
    // S3Proxy ships no logback configuration: without one it logs every request at DEBUG
    Path logback = Files.writeString(workDir.resolve("logback.xml"), "<configuration>"
        + "<appender name=\"out\" class=\"ch.qos.logback.core.ConsoleAppender\"><encoder>"
        + "<pattern>%d %-5level %logger{20} - %msg%n</pattern></encoder></appender>"
        + "<root level=\"WARN\"><appender-ref ref=\"out\"/></root></configuration>\n");
    process = ServerProcess.start("s3proxy",
        ServerProcess.lib("clickstream.s3proxy.lib", "s3proxy-server"),
        "org.gaul.s3proxy.Main", List.of("--properties", conf.toAbsolutePath().toString()),
        Map.of("JAVA_TOOL_OPTIONS", "-Dlogback.configurationFile=" + logback.toAbsolutePath()),
        workDir);
    process.awaitHttp(endpoint + "/", Duration.ofSeconds(90));
    return this;
  }

  public String endpoint() {
    return endpoint;
  }

  public String bucket() {
    return bucket;
  }

  public String accessKey() {
    return accessKey;
  }

  public String secretKey() {
    return secretKey;
  }

  /**
   * Iceberg S3FileIO properties for this server (endpoint override, path-style access). S3Proxy
   * checks payload hashes but does not know the AWS SDK's newer aws-chunked uploads with checksum
   * trailers: chunked encoding off here, and see {@link #SDK_CHECKSUMS_WHEN_REQUIRED}.
   */
  public Map<String, String> s3FileIoProperties() {
    return Map.of(
        "io-impl", "org.apache.iceberg.aws.s3.S3FileIO",
        "s3.endpoint", endpoint,
        "s3.path-style-access", "true",
        "s3.chunked-encoding-enabled", "false",
        "s3.access-key-id", accessKey,
        "s3.secret-access-key", secretKey,
        "client.region", "us-east-1");
  }

  /**
   * AWS SDK settings (environment variables; as system properties {@code aws.requestChecksum
   * Calculation} and {@code aws.responseChecksumValidation}) that S3-compatible stores without
   * the SDK's default CRC checksums need.
   */
  public static final Map<String, String> SDK_CHECKSUMS_WHEN_REQUIRED = Map.of(
      "AWS_REQUEST_CHECKSUM_CALCULATION", "when_required",
      "AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required");

  /** Applies {@link #SDK_CHECKSUMS_WHEN_REQUIRED} to this JVM's S3 clients (created afterwards). */
  public static void useSdkChecksumsWhenRequired() {
    System.setProperty("aws.requestChecksumCalculation", "when_required");
    System.setProperty("aws.responseChecksumValidation", "when_required");
  }

  @Override
  public void close() throws Exception {
    if (process != null) {
      process.close();
    }
  }
}
