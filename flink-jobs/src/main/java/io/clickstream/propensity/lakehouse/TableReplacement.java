package io.clickstream.propensity.lakehouse;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.table.data.RowData;
import org.apache.iceberg.ManageSnapshots;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotRef;
import org.apache.iceberg.Table;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.util.SnapshotUtil;

/**
 * Replaces the content of tables atomically, one commit per table: the new rows go to a staging
 * branch that starts as an empty snapshot on top of the current one, and {@link #publish()}
 * fast-forwards {@code main} to it. Readers of {@code main} see the old or the new content, never
 * an empty table; a run that fails before {@link #publish()} leaves {@code main} as it was; a
 * table that changed meanwhile (a stream committed to it) fails its fast-forward instead of losing
 * those rows.
 */
public final class TableReplacement {
  /** Staging branches are named with this prefix and a run id. */
  public static final String BRANCH_PREFIX = "clickstream-replace-";

  private final Lakehouse lakehouse;
  private final String branch;
  private final List<LakehouseTable> tables;

  private TableReplacement(Lakehouse lakehouse, List<LakehouseTable> tables) {
    this.lakehouse = lakehouse;
    this.branch = BRANCH_PREFIX + UUID.randomUUID();
    this.tables = List.copyOf(tables);
  }

  /**
   * Checks that no table holds rows a stream wrote since the last backfill (unless {@code
   * replaceStreamed}), then opens an empty staging branch on every table.
   *
   * @throws StreamedDataException when a stream wrote to some of the tables since the last backfill
   */
  static TableReplacement begin(Lakehouse lakehouse, List<LakehouseTable> tables,
      boolean replaceStreamed) {
    if (!replaceStreamed) {
      List<String> streamed = tables.stream()
          .filter(t -> streamedSinceLastBackfill(lakehouse.load(t)))
          .map(LakehouseTable::qualifiedName)
          .collect(Collectors.toList());
      if (!streamed.isEmpty()) {
        throw new StreamedDataException(streamed);
      }
    }
    TableReplacement r = new TableReplacement(lakehouse, tables);
    for (LakehouseTable t : tables) {
      Table table = lakehouse.load(t);
      dropStaleBranches(table);
      // the branch starts at main's current snapshot (or an empty one), then drops every row:
      // what the job writes on it is the whole new content. Created first, so the delete's
      // snapshot summary counts from main's totals.
      table.manageSnapshots().createBranch(r.branch).commit();
      if (table.currentSnapshot() != null) {
        table.newDelete()
            .deleteFromRowFilter(Expressions.alwaysTrue())
            .set(Writer.PROPERTY, Writer.BACKFILL.value())
            .toBranch(r.branch)
            .commit();
      }
    }
    return r;
  }

  /**
   * Whether {@code main} has a snapshot written by a stream after the newest one written by a
   * backfill (or any, when no backfill wrote the table).
   */
  public static boolean streamedSinceLastBackfill(Table table) {
    Snapshot current = table.currentSnapshot();
    if (current == null) {
      return false;
    }
    for (Snapshot s : SnapshotUtil.ancestorsOf(current.snapshotId(), table::snapshot)) {
      Writer w = Writer.of(s);
      if (w == Writer.BACKFILL) {
        return false;
      }
      if (w == Writer.STREAM) {
        return true;
      }
    }
    return false;
  }

  private static void dropStaleBranches(Table table) {
    List<String> stale = table.refs().keySet().stream()
        .filter(name -> name.startsWith(BRANCH_PREFIX))
        .collect(Collectors.toList());
    if (!stale.isEmpty()) {
      ManageSnapshots m = table.manageSnapshots();
      stale.forEach(m::removeBranch);
      m.commit();
    }
  }

  /** The staging branch the job writes to. */
  public String branch() {
    return branch;
  }

  public List<LakehouseTable> tables() {
    return tables;
  }

  /** Adds a sink that writes {@code stream} as the new content of {@code t} (staged). */
  public <T> void write(DataStream<T> stream, MapFunction<T, RowData> toRow, LakehouseTable t) {
    if (!tables.contains(t)) {
      throw new IllegalArgumentException(t.qualifiedName() + " is not among the replaced tables");
    }
    lakehouse.write(stream, toRow, t, false, branch, Writer.BACKFILL);
  }

  /**
   * Makes the staged content current, one atomic commit per table, and drops the staging branches.
   * Returns the new snapshot id of each table.
   *
   * @throws IllegalStateException when a table's {@code main} moved since {@link #begin} (another
   *     writer committed to it): that table keeps its content and the new rows stay unpublished
   */
  public Map<LakehouseTable, Long> publish() {
    Map<LakehouseTable, Long> published = new LinkedHashMap<>();
    List<String> moved = new ArrayList<>();
    for (LakehouseTable t : tables) {
      Table table = lakehouse.load(t);
      SnapshotRef staged = table.refs().get(branch);
      if (staged == null) {
        throw new IllegalStateException("staging branch " + branch + " of " + t.qualifiedName()
            + " is gone: was the same table replaced by another run at the same time?");
      }
      try {
        ManageSnapshots m = table.manageSnapshots();
        if (table.currentSnapshot() == null) {
          m.createBranch(SnapshotRef.MAIN_BRANCH, staged.snapshotId());
        } else {
          m.fastForwardBranch(SnapshotRef.MAIN_BRANCH, branch);
        }
        m.removeBranch(branch).commit();
        published.put(t, staged.snapshotId());
      } catch (IllegalArgumentException | org.apache.iceberg.exceptions.ValidationException e) {
        moved.add(t.qualifiedName());
      }
    }
    if (!moved.isEmpty()) {
      abandon();
      throw new IllegalStateException("tables changed while they were being replaced (is a stream "
          + "writing to them?); kept their content: " + String.join(", ", moved));
    }
    return Collections.unmodifiableMap(published);
  }

  /** Drops the staging branches (after a failed run): every table keeps its current content. */
  public void abandon() {
    for (LakehouseTable t : tables) {
      try {
        Table table = lakehouse.load(t);
        if (table.refs().containsKey(branch)) {
          table.manageSnapshots().removeBranch(branch).commit();
        }
      } catch (RuntimeException e) {
        // best effort: a later replacement drops stale branches before it starts
      }
    }
  }

  /** A replacement refused because it would delete rows a stream wrote. */
  public static final class StreamedDataException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final List<String> tables;

    StreamedDataException(List<String> tables) {
      super("a stream has written to " + String.join(", ", tables)
          + " since the last backfill; replacing them would delete those rows");
      this.tables = List.copyOf(tables);
    }

    public List<String> tables() {
      return tables;
    }
  }
}
