package io.clickstream.propensity.jobs;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * What a job needs from its surroundings, checked before it starts: without these checks a bad
 * setting surfaces only as failing tasks (or a client retrying forever). Each check throws an
 * {@link IllegalStateException} with one line naming the resource and how to fix it.
 */
public final class StartupChecks {
  /** Client id of the checks' Kafka admin client (its connection warnings can be told apart). */
  public static final String KAFKA_CLIENT_ID = "clickstream-startup-check";

  private StartupChecks() {}

  /** Kafka at {@code servers} answers a cluster description within {@code timeout}. */
  public static void kafkaReachable(String servers, Map<String, String> clientProperties,
      Duration timeout) {
    try (Admin admin = admin(servers, clientProperties, timeout)) {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs(millis(timeout)))
          .clusterId().get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw unreachable(servers, timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while connecting to Kafka at " + servers, e);
    }
  }

  /**
   * {@code topic} exists on Kafka at {@code servers}: a Kafka source does not create the topic it
   * reads, and without it the job fails once it runs.
   */
  public static void topicExists(String servers, Map<String, String> clientProperties,
      String topic, Duration timeout) {
    try (Admin admin = admin(servers, clientProperties, timeout)) {
      admin.describeTopics(List.of(topic), new DescribeTopicsOptions().timeoutMs(millis(timeout)))
          .allTopicNames().get(timeout.toMillis() + 5_000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        throw new IllegalStateException("topic '" + topic + "' does not exist on Kafka at "
            + servers + ": the job reads it but does not create it; create it (with Kafka's "
            + "kafka-topics tool, or by replaying events into it on a broker that creates "
            + "topics) or read another topic");
      }
      if (e.getCause() instanceof AuthorizationException) {
        throw new IllegalStateException("Kafka at " + servers + " does not let this client "
            + "describe topic '" + topic + "' (" + oneLine(e.getCause()) + "): grant it DESCRIBE "
            + "and READ on the topic", e);
      }
      throw unreachable(servers, timeout, e);
    } catch (TimeoutException e) {
      throw unreachable(servers, timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while connecting to Kafka at " + servers, e);
    }
  }

  /**
   * A local directory (a path or {@code file:} URI) exists or can be created, and a file can be
   * written in it. Other locations (s3://, hdfs://, ...) are left to their file system: checking
   * them would need their credentials and a round trip.
   *
   * @param what what the directory is for, e.g. "checkpoint directory"
   */
  public static void writableDirectory(String location, String what) {
    Path dir = localPath(location);
    if (dir == null) {
      return;
    }
    Path existing = dir;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing != null && !Files.isDirectory(existing)) {
      throw new IllegalStateException(what + " " + dir + " cannot be created: " + existing
          + " is a file, not a directory; choose another path");
    }
    try {
      Files.createDirectories(dir);
      Path probe = Files.createTempFile(dir, ".write-check", ".tmp");
      Files.delete(probe);
    } catch (IOException | SecurityException e) {
      throw new IllegalStateException(what + " " + dir + " is not writable (" + fileProblem(e)
          + "): fix its permissions or choose another path", e);
    }
  }

  /** The path of a local location, or null when it is a URI of another file system. */
  static Path localPath(String location) {
    if (location == null || location.isBlank()) {
      return null;
    }
    if (location.contains(":/")) {
      URI uri = URI.create(location.replace(" ", "%20"));
      return "file".equalsIgnoreCase(uri.getScheme())
          ? new File(uri.getPath()).toPath().toAbsolutePath() : null;
    }
    return Path.of(location).toAbsolutePath();
  }

  private static Admin admin(String servers, Map<String, String> clientProperties,
      Duration timeout) {
    Properties p = new Properties();
    p.putAll(clientProperties);
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers);
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, KAFKA_CLIENT_ID);
    p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, String.valueOf(millis(timeout)));
    p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, String.valueOf(millis(timeout)));
    try {
      return Admin.create(p);
    } catch (KafkaException e) {
      throw new IllegalStateException("Kafka bootstrap servers '" + servers + "' are not usable ("
          + oneLine(e) + "): give HOST:PORT[,HOST:PORT...] of reachable brokers", e);
    }
  }

  private static IllegalStateException unreachable(String servers, Duration timeout, Exception e) {
    Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
    if (cause instanceof AuthenticationException) {
      return new IllegalStateException("Kafka at " + servers + " refused this client ("
          + oneLine(cause) + "): check the client's security properties", e);
    }
    return new IllegalStateException("Kafka at " + servers + " did not answer within "
        + timeout.toSeconds() + " s (" + oneLine(cause) + "): check that the brokers run and "
        + "that the address and the client's security properties are right", e);
  }

  private static int millis(Duration timeout) {
    return (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
  }

  /** A file system error in words: its message alone is often only the file's name. */
  private static String fileProblem(Exception e) {
    if (e instanceof AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof FileSystemException) {
      FileSystemException f = (FileSystemException) e;
      return f.getReason() != null ? f.getReason()
          : e.getClass().getSimpleName().replaceAll("Exception$", "") + " " + f.getFile();
    }
    return oneLine(e);
  }

  /** The innermost message of {@code t} on one line. */
  static String oneLine(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
    return m.replaceAll("\\s*\\R\\s*", " ").trim();
  }
}
