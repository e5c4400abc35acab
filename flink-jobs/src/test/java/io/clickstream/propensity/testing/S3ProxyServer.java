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
    process = ServerProcess.start("s3proxy",
        ServerProcess.lib("clickstream.s3proxy.lib", "s3proxy-server"),
        "org.gaul.s3proxy.Main", List.of("--properties", conf.toAbsolutePath().toString()),
        Map.of("LOG_LEVEL", "warn"), workDir);
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

  /** Iceberg S3FileIO properties for this server (endpoint override, path-style access). */
  public Map<String, String> s3FileIoProperties() {
    return Map.of(
        "io-impl", "org.apache.iceberg.aws.s3.S3FileIO",
        "s3.endpoint", endpoint,
        "s3.path-style-access", "true",
        "s3.access-key-id", accessKey,
        "s3.secret-access-key", secretKey,
        "client.region", "us-east-1");
  }

  @Override
  public void close() throws Exception {
    if (process != null) {
      process.close();
    }
  }
}
