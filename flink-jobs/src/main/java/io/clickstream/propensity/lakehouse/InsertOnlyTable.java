package io.clickstream.propensity.lakehouse;

import org.apache.iceberg.Schema;
import org.apache.iceberg.SerializableTable;
import org.apache.iceberg.Table;

/**
 * A table as its writers see it when every key is inserted once (a backfill into an empty staging
 * branch): its schema without identifier fields. Iceberg's Flink sink treats a table's identifier
 * fields as equality fields, which routes every row through the equality-delta writer: rows
 * shuffled by key to the writers, and every key held in the writer's heap until the end of the
 * input (so a large backfill would need a heap that grows with its number of keys). The data
 * files are the same; the committer commits them to the real table.
 */
final class InsertOnlyTable extends SerializableTable {
  private static final long serialVersionUID = 1L;

  private transient Schema keyless;

  private InsertOnlyTable(Table table) {
    super(table);
  }

  static Table of(Table table) {
    return new InsertOnlyTable(table);
  }

  @Override
  public Schema schema() {
    if (keyless == null) {
      Schema s = super.schema();
      keyless = new Schema(s.schemaId(), s.columns());
    }
    return keyless;
  }
}
