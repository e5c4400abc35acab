package io.clickstream.propensity.lakehouse;

import static org.apache.iceberg.types.Types.NestedField.optional;
import static org.apache.iceberg.types.Types.NestedField.required;

import io.clickstream.propensity.events.EventFields;
import io.clickstream.propensity.features.FeatureRules;
import io.clickstream.propensity.features.FeatureSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.TableIdentifier;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * Every Iceberg table of the medallion layout, its schema, partitioning and properties, declared
 * once. {@code sql/tables.sql} mirrors these for the SQL client and a test keeps the two equal.
 */
public enum LakehouseTable {
  BRONZE_RAW("bronze", "clickstream_raw"),
  SILVER_EVENTS("silver", "clickstream_events"),
  SILVER_REJECTED("silver", "rejected_events"),
  GOLD_CART_METRICS("gold", "cart_metrics"),
  GOLD_CART_PRODUCT_METRICS("gold", "cart_product_metrics"),
  GOLD_USER_METRICS("gold", "user_metrics"),
  GOLD_PRODUCT_METRICS("gold", "product_metrics"),
  GOLD_USER_PRODUCT_METRICS("gold", "user_product_metrics"),
  GOLD_TRAINING_FEATURES("gold", "training_features"),
  GOLD_SESSION_SCORES("gold", "session_scores");

  /** Instants are Iceberg {@code timestamptz} (Flink TIMESTAMP_LTZ(6)): UTC, whatever the reader. */
  private static final Type INSTANT = Types.TimestampType.withZone();

  private final String namespace;
  private final String name;

  LakehouseTable(String namespace, String name) {
    this.namespace = namespace;
    this.name = name;
  }

  public TableIdentifier identifier() {
    return TableIdentifier.of(Namespace.of(namespace), name);
  }

  /** {@code namespace.table}, as written in SQL. */
  public String qualifiedName() {
    return namespace + "." + name;
  }

  /** The gold metric table of a feature set. */
  public static LakehouseTable metricsOf(FeatureSet set) {
    switch (set) {
      case CART:
        return GOLD_CART_METRICS;
      case CART_PRODUCT:
        return GOLD_CART_PRODUCT_METRICS;
      case USER:
        return GOLD_USER_METRICS;
      case PRODUCT:
        return GOLD_PRODUCT_METRICS;
      case USER_PRODUCT:
        return GOLD_USER_PRODUCT_METRICS;
      default:
        throw new IllegalArgumentException("unknown feature set " + set);
    }
  }

  /** The feature set of a gold metric table, or null for the other tables. */
  public FeatureSet featureSet() {
    for (FeatureSet set : FeatureSet.values()) {
      if (metricsOf(set) == this) {
        return set;
      }
    }
    return null;
  }

