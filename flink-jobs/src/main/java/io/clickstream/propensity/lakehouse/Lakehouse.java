package io.clickstream.propensity.lakehouse;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.runtime.typeutils.InternalTypeInfo;
import org.apache.iceberg.Table;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.catalog.Namespace;
import org.apache.iceberg.catalog.SupportsNamespaces;
import org.apache.iceberg.flink.CatalogLoader;
import org.apache.iceberg.flink.FlinkSchemaUtil;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.flink.sink.FlinkSink;
import org.apache.iceberg.flink.sink.IcebergSink;

/**
 * The Iceberg catalog of the medallion tables: any catalog Iceberg can load ({@link CatalogConfig});
 * by default a Hadoop catalog on a local warehouse directory.
 */
public final class Lakehouse {
  /** Catalog name used in Flink SQL ({@code sql/catalog.sql}). */
  public static final String CATALOG_NAME = "clickstream";

  private final CatalogConfig config;
  private final CatalogLoader catalogLoader;
  private boolean decoupleWriters;
  private Writer writer;
  private Catalog catalog;

  private Lakehouse(CatalogConfig config) {
    this.config = config;
    this.catalogLoader = config.loader(CATALOG_NAME);
  }

  /**
   * The embedded default: a Hadoop catalog on {@code warehouse}.
   *
   * @param warehouse a local directory (created if missing) or a file system URI
   */
  public static Lakehouse at(String warehouse) {
    return new Lakehouse(CatalogConfig.hadoop(warehouse));
  }

  /** Any Iceberg catalog. */
  public static Lakehouse of(CatalogConfig config) {
    return new Lakehouse(config);
  }

  public CatalogConfig config() {
    return config;
  }

  /** The warehouse location, or null when the catalog chooses it (e.g. a REST catalog). */
  public String warehouse() {
    return config.warehouse();
  }

  /** Where the tables are, for logs and messages (secrets masked). */
  public String describe() {
    return config.describe();
  }

  public CatalogLoader catalogLoader() {
    return catalogLoader;
  }

  /**
   * The catalog, loaded once: a REST or JDBC catalog holds HTTP/JDBC clients and a FileIO, which a
   * load per call would open again each time.
   */
  public synchronized Catalog catalog() {
    if (catalog == null) {
      catalog = catalogLoader.loadCatalog();
    }
    return catalog;
  }

