package io.clickstream.propensity.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.iceberg.ContentFile;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DeleteFile;
import org.apache.iceberg.FileContent;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.ManifestFile;
import org.apache.iceberg.ManifestFiles;
import org.apache.iceberg.ManifestReader;
import org.apache.iceberg.MetadataColumns;
import org.apache.iceberg.Schema;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.data.parquet.GenericParquetReaders;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.io.CloseableIterator;
import org.apache.iceberg.parquet.Parquet;
import org.apache.iceberg.types.TypeUtil;

/**
 * Explains why an upserted Iceberg table holds more than one row for a key: for each such key,
 * the live data files that hold a row of it (raw, deletes not applied) with their sequence
 * numbers and the snapshot that added them, the delete files that mention the key or those rows,
 * and the table's snapshot history. For failure messages of tests; reads only metadata and the
 * files concerned.
 */
public final class UpsertForensics {
  private UpsertForensics() {}

  /** The report for {@code keys} (each a list of key column values, as strings), compact. */
  public static String explain(Table table, List<String> keyColumns, Set<List<String>> keys) {
    table.refresh();
    StringBuilder out = new StringBuilder("forensics of " + table.name() + " for keys " + keys + "\n");
    Map<String, Snapshot> addedBy = new HashMap<>();
    Map<String, Snapshot> removedBy = new HashMap<>();
    out.append("snapshots (seq id parent op job chk summary):\n");
    for (Snapshot s : table.snapshots()) {
      Map<String, String> sum = s.summary();
      out.append(String.format("  %d %d %s %s job=%s chk=%s +data=%s -data=%s +del=%s -del=%s"
              + " +eq=%s +pos=%s%n", s.sequenceNumber(), s.snapshotId(), s.parentId(), s.operation(),
          abbreviate(sum.get("flink.job-id")), sum.get("flink.max-committed-checkpoint-id"),
          sum.get("added-data-files"), sum.get("deleted-data-files"), sum.get("added-delete-files"),
          sum.get("removed-delete-files"), sum.get("added-equality-delete-files"),
          sum.get("added-position-delete-files")));
      try {
        for (DataFile f : s.addedDataFiles(table.io())) {
          addedBy.put(f.location(), s);
        }
        for (DeleteFile f : s.addedDeleteFiles(table.io())) {
          addedBy.put(f.location(), s);
        }
        for (DataFile f : s.removedDataFiles(table.io())) {
          removedBy.put(f.location(), s);
        }
      } catch (RuntimeException e) {
        out.append("    (manifests unreadable: ").append(e.getMessage()).append(")\n");
      }
    }
    Schema keySchema = table.schema().select(keyColumns);
    Map<String, DeleteFile> deletes = new LinkedHashMap<>();
    out.append("live data files holding the keys (raw rows, before deletes):\n");
    Map<String, List<Long>> positionsByFile = new HashMap<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      for (FileScanTask task : tasks) {
        DataFile file = task.file();
        long pos = 0;
        for (Record r : readRaw(table, file, table.schema())) {
          List<String> key = key(r, keyColumns);
          if (keys.contains(key)) {
            positionsByFile.computeIfAbsent(file.location(), k -> new ArrayList<>()).add(pos);
            out.append(String.format("  %s pos=%d dataSeq=%s fileSeq=%s addedBy=%s deletes=%s row=%s%n",
                name(file), pos, file.dataSequenceNumber(), file.fileSequenceNumber(),
                describe(addedBy.get(file.location())), task.deletes().stream()
                    .map(d -> name(d) + "@" + d.dataSequenceNumber()).collect(Collectors.toList()), r));
          }
          pos++;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    // every live delete file, also those that do not apply to a file holding the key (a delete
    // with the same sequence number as the data it should remove)
    if (table.currentSnapshot() != null) {
      for (ManifestFile manifest : table.currentSnapshot().deleteManifests(table.io())) {
        try (ManifestReader<DeleteFile> reader =
            ManifestFiles.readDeleteManifest(manifest, table.io(), table.specs())) {
          reader.forEach(d -> deletes.putIfAbsent(d.location(), d.copy()));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }
    out.append("live delete files that mention the keys or those rows:\n");
    for (DeleteFile d : deletes.values()) {
      if (d.content() == FileContent.EQUALITY_DELETES) {
        Schema eqSchema = TypeUtil.select(table.schema(), Set.copyOf(d.equalityFieldIds()));
        for (Record r : readRaw(table, d, eqSchema)) {
          if (keys.contains(key(r, keyColumns))) {
            out.append(String.format("  eq %s seq=%s addedBy=%s key=%s%n", name(d),
                d.dataSequenceNumber(), describe(addedBy.get(d.location())), key(r, keyColumns)));
          }
        }
      } else {
        for (Record r : readRaw(table, d, new Schema(MetadataColumns.DELETE_FILE_PATH,
            MetadataColumns.DELETE_FILE_POS))) {
          String path = r.getField(MetadataColumns.DELETE_FILE_PATH.name()).toString();
          long pos = (Long) r.getField(MetadataColumns.DELETE_FILE_POS.name());
          if (positionsByFile.getOrDefault(path, List.of()).contains(pos)) {
            out.append(String.format("  pos %s seq=%s addedBy=%s -> %s pos=%d%n", name(d),
                d.dataSequenceNumber(), describe(addedBy.get(d.location())),
                path.substring(path.lastIndexOf('/') + 1), pos));
          }
        }
      }
    }
    out.append("(removed data files seen in history: ").append(removedBy.size()).append(")\n");
    return out.toString();
  }

  /** Commits per operation, (job, checkpoint) pairs committed twice, live files listed twice. */
  public static String overview(Table table) {
    table.refresh();
    Map<String, Integer> ops = new java.util.TreeMap<>();
    Map<String, Integer> commits = new HashMap<>();
    for (Snapshot s : table.snapshots()) {
      ops.merge(s.operation(), 1, Integer::sum);
      String job = s.summary().get("flink.job-id");
      if (job != null) {
        commits.merge(abbreviate(job) + "/" + s.summary().get("flink.operator-id") + "/"
            + s.summary().get("flink.max-committed-checkpoint-id"), 1, Integer::sum);
      }
    }
    Map<String, Integer> files = new HashMap<>();
    try (CloseableIterable<FileScanTask> tasks = table.newScan().planFiles()) {
      tasks.forEach(t -> files.merge(t.file().location(), 1, Integer::sum));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return table.name() + ": ops " + ops + ", commits twice "
        + commits.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList()
        + ", live files twice " + files.values().stream().filter(n -> n > 1).count()
        + ", manifest lists of no snapshot (a commit replaced by another) " + lostCommits(table);
  }

  /** One line per snapshot, oldest first: operation, Flink job and checkpoint, records added and total. */
  public static String history(Table table) {
    table.refresh();
    StringBuilder out = new StringBuilder(table.name()).append(" history:\n");
    for (Snapshot s : table.snapshots()) {
      Map<String, String> m = s.summary();
      out.append("  ").append(s.sequenceNumber()).append(' ').append(s.operation())
          .append(" job ").append(abbreviate(String.valueOf(m.get("flink.job-id"))))
          .append(" ckpt ").append(m.get("flink.max-committed-checkpoint-id"))
          .append(" +").append(m.get("added-records")).append(" = ").append(m.get("total-records"))
          .append('\n');
    }
    return out.toString();
  }

  /**
   * Manifest lists in a local table's metadata folder that no snapshot references: a commit whose
   * metadata file another commit replaced (failed attempts delete theirs). Empty for other file
   * systems.
   */
  public static List<String> lostCommits(Table table) {
    java.net.URI metadata = java.net.URI.create(table.location() + "/metadata");
    if (!"file".equals(metadata.getScheme())) {
      return List.of();
    }
    Set<Long> ids = new java.util.HashSet<>();
    table.snapshots().forEach(s -> ids.add(s.snapshotId()));
    try (var files = java.nio.file.Files.list(java.nio.file.Path.of(metadata))) {
      return files.map(p -> p.getFileName().toString())
          .filter(n -> n.startsWith("snap-") && n.endsWith(".avro"))
          .filter(n -> !ids.contains(Long.parseLong(n.split("-")[1])))
          .sorted().collect(Collectors.toList());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<Record> readRaw(Table table, ContentFile<?> file, Schema schema) {
    List<Record> rows = new ArrayList<>();
    try (CloseableIterable<Record> it = Parquet.read(table.io().newInputFile(file.location()))
        .project(schema)
        .createReaderFunc(fileSchema -> GenericParquetReaders.buildReader(schema, fileSchema))
        .build();
        CloseableIterator<Record> i = it.iterator()) {
      i.forEachRemaining(r -> rows.add(r.copy()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  private static List<String> key(Record r, List<String> keyColumns) {
    List<String> key = new ArrayList<>(keyColumns.size());
    for (String c : keyColumns) {
      key.add(String.valueOf(r.getField(c)));
    }
    return key;
  }

  private static String name(ContentFile<?> f) {
    String p = f.location();
    return p.substring(p.lastIndexOf('/') + 1);
  }

  private static String describe(Snapshot s) {
    if (s == null) {
      return "?";
    }
    return s.sequenceNumber() + "/" + s.operation() + "/chk="
        + s.summary().get("flink.max-committed-checkpoint-id") + "/job="
        + abbreviate(s.summary().get("flink.job-id"));
  }

  private static String abbreviate(String id) {
    return id == null ? "-" : id.substring(0, Math.min(6, id.length()));
  }
}