  public Schema schema() {
    switch (this) {
      case BRONZE_RAW:
        return new Schema(
            required(1, "source", Types.StringType.get(), "input file path, or Kafka topic"),
            required(2, "source_partition", Types.IntegerType.get(),
                "index of the input file in the order given, or Kafka partition"),
            required(3, "source_offset", Types.LongType.get(),
                "line number in the file (1 = header), or Kafka offset"),
            optional(4, "raw", Types.StringType.get(), "the record exactly as received"),
            required(5, "ingested_at", INSTANT));
      case SILVER_EVENTS:
        return new Schema(
            required(1, "event_id", Types.StringType.get(),
                "deterministic hash of the nine fields in canonical form"),
            required(2, EventFields.EVENT_TIME, INSTANT),
            required(3, EventFields.EVENT_TYPE, Types.StringType.get()),
            required(4, EventFields.PRODUCT_ID, Types.LongType.get()),
            optional(5, EventFields.CATEGORY_ID, Types.LongType.get()),
            optional(6, EventFields.CATEGORY_CODE, Types.StringType.get()),
            optional(7, EventFields.BRAND, Types.StringType.get()),
            required(8, EventFields.PRICE,
                Types.DecimalType.of(EventFields.PRICE_PRECISION, EventFields.PRICE_SCALE)),
            required(9, EventFields.USER_ID, Types.LongType.get()),
            required(10, EventFields.USER_SESSION, Types.StringType.get()),
            required(11, "source_partition", Types.IntegerType.get(),
                "position of the first occurrence: file index or Kafka partition"),
            required(12, "source_offset", Types.LongType.get(),
                "position of the first occurrence: line number or Kafka offset"),
            required(13, "ingested_at", INSTANT));
      case SILVER_REJECTED:
        return new Schema(
            required(1, "source", Types.StringType.get()),
            required(2, "source_partition", Types.IntegerType.get()),
            required(3, "source_offset", Types.LongType.get()),
            optional(4, "raw", Types.StringType.get()),
            required(5, "reason", Types.StringType.get(), "machine-readable reason (docs/features.md, Layers)"),
            optional(6, "detail", Types.StringType.get(), "what is wrong, for humans"),
            required(7, "ingested_at", INSTANT));
      case GOLD_TRAINING_FEATURES:
        return featureRowSchema(List.of(
            required(0, "label", Types.IntegerType.get(),
                "1 if a purchase of the same cart-product follows in canonical order"),
            required(0, "split", Types.StringType.get(), "train, test or validation (per cart)")));
      case GOLD_SESSION_SCORES:
        return featureRowSchema(List.of(
            required(0, "late", Types.BooleanType.get(),
                "scored out of canonical order: stream and batch features may differ"),
            required(0, "propensity", Types.DoubleType.get(), "probability of label 1"),
            required(0, "action", Types.StringType.get(),
                "suggest_alternatives, offer_incentive or suggest_complements"),
            required(0, "model_name", Types.StringType.get()),
            required(0, "model_version", Types.StringType.get()),
            required(0, "ingested_at", INSTANT, "when the event entered Kafka"),
            required(0, "scored_at", INSTANT)));
      default:
        return metricsSchema(featureSet());
    }
  }

  public PartitionSpec partitionSpec() {
    Schema schema = schema();
    if (this == SILVER_EVENTS || this == GOLD_SESSION_SCORES) {
      return PartitionSpec.builderFor(schema).day(EventFields.EVENT_TIME).build();
    }
    return PartitionSpec.unpartitioned();
  }

  public Map<String, String> properties() {
    Map<String, String> p = new java.util.TreeMap<>();
    p.put(TableProperties.FORMAT_VERSION, "2");
    // zstd (Iceberg's default codec) at level 1: cheaper to write than the default level for a
    // few more bytes
    p.put(TableProperties.PARQUET_COMPRESSION_LEVEL, "1");
    // Parquet dictionaries of 4 KB instead of 2 MB: low-cardinality columns (event_type) keep
    // theirs, high-cardinality ones (event_id, sessions, times) fall back to plain encoding at
    // once instead of hashing every value first, at no cost in table size (zstd finds the
    // repetition anyway)
    p.put(TableProperties.PARQUET_DICT_SIZE_BYTES, "4096");
    if (featureSet() != null) {
      // current state per key, upserted by the streaming job
      p.put(TableProperties.UPSERT_ENABLED, "true");
    }
    return java.util.Collections.unmodifiableMap(p);
  }

  /** Key columns of a gold metric table (its primary key), else empty. */
  public List<String> keyColumns() {
    FeatureSet set = featureSet();
    return set == null ? List.of() : keyColumns(set);
  }

  static List<String> keyColumns(FeatureSet set) {
    switch (set) {
      case CART:
        return List.of(EventFields.USER_ID, EventFields.USER_SESSION);
      case CART_PRODUCT:
        return List.of(EventFields.USER_ID, EventFields.USER_SESSION, EventFields.PRODUCT_ID);
      case USER:
        return List.of(EventFields.USER_ID);
      case PRODUCT:
        return List.of(EventFields.PRODUCT_ID);
      case USER_PRODUCT:
        return List.of(EventFields.USER_ID, EventFields.PRODUCT_ID);
      default:
        throw new IllegalArgumentException("unknown feature set " + set);
    }
  }

  private static Schema metricsSchema(FeatureSet set) {
    List<Types.NestedField> fields = new ArrayList<>();
    int id = 1;
    for (String key : keyColumns(set)) {
      fields.add(required(id++, key, keyType(key)));
    }
    for (int f = 0; f < FeatureRules.FEATURES_PER_SET; f++) {
      fields.add(featureField(id++, FeatureRules.FEATURES.get(f), f));
    }
    fields.add(required(id, "last_event_time", INSTANT));
    Set<Integer> identifiers = new java.util.HashSet<>();
    for (int i = 1; i <= keyColumns(set).size(); i++) {
      identifiers.add(i);
    }
    return new Schema(fields, identifiers);
  }

