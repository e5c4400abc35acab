package io.clickstream.propensity.lakehouse;

import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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

  // secret values this process was given, so messages that quote them (a failing SQL statement,
  // a driver error) can still be printed
  private static final Set<String> KNOWN = ConcurrentHashMap.newKeySet();

  private Secrets() {}

  /** Remembers the values of the secret keys of {@code properties} for {@link #scrub}. */
  public static void remember(Map<String, String> properties) {
    properties.forEach((k, v) -> {
      if (isSecret(k) && v != null && v.length() >= 4) {
        KNOWN.add(v);
      }
    });
  }

  /** {@code text} with every remembered secret value and URI user info masked. */
  public static String scrub(String text) {
    if (text == null) {
      return null;
    }
    String out = text;
    for (String secret : KNOWN) {
      out = out.replace(secret, MASK);
    }
    return maskUriCredentials(out);
  }

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