  /** The Flink SQL statement that registers this catalog (holds secrets: never print it). */
  public String createCatalogSql() {
    StringBuilder sql = new StringBuilder("CREATE CATALOG " + CATALOG_NAME + " WITH (");
    String sep = "";
    for (Map.Entry<String, String> e : config.flinkSqlOptions().entrySet()) {
      sql.append(sep).append(quote(e.getKey())).append('=').append(quote(e.getValue()));
      sep = ", ";
    }
    return sql.append(')').toString();
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  /** Creates the namespaces and tables that do not exist yet; existing tables are left alone. */
  public void ensureTables(List<LakehouseTable> tables) {
    Catalog catalog = catalog();
    for (LakehouseTable t : tables) {
      Namespace ns = t.identifier().namespace();
      if (catalog instanceof SupportsNamespaces
          && !((SupportsNamespaces) catalog).namespaceExists(ns)) {
        ((SupportsNamespaces) catalog).createNamespace(ns);
      }
      if (!catalog.tableExists(t.identifier())) {
        catalog.createTable(t.identifier(), t.schema(), t.partitionSpec(), t.properties());
      } else {
        requireSameSchema(t, catalog.loadTable(t.identifier()));
      }
    }
  }

  private static void requireSameSchema(LakehouseTable t, Table table) {
    if (!table.schema().sameSchema(t.schema())) {
      throw new IllegalStateException(
          "table " + t.qualifiedName() + " in the warehouse has another schema than this version "
              + "of the job writes; drop it (or use another warehouse) and re-run the backfill.\n"
              + "  found:    " + table.schema().asStruct() + "\n  expected: " + t.schema().asStruct());
    }
  }

  public Table load(LakehouseTable t) {
    return catalog().loadTable(t.identifier());
  }

  /** The table if it exists (checked to have this version's schema); creates nothing. */
  public Optional<Table> loadIfExists(LakehouseTable t) {
    if (!catalog().tableExists(t.identifier())) {
      return Optional.empty();
    }
    Table table = load(t);
    requireSameSchema(t, table);
    return Optional.of(table);
  }

  /**
   * Starts replacing the content of {@code tables} atomically (see {@link TableReplacement}).
   *
   * @param replaceStreamed also replace tables a stream has written since the last replacement
   *     (else that is refused with {@link TableReplacement.StreamedDataException})
   */
  public TableReplacement beginReplacement(List<LakehouseTable> tables, boolean replaceStreamed) {
    ensureTables(tables);
    return TableReplacement.begin(this, tables, replaceStreamed);
  }

  public TableLoader tableLoader(LakehouseTable t) {
    return TableLoader.fromCatalog(catalogLoader, t.identifier());
  }

  /** Converts {@code stream} to the table's rows and appends them with Iceberg's v2 sink. */
  public <T> void append(DataStream<T> stream, MapFunction<T, RowData> toRow, LakehouseTable t) {
    write(stream, toRow, t, false, null, writer);
  }

  /**
   * Records {@code writer} in the summary of every snapshot this lakehouse's sinks commit (the
   * streaming job marks its writes, so a later backfill knows what it would replace).
   */
  public Lakehouse markWrites(Writer writer) {
    this.writer = writer;
    return this;
  }

  <T> void write(DataStream<T> stream, MapFunction<T, RowData> toRow, LakehouseTable t,
      boolean upsert, String branch, Writer marker) {
    SingleOutputStreamOperator<RowData> rows = rows(stream, toRow, t);
    if (!upsert && !t.keyColumns().isEmpty()) {
      // chained to the operator that makes the rows, without a shuffle
      writeInserts(rows, t, branch, marker);
      return;
    }
    IcebergSink.Builder sink = IcebergSink.forRowData(rows)
        .tableLoader(tableLoader(t))
        .uidSuffix(t.qualifiedName());
    // explicit: the gold tables declare write.upsert.enabled for SQL writers
    sink.upsert(upsert);
    if (upsert) {
      sink.equalityFieldColumns(t.keyColumns());
    }
    if (branch != null) {
      sink.toBranch(branch);
    }
    if (marker != null) {
      sink.setSnapshotProperty(Writer.PROPERTY, marker.value());
    }
    sink.append();
  }

  /**
   * Rows that are all new keys of a keyed table (a backfill writes each key once into an empty
   * branch), as plain data files, without a shuffle by key. Iceberg's Flink sinks take a
   * table's identifier fields as equality fields even when they do not upsert, and then write
   * through an equality-delta writer (it remembers every key written, to turn a later delete of
   * it into a position delete) behind a shuffle by key. {@link FlinkSink} takes the table its
   * writers use as given (IcebergSink copies it from the catalog again), so writers given the
   * table without identifier fields ({@link InsertOnlyTable}) need neither; commits go to the real
   * table.
   */
  private void writeInserts(DataStream<RowData> rows, LakehouseTable t, String branch,
      Writer marker) {
    FlinkSink.Builder sink = FlinkSink.forRowData(rows)
        .tableLoader(tableLoader(t))
        .table(new InsertOnlyTable(load(t)))
        .uidPrefix(t.qualifiedName())
        // explicit: the gold tables declare write.upsert.enabled for SQL writers
        .upsert(false);
    if (branch != null) {
      sink.toBranch(branch);
    }
    if (marker != null) {
      sink.setSnapshotProperty(Writer.PROPERTY, marker.value());
    }
    sink.append();
  }

  /**
   * Writers in their own tasks (streaming): an Iceberg writer flushes its files on every
   * checkpoint; chained to the feature or scoring operators it would stall them for that time.
   * The conversion to table rows runs in the writer's task too, off the producer's thread.
   */
  public Lakehouse decoupleWriters(boolean decouple) {
    this.decoupleWriters = decouple;
    return this;
  }

  private <T> SingleOutputStreamOperator<RowData> rows(DataStream<T> stream,
      MapFunction<T, RowData> toRow, LakehouseTable t) {
    var rows = stream
        .map(toRow)
        .name("to-" + t.qualifiedName())
        .uid("to-" + t.qualifiedName())
        .returns(InternalTypeInfo.of(FlinkSchemaUtil.convert(t.schema())));
    if (decoupleWriters) {
      rows.startNewChain();
    }
    return rows;
  }

  /** Like {@link #append}, but rows replace earlier rows with the same key (gold metric tables). */
  public <T> void upsert(DataStream<T> stream, MapFunction<T, RowData> toRow, LakehouseTable t) {
    write(stream, toRow, t, true, null, writer);
  }
}