  /**
   * Keys, event time and type, the 50 features named as in the model, then {@code tail} (whose
   * field ids are reassigned in order): the shared layout of training rows and score rows, so
   * serving-time features can be audited against training rows with plain SQL.
   */
  private static Schema featureRowSchema(List<Types.NestedField> tail) {
    List<Types.NestedField> fields = new ArrayList<>();
    int id = 1;
    fields.add(required(id++, "event_id", Types.StringType.get()));
    fields.add(required(id++, EventFields.USER_ID, Types.LongType.get()));
    fields.add(required(id++, EventFields.USER_SESSION, Types.StringType.get()));
    fields.add(required(id++, EventFields.PRODUCT_ID, Types.LongType.get()));
    fields.add(required(id++, EventFields.EVENT_TIME, INSTANT));
    fields.add(required(id++, EventFields.EVENT_TYPE, Types.StringType.get()));
    for (int i = 0; i < FeatureRules.MODEL_FEATURE_COUNT; i++) {
      fields.add(featureField(id++, FeatureRules.MODEL_FEATURES.get(i), i));
    }
    for (Types.NestedField f : tail) {
      fields.add(Types.NestedField.of(id++, f.isOptional(), f.name(), f.type(), f.doc()));
    }
    return new Schema(fields);
  }

  /** Counts are BIGINT NOT NULL; ratios are DOUBLE, null when the denominator is 0. */
  private static Types.NestedField featureField(int id, String name, int featureIndex) {
    return FeatureRules.isCount(featureIndex)
        ? required(id, name, Types.LongType.get())
        : optional(id, name, Types.DoubleType.get());
  }

  /**
   * The Flink SQL DDL of this table ({@code sql/tables.sql} holds it for every table; a test keeps
   * the file equal to this). Flink DDL cannot declare Iceberg's hidden day() partitioning: tables
   * created by the jobs carry it; the DDL names it in a comment.
   */
  public String flinkDdl() {
    org.apache.flink.table.types.logical.RowType row =
        org.apache.iceberg.flink.FlinkSchemaUtil.convert(schema());
    StringBuilder sb = new StringBuilder();
    if (!partitionSpec().isUnpartitioned()) {
      sb.append("-- partitioned by ").append(partitionSpec().fields().get(0).transform())
          .append('(').append(EventFields.EVENT_TIME).append(") when created by the jobs\n");
    }
    sb.append("CREATE TABLE IF NOT EXISTS ").append(qualifiedName()).append(" (\n");
    List<String> lines = new ArrayList<>();
    for (org.apache.flink.table.types.logical.RowType.RowField f : row.getFields()) {
      lines.add("  `" + f.getName() + "` " + f.getType().asSummaryString());
    }
    if (!keyColumns().isEmpty()) {
      lines.add("  PRIMARY KEY (" + String.join(", ", keyColumns()) + ") NOT ENFORCED");
    }
    sb.append(String.join(",\n", lines)).append("\n) WITH (\n");
    List<String> props = new ArrayList<>();
    new java.util.TreeMap<>(properties()).forEach((k, v) -> props.add("  '" + k + "' = '" + v + "'"));
    sb.append(String.join(",\n", props)).append("\n);\n");
    return sb.toString();
  }

  /** DDL of every table, with the namespaces, as kept in {@code sql/tables.sql}. */
  public static String allDdl() {
    StringBuilder sb = new StringBuilder();
    sb.append("-- Generated from LakehouseTable (the one declaration of every table); "
        + "LakehouseTableDdlTest keeps it current.\n")
        .append("-- Run after sql/catalog.sql. The jobs create these tables themselves.\n\n");
    java.util.Set<String> namespaces = new java.util.LinkedHashSet<>();
    for (LakehouseTable t : values()) {
      namespaces.add(t.namespace);
    }
    for (String ns : namespaces) {
      sb.append("CREATE DATABASE IF NOT EXISTS ").append(ns).append(";\n");
    }
    for (LakehouseTable t : values()) {
      sb.append('\n').append(t.flinkDdl());
    }
    return sb.toString();
  }

  private static Type keyType(String column) {
    return EventFields.USER_SESSION.equals(column) ? Types.StringType.get() : Types.LongType.get();
  }
}
