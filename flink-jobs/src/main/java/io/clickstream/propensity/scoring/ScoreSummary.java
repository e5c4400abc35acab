package io.clickstream.propensity.scoring;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.IcebergGenerics;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;

/** Scores by action, late scores and ingest-to-score latency percentiles of gold.session_scores. */
public final class ScoreSummary {
  public final long scores;
  public final long late;
  public final Map<String, Long> byAction;
  /** When the last score was made, epoch ms (0 without scores). */
  public final long lastScoredAt;
  /** Sorted ingest-to-score latencies, milliseconds. */
  private final long[] latencies;

  private ScoreSummary(long scores, long late, Map<String, Long> byAction, long[] latencies,
      long lastScoredAt) {
    this.scores = scores;
    this.lastScoredAt = lastScoredAt;
    this.late = late;
    this.byAction = byAction;
    this.latencies = latencies;
  }

  /** Reads the scores scored at or after {@code sinceEpochMillis} (0 = all). */
  public static ScoreSummary of(Table sessionScores, long sinceEpochMillis) {
    return read(sessionScores, "scored_at", sinceEpochMillis);
  }

  /** Reads the scores of the events ingested at or after {@code sinceEpochMillis}. */
  public static ScoreSummary ofIngestedSince(Table sessionScores, long sinceEpochMillis) {
    return read(sessionScores, "ingested_at", sinceEpochMillis);
  }

  private static ScoreSummary read(Table sessionScores, String timeColumn, long sinceEpochMillis) {
    sessionScores.refresh();
    Map<String, Long> byAction = new TreeMap<>();
    long late = 0;
    long last = 0;
    long[] lat = new long[1024];
    int n = 0;
    var scan = IcebergGenerics.read(sessionScores)
        .select("action", "late", "ingested_at", "scored_at");
    if (sinceEpochMillis > 0) {
      scan = scan.where(Expressions.greaterThanOrEqual(timeColumn, sinceEpochMillis * 1000L));
    }
    try (CloseableIterable<Record> rows = scan.build()) {
      for (Record r : rows) {
        long scored = millis(r.getField("scored_at"));
        if (millis(r.getField(timeColumn)) < sinceEpochMillis) {
          continue;
        }
        byAction.merge((String) r.getField("action"), 1L, Long::sum);
        late += Boolean.TRUE.equals(r.getField("late")) ? 1 : 0;
        if (n == lat.length) {
          lat = Arrays.copyOf(lat, n * 2);
        }
        lat[n++] = scored - millis(r.getField("ingested_at"));
        last = Math.max(last, scored);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long[] sorted = Arrays.copyOf(lat, n);
    Arrays.sort(sorted);
    return new ScoreSummary(n, late, byAction, sorted, last);
  }

  private static long millis(Object timestamptz) {
    return ((OffsetDateTime) timestamptz).toInstant().toEpochMilli();
  }

  /** Latency percentile (nearest rank), ms; -1 without scores. */
  public long latencyPercentile(double p) {
    if (latencies.length == 0) {
      return -1;
    }
    int rank = (int) Math.ceil(p / 100.0 * latencies.length);
    return latencies[Math.max(0, Math.min(latencies.length - 1, rank - 1))];
  }

  public void print(PrintStream out) {
    out.printf("Scores: %,d (%,d late)%n", scores, late);
    byAction.forEach((a, c) -> out.printf("  %-22s %,10d%n", a, c));
    out.printf("Ingest-to-score latency: p50 %d ms, p95 %d ms, p99 %d ms, max %d ms%n",
        latencyPercentile(50), latencyPercentile(95), latencyPercentile(99),
        latencyPercentile(100));
  }
}
