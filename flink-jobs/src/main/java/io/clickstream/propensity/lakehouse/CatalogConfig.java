package io.clickstream.propensity.lakehouse;

import java.io.File;
import java.net.URI;
import java.util.Collections;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.CatalogUtil;
import org.apache.iceberg.flink.CatalogLoader;

/**
 * Which Iceberg catalog holds the tables: Iceberg's own catalog properties ({@code type},
 * {@code uri}, {@code warehouse}, {@code catalog-impl}, {@code io-impl}, {@code s3.*}, ...), passed
 * through unchanged. Immutable; {@link #toString()} masks secrets, so it is safe to log.
 */
public final class CatalogConfig implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  /** Iceberg's catalog-type key ({@link CatalogUtil#ICEBERG_CATALOG_TYPE}). */
  public static final String TYPE = CatalogUtil.ICEBERG_CATALOG_TYPE;

  private final TreeMap<String, String> properties;

  private CatalogConfig(Map<String, String> properties) {
    this.properties = new TreeMap<>(properties);
    Secrets.remember(this.properties);
  }

  /** The embedded default: a Hadoop catalog on a local directory (created if missing) or URI. */
  public static CatalogConfig hadoop(String warehouse) {
    if (warehouse == null || warehouse.isBlank()) {
      throw new IllegalArgumentException(
          "warehouse location is empty: give a local directory or a file system URI");
    }
    return new CatalogConfig(Map.of(
        TYPE, CatalogUtil.ICEBERG_CATALOG_TYPE_HADOOP,
        CatalogProperties.WAREHOUSE_LOCATION, normaliseWarehouse(warehouse)));
  }

  /**
   * Any catalog Iceberg can load. Needs {@code type} (hadoop, hive, rest, jdbc, glue, nessie) or
   * {@code catalog-impl}; a Hadoop catalog also needs {@code warehouse}.
   */
  public static CatalogConfig of(Map<String, String> properties) {
    Map<String, String> props = new HashMap<>(properties);
    String type = props.get(TYPE);
    String impl = props.get(CatalogProperties.CATALOG_IMPL);
    if (type == null && impl == null) {
      throw new IllegalArgumentException(
          "catalog properties name no catalog: set type=rest|jdbc|hive|hadoop|glue|nessie or "
              + "catalog-impl=<class>");
    }
    if (type != null && impl != null) {
      throw new IllegalArgumentException(
          "catalog properties set both type=" + type + " and catalog-impl=" + impl + ": keep one");
    }
    if (type != null) {
      type = type.toLowerCase(Locale.ROOT);
      props.put(TYPE, type);
      if (implOf(type) == null) {
        throw new IllegalArgumentException("unknown catalog type=" + type
            + ": use rest, jdbc, hive, hadoop, glue or nessie, or catalog-impl=<class>");
      }
    }
    if (CatalogUtil.ICEBERG_CATALOG_TYPE_HADOOP.equals(type)) {
      String wh = props.get(CatalogProperties.WAREHOUSE_LOCATION);
      if (wh == null || wh.isBlank()) {
        throw new IllegalArgumentException("a hadoop catalog needs warehouse=<dir or URI>");
      }
      props.put(CatalogProperties.WAREHOUSE_LOCATION, normaliseWarehouse(wh));
    }
    if (("rest".equals(type) || "jdbc".equals(type))
        && props.getOrDefault(CatalogProperties.URI, "").isBlank()) {
      throw new IllegalArgumentException("a " + type + " catalog needs uri=<its address>");
    }
    return new CatalogConfig(props);
  }

  private static String implOf(String type) {
    switch (type) {
      case CatalogUtil.ICEBERG_CATALOG_TYPE_HADOOP: return CatalogUtil.ICEBERG_CATALOG_HADOOP;
      case CatalogUtil.ICEBERG_CATALOG_TYPE_HIVE: return CatalogUtil.ICEBERG_CATALOG_HIVE;
      case CatalogUtil.ICEBERG_CATALOG_TYPE_REST: return CatalogUtil.ICEBERG_CATALOG_REST;
      case CatalogUtil.ICEBERG_CATALOG_TYPE_JDBC: return CatalogUtil.ICEBERG_CATALOG_JDBC;
      case CatalogUtil.ICEBERG_CATALOG_TYPE_GLUE: return CatalogUtil.ICEBERG_CATALOG_GLUE;
      case CatalogUtil.ICEBERG_CATALOG_TYPE_NESSIE: return CatalogUtil.ICEBERG_CATALOG_NESSIE;
      default: return null;
    }
  }

  static String normaliseWarehouse(String warehouse) {
    URI uri = URI.create(warehouse.replace(" ", "%20"));
    if (uri.getScheme() != null && uri.getScheme().length() > 1) {
      return warehouse;
    }
    File dir = new File(warehouse).getAbsoluteFile();
    if (!dir.isDirectory() && !dir.mkdirs()) {
      throw new IllegalArgumentException(
          "cannot create warehouse directory " + dir + ": check the path and its permissions");
    }
    return dir.toURI().toString();
  }

  /** The properties as given (secrets included): for Iceberg only, never for logs. */
  public Map<String, String> properties() {
    return Collections.unmodifiableMap(properties);
  }

  public String type() {
    return properties.get(TYPE);
  }

  /** The warehouse property, or null when the catalog decides (e.g. a REST catalog). */
  public String warehouse() {
    return properties.get(CatalogProperties.WAREHOUSE_LOCATION);
  }

  /** The embedded default: a Hadoop catalog on a local directory. */
  public boolean isLocalHadoop() {
    return CatalogUtil.ICEBERG_CATALOG_TYPE_HADOOP.equals(type())
        && warehouse() != null && warehouse().startsWith("file:");
  }

  /** A loader for Flink's Iceberg sinks and sources (serializable, as Flink ships it to tasks). */
  public CatalogLoader loader(String name) {
    Configuration hadoop = new Configuration();
    hadoop.set(NioLocalFileSystem.IMPL_KEY, NioLocalFileSystem.class.getName());
    String type = type();
    if (type == null) {
      return CatalogLoader.custom(name, properties, hadoop, properties.get(CatalogProperties.CATALOG_IMPL));
    }
    switch (type) {
      case CatalogUtil.ICEBERG_CATALOG_TYPE_HADOOP: return CatalogLoader.hadoop(name, hadoop, withCommitLocks());
      case CatalogUtil.ICEBERG_CATALOG_TYPE_HIVE: return CatalogLoader.hive(name, hadoop, properties);
      case CatalogUtil.ICEBERG_CATALOG_TYPE_REST: return CatalogLoader.rest(name, hadoop, properties);
      default: return CatalogLoader.custom(name, withoutType(), hadoop, implOf(type));
    }
  }

  /**
   * The properties with {@link JvmCommitLocks} as the Hadoop catalog's commit lock, unless one is
   * configured: Iceberg's default is cleared by the close of any Hadoop catalog in the JVM.
   */
  private Map<String, String> withCommitLocks() {
    Map<String, String> p = new HashMap<>(properties);
    p.putIfAbsent(CatalogProperties.LOCK_IMPL, JvmCommitLocks.class.getName());
    return p;
  }

  private Map<String, String> withoutType() {
    Map<String, String> p = new HashMap<>(properties);
    p.remove(TYPE);
    return p;
  }

  /**
   * The options of Flink SQL's {@code CREATE CATALOG ... WITH (...)} for this catalog (Iceberg's
   * Flink factory names the type {@code catalog-type} and knows only hadoop, hive and rest by it).
   */
  public Map<String, String> flinkSqlOptions() {
    Map<String, String> out = new TreeMap<>();
    out.put("type", "iceberg");
    String type = type();
    for (Map.Entry<String, String> e : properties.entrySet()) {
      if (!e.getKey().equals(TYPE)) {
        out.put(e.getKey(), e.getValue());
      }
    }
    if (type != null) {
      if (Set.of("hadoop", "hive", "rest").contains(type)) {
        out.put("catalog-type", type);
      } else {
        out.put(CatalogProperties.CATALOG_IMPL, implOf(type));
      }
    }
    return out;
  }

  /** The properties with every secret masked: what may be printed or logged. */
  public Map<String, String> masked() {
    Map<String, String> out = new TreeMap<>();
    properties.forEach((k, v) -> out.put(k, Secrets.mask(k, v)));
    return out;
  }

  /** A short, masked description for logs: the type and where the tables are. */
  public String describe() {
    String where = properties.getOrDefault(CatalogProperties.URI, warehouse());
    String kind = type() != null ? type() : properties.get(CatalogProperties.CATALOG_IMPL);
    return kind + " catalog " + Secrets.maskUriCredentials(Objects.toString(where, "(default location)"));
  }

  @Override
  public String toString() {
    return "CatalogConfig" + masked();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CatalogConfig && ((CatalogConfig) o).properties.equals(properties);
  }

  @Override
  public int hashCode() {
    return properties.hashCode();
  }
}
