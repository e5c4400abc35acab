package io.clickstream.propensity.lakehouse;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which configuration values are secrets, and how they are shown: every place that prints or logs
 * catalog, object-store or Kafka settings goes through {@link #mask}.
 */
public final class Secrets {
  public static final String MASK = "******";

  // key names that carry credentials in Iceberg (s3.secret-access-key, credential, token,
  // jdbc.password), AWS, Kafka (sasl.jaas.config, ssl.*.password) and JDBC
  private static final Pattern SECRET_KEY = Pattern.compile(
      ".*(secret|password|passwd|token|credential|jaas|session-key|access-key|private|apikey|api-key).*");
  private static final Pattern URI_USER_INFO = Pattern.compile("(?<=://)[^/@\\s]+@");

  private Secrets() {}

  public static boolean isSecret(String key) {
    return key != null && SECRET_KEY.matcher(key.toLowerCase(Locale.ROOT)).matches();
  }

  /** The value to show for {@code key}: masked for secrets, user info stripped from URIs. */
  public static String mask(String key, String value) {
    if (value == null) {
      return null;
    }
    return isSecret(key) ? MASK : maskUriCredentials(value);
  }

  /** {@code jdbc:postgresql://user:pw@host/db} -> {@code jdbc:postgresql://******@host/db}. */
  public static String maskUriCredentials(String value) {
    return value == null ? null : URI_USER_INFO.matcher(value).replaceAll(MASK + "@");
  }
}
