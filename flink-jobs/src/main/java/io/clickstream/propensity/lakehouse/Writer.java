package io.clickstream.propensity.lakehouse;

import java.util.Locale;
import org.apache.iceberg.Snapshot;

/**
 * Which job wrote a snapshot, recorded in its summary under {@link #PROPERTY}: a backfill refuses
 * to replace tables a stream has written since the last backfill.
 */
public enum Writer {
  BACKFILL,
  STREAM;

  /** Snapshot summary key. */
  public static final String PROPERTY = "clickstream.writer";

  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The writer recorded in the snapshot's summary, or null (another tool, or an older version). */
  public static Writer of(Snapshot snapshot) {
    String v = snapshot.summary() == null ? null : snapshot.summary().get(PROPERTY);
    for (Writer w : values()) {
      if (w.value().equals(v)) {
        return w;
      }
    }
    return null;
  }
}
