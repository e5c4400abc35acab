package io.clickstream.propensity.lakehouse;

import org.apache.iceberg.Schema;
import org.apache.iceberg.SerializableTable;
import org.apache.iceberg.Table;

/**
 * A table as the writers of plain inserts see it: its schema without identifier fields, so that
 * Iceberg's sink does not take them as equality fields ({@link Lakehouse}, writeInserts). Data
 * files do not depend on identifier fields; the table itself keeps them.
 */
final class InsertOnlyTable extends SerializableTable {
  private static final long serialVersionUID = 1L;

  InsertOnlyTable(Table table) {
    super(table);
  }

  @Override
  public Schema schema() {
    Schema schema = super.schema();
    return new Schema(schema.schemaId(), schema.columns());
  }
}
