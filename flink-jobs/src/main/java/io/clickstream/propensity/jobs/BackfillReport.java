package io.clickstream.propensity.jobs;

import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotSummary;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;

/** What a backfill wrote: rows per table, the reconciliation, elapsed time and throughput. */
public final class BackfillReport {
  private final Map<LakehouseTable, Long> rows;
  private final long duplicatesRemoved;
  private final long elapsedMillis;

  private BackfillReport(Map<LakehouseTable, Long> rows, long duplicatesRemoved, long elapsedMillis) {
    this.rows = rows;
    this.duplicatesRemoved = duplicatesRemoved;
    this.elapsedMillis = elapsedMillis;
  }

  /** Reads row counts from each table's current snapshot summary (metadata only, no scan). */
  public static BackfillReport of(Lakehouse lakehouse, long duplicatesRemoved, long elapsedMillis) {
    Map<LakehouseTable, Long> rows = new LinkedHashMap<>();
    for (LakehouseTable t : BackfillJob.TABLES) {
      rows.put(t, rowCount(lakehouse.load(t)));
    }
    return new BackfillReport(rows, duplicatesRemoved, elapsedMillis);
  }

  /** The report of a finished backfill job (its duplicates accumulator and the tables). */
  public static BackfillReport of(Lakehouse lakehouse, org.apache.flink.api.common.JobExecutionResult result,
      long elapsedMillis) {
    Long duplicates = result.getAccumulatorResult(BackfillJob.DUPLICATES_REMOVED);
    return of(lakehouse, duplicates == null ? 0 : duplicates, elapsedMillis);
  }

  /** Live row count of a table: from its snapshot summary, 0 when it has no snapshot. */
  public static long rowCount(Table table) {
    Snapshot s = table.currentSnapshot();
    if (s == null) {
      return 0;
    }
    String total = s.summary().get(SnapshotSummary.TOTAL_RECORDS_PROP);
    String deletes = s.summary().get(SnapshotSummary.TOTAL_POS_DELETES_PROP);
    String eqDeletes = s.summary().get(SnapshotSummary.TOTAL_EQ_DELETES_PROP);
    if (total == null) {
      throw new IllegalStateException("snapshot of " + table.name() + " has no record count");
    }
    if ((deletes != null && !"0".equals(deletes)) || (eqDeletes != null && !"0".equals(eqDeletes))) {
      // delete files (streaming upserts): only a scan knows the live count
      long n = 0;
      try (CloseableIterable<Record> records = IcebergGenerics.read(table).select().build()) {
        for (Record ignored : records) {
          n++;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return n;
    }
    return Long.parseLong(total);
  }

  public long rows(LakehouseTable t) {
    return rows.getOrDefault(t, 0L);
  }

  public long duplicatesRemoved() {
    return duplicatesRemoved;
  }

  public long elapsedMillis() {
    return elapsedMillis;
  }

  /** bronze = silver + rejected + duplicates_removed (docs/features.md, Layers). */
  public boolean reconciles() {
    return rows(LakehouseTable.BRONZE_RAW)
        == rows(LakehouseTable.SILVER_EVENTS) + rows(LakehouseTable.SILVER_REJECTED) + duplicatesRemoved;
  }

  public double eventsPerSecond() {
    return elapsedMillis == 0 ? 0 : rows(LakehouseTable.BRONZE_RAW) * 1000.0 / elapsedMillis;
  }

  public void print(PrintStream out) {
    out.println("Rows per table:");
    for (Map.Entry<LakehouseTable, Long> e : rows.entrySet()) {
      out.printf("  %-32s %,12d%n", e.getKey().qualifiedName(), e.getValue());
    }
    out.printf("Reconciliation: bronze %,d = silver %,d + rejected %,d + duplicates %,d : %s%n",
        rows(LakehouseTable.BRONZE_RAW), rows(LakehouseTable.SILVER_EVENTS),
        rows(LakehouseTable.SILVER_REJECTED), duplicatesRemoved, reconciles() ? "OK" : "MISMATCH");
    out.printf("Elapsed: %.1f s, %,.0f events/s%n", elapsedMillis / 1000.0, eventsPerSecond());
  }
}
