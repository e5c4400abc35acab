package io.clickstream.propensity.training;

import io.clickstream.propensity.features.FeatureRules;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.types.Types;

/**
 * The rows of gold.training_features as model matrices, one per split, read from one pinned
 * Iceberg snapshot so the model card can name exactly the data it was trained on.
 *
 * <p>Features are float32 as the ONNX model sees them; missing ratios (null) become NaN, never 0.
 * Rows are ordered by event_id within each split, so training does not depend on the order of
 * the table's data files.
 */
public final class TrainingData {
  public static final String TRAIN = "train";
  public static final String TEST = "test";
  public static final String VALIDATION = "validation";
  public static final List<String> SPLITS = List.of(TRAIN, TEST, VALIDATION);

  private static final int F = FeatureRules.MODEL_FEATURE_COUNT;

  private final String table;
  private final long snapshotId;
  private final long snapshotTimestampMillis;
  private final Map<String, Split> splits;

  /** One split: {@code rows x 50} row-major features, 0/1 labels. */
  public static final class Split {
    public final String name;
    public final float[] features;
    public final float[] labels;
    public final int rows;
    public final long positives;

    Split(String name, float[] features, float[] labels) {
      this.name = name;
      this.features = features;
      this.labels = labels;
      this.rows = labels.length;
      long p = 0;
      for (float l : labels) {
        p += l > 0.5f ? 1 : 0;
      }
      this.positives = p;
    }

    /** Value of feature {@code f} in row {@code r}. */
    public float value(int r, int f) {
      return features[r * F + f];
    }
  }

  private TrainingData(String table, long snapshotId, long ts, Map<String, Split> splits) {
    this.table = table;
    this.snapshotId = snapshotId;
    this.snapshotTimestampMillis = ts;
    this.splits = splits;
  }

  /**
   * Reads the table at {@code snapshotId}, or at its current snapshot when null.
   *
   * @throws IllegalStateException when the table is empty or a split has no rows or no positives
   */
  public static TrainingData read(Table table, Long snapshotId) {
    String name = LakehouseTable.GOLD_TRAINING_FEATURES.qualifiedName();
    Snapshot snapshot = snapshotId == null ? table.currentSnapshot() : table.snapshot(snapshotId);
    if (snapshot == null) {
      throw new IllegalStateException(snapshotId == null
          ? name + " has no data: run the backfill into this catalog first"
          : name + " has no snapshot " + snapshotId + ": choose one of its snapshots (SELECT "
              + "snapshot_id FROM " + name + "$snapshots) or train on the current one");
    }
    if (!table.schema().sameSchema(LakehouseTable.GOLD_TRAINING_FEATURES.schema())) {
      throw new IllegalStateException(name + " has another schema than this version of the "
          + "trainer reads: re-run the backfill with this version of the code");
    }
    Map<String, Builder> builders = new LinkedHashMap<>();
    SPLITS.forEach(s -> builders.put(s, new Builder()));
    Types.StructType struct = table.schema().asStruct();
    int eventId = position(struct, "event_id");
    int label = position(struct, "label");
    int split = position(struct, "split");
    int[] feature = new int[F];
    for (int f = 0; f < F; f++) {
      feature[f] = position(struct, FeatureRules.MODEL_FEATURES.get(f));
    }
    float[] row = new float[F];
    try (CloseableIterable<Record> records =
        IcebergGenerics.read(table).useSnapshot(snapshot.snapshotId()).build()) {
      for (Record r : records) {
        String s = (String) r.get(split);
        Builder b = builders.get(s);
        if (b == null) {
          throw new IllegalStateException(name + " has a row with split '" + s + "' (event "
              + r.get(eventId) + "); expected one of " + SPLITS + ": re-run the backfill");
        }
        for (int f = 0; f < F; f++) {
          Object v = r.get(feature[f]);
          // counts are BIGINT, ratios DOUBLE or null (= missing, NaN in the model)
          row[f] = v == null ? Float.NaN : ((Number) v).floatValue();
        }
        b.add((String) r.get(eventId), row, ((Integer) r.get(label)).floatValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + name + ": " + e.getMessage(), e);
    }
    Map<String, Split> splits = new LinkedHashMap<>();
    builders.forEach((s, b) -> splits.put(s, b.build(s)));
    for (Split s : splits.values()) {
      if (s.rows == 0 || s.positives == 0 || s.positives == s.rows) {
        throw new IllegalStateException(name + " at snapshot " + snapshot.snapshotId()
            + " has " + s.rows + " '" + s.name + "' rows with " + s.positives + " positives: "
            + "every split needs both labels to train and evaluate; backfill more events");
      }
    }
    return new TrainingData(name, snapshot.snapshotId(), snapshot.timestampMillis(), splits);
  }

  private static int position(Types.StructType struct, String column) {
    List<Types.NestedField> fields = struct.fields();
    for (int i = 0; i < fields.size(); i++) {
      if (fields.get(i).name().equals(column)) {
        return i;
      }
    }
    throw new IllegalStateException("column " + column + " missing from the training table");
  }

  public String table() {
    return table;
  }

  public long snapshotId() {
    return snapshotId;
  }

  public long snapshotTimestampMillis() {
    return snapshotTimestampMillis;
  }

  public Split split(String name) {
    return splits.get(name);
  }

  public Split train() {
    return splits.get(TRAIN);
  }

  public Split test() {
    return splits.get(TEST);
  }

  public Split validation() {
    return splits.get(VALIDATION);
  }

  public Map<String, Split> splits() {
    return splits;
  }

  /** Accumulates rows of one split, then sorts them by event_id. */
  private static final class Builder {
    private final List<String> ids = new ArrayList<>();
    private float[] features = new float[1024 * F];
    private float[] labels = new float[1024];

    void add(String eventId, float[] row, float label) {
      int n = ids.size();
      if (n == labels.length) {
        labels = Arrays.copyOf(labels, n * 2);
        features = Arrays.copyOf(features, n * 2 * F);
      }
      System.arraycopy(row, 0, features, n * F, F);
      labels[n] = label;
      ids.add(eventId);
    }

    Split build(String name) {
      int n = ids.size();
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      Arrays.sort(order, Comparator.comparing(ids::get));
      float[] x = new float[n * F];
      float[] y = new float[n];
      for (int k = 0; k < n; k++) {
        int i = order[k];
        System.arraycopy(features, i * F, x, k * F, F);
        y[k] = labels[i];
      }
      return new Split(name, x, y);
    }
  }

  /** Builds splits from arrays (tests). */
  static TrainingData of(String table, long snapshotId, Map<String, Split> splits) {
    return new TrainingData(table, snapshotId, 0L, splits);
  }

  static Split split(String name, float[] features, float[] labels) {
    return new Split(name, features, labels);
  }
}
