package io.clickstream.propensity.lakehouse;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.iceberg.flink.TableLoader;
import org.apache.iceberg.flink.maintenance.api.DeleteOrphanFiles;
import org.apache.iceberg.flink.maintenance.api.ExpireSnapshots;
import org.apache.iceberg.flink.maintenance.api.JdbcLockFactory;
import org.apache.iceberg.flink.maintenance.api.RewriteDataFiles;
import org.apache.iceberg.flink.maintenance.api.TableMaintenance;

/**
 * Keeps streamed tables fast to read: a streaming job commits to every table on every checkpoint,
 * which leaves many small files, equality-delete files for the upserted gold tables and thousands
 * of snapshots a day. This plan adds Iceberg's own Flink table maintenance to the job, per table:
 * compaction ({@link RewriteDataFiles}), snapshot expiry ({@link ExpireSnapshots}, which also
 * deletes the files only expired snapshots referenced) and orphan cleanup ({@link
 * DeleteOrphanFiles}: files of failed or aborted writes).
 *
 * <p>Each task runs when its commit count or its interval is reached, whichever comes first.
 * Maintenance and the job's writers commit to the same table; Iceberg's optimistic concurrency
 * resolves that (a rewrite keeps the sequence numbers of the files it replaces, so later equality
 * deletes still apply). Only one maintenance task runs per table at a time: by default the lock
 * is kept in Flink's state (fine while this job is the only one maintaining the tables); with
 * {@link Builder#jdbcLock} it is a row in a database, shared with other maintenance jobs.
 *
 * <p>Immutable; {@link #defaults()} is on, {@link #disabled()} adds nothing.
 */
public final class TableMaintenancePlan {
  private final boolean enabled;
  private final int rewriteCommits;
  private final Duration rewriteInterval;
  private final long targetFileSizeBytes;
  private final int minInputFiles;
  private final int expireCommits;
  private final Duration expireInterval;
  private final Duration maxSnapshotAge;
  private final int retainLast;
  private final Duration orphanInterval;
  private final Duration orphanMinAge;
  private final Duration rateLimit;
  private final Duration lockCheckDelay;
  private final String jdbcLockUrl;
  private final Map<String, String> jdbcLockProperties;

  private TableMaintenancePlan(Builder b) {
    this.enabled = b.enabled;
    this.rewriteCommits = b.rewriteCommits;
    this.rewriteInterval = b.rewriteInterval;
    this.targetFileSizeBytes = b.targetFileSizeBytes;
    this.minInputFiles = b.minInputFiles;
    this.expireCommits = b.expireCommits;
    this.expireInterval = b.expireInterval;
    this.maxSnapshotAge = b.maxSnapshotAge;
    this.retainLast = b.retainLast;
    this.orphanInterval = b.orphanInterval;
    this.orphanMinAge = b.orphanMinAge;
    this.rateLimit = b.rateLimit;
    this.lockCheckDelay = b.lockCheckDelay;
    this.jdbcLockUrl = b.jdbcLockUrl;
    this.jdbcLockProperties = Map.copyOf(b.jdbcLockProperties);
  }

  /** On, with the default intervals of {@link Builder}. */
  public static TableMaintenancePlan defaults() {
    return builder().build();
  }

  /** Off: {@link #addTo} adds nothing. */
  public static TableMaintenancePlan disabled() {
    return builder().enabled(false).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public boolean enabled() {
    return enabled;
  }

  /**
   * Adds one maintenance graph per table to {@code env} (a STREAMING environment with
   * checkpointing: the tasks keep their triggers and lock in Flink state). No-op when disabled.
   */
  public void addTo(StreamExecutionEnvironment env, Lakehouse lakehouse,
      List<LakehouseTable> tables) {
    if (!enabled) {
      return;
    }
    for (LakehouseTable t : tables) {
      TableLoader loader = lakehouse.tableLoader(t);
      TableMaintenance.Builder maintenance = jdbcLockUrl == null
          ? TableMaintenance.forTable(env, loader)
          : TableMaintenance.forTable(env, loader,
              new JdbcLockFactory(jdbcLockUrl, t.qualifiedName(), jdbcLockProperties));
      try {
        maintenance
            // stable operator ids per table: the job restores from its checkpoints
            .uidSuffix("maintenance-" + t.qualifiedName())
            .rateLimit(rateLimit)
            .lockCheckDelay(lockCheckDelay)
            .parallelism(1)
            .add(RewriteDataFiles.builder()
                .scheduleOnCommitCount(rewriteCommits)
                .scheduleOnInterval(rewriteInterval)
                .targetFileSizeBytes(targetFileSizeBytes)
                .minInputFiles(minInputFiles)
                // files that collected deletes are rewritten with the deletes applied
                .deleteFileThreshold(1)
                .partialProgressEnabled(true))
            .add(ExpireSnapshots.builder()
                .scheduleOnCommitCount(expireCommits)
                .scheduleOnInterval(expireInterval)
                .maxSnapshotAge(maxSnapshotAge)
                .retainLast(retainLast))
            .add(DeleteOrphanFiles.builder()
                .scheduleOnInterval(orphanInterval)
                .minAge(orphanMinAge))
            .append();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot add table maintenance for " + t.qualifiedName(), e);
      }
    }
  }

  /** One line for logs (no lock properties: they may hold a password). */
  public String describe() {
    if (!enabled) {
      return "table maintenance off";
    }
    return String.format("table maintenance on: rewrite data files every %d commits or %s, expire "
            + "snapshots older than %s (keeping the last %d) every %d commits or %s, delete orphan "
            + "files older than %s every %s; lock %s", rewriteCommits, rewriteInterval,
        maxSnapshotAge, retainLast, expireCommits, expireInterval, orphanMinAge, orphanInterval,
        jdbcLockUrl == null ? "in Flink state" : "in a JDBC database");
  }

  /** Builder; defaults suit a job that checkpoints every 30 s. */
  public static final class Builder {
    private boolean enabled = true;
    private int rewriteCommits = 20;
    private Duration rewriteInterval = Duration.ofHours(1);
    private long targetFileSizeBytes = 128L * 1024 * 1024;
    private int minInputFiles = 5;
    private int expireCommits = 20;
    private Duration expireInterval = Duration.ofHours(1);
    private Duration maxSnapshotAge = Duration.ofHours(3);
    private int retainLast = 20;
    private Duration orphanInterval = Duration.ofDays(1);
    private Duration orphanMinAge = Duration.ofDays(3);
    private Duration rateLimit = Duration.ofMinutes(1);
    private Duration lockCheckDelay = Duration.ofSeconds(30);
    private String jdbcLockUrl;
    private final Map<String, String> jdbcLockProperties = new TreeMap<>();

    private Builder() {}

    public Builder enabled(boolean enabled) {
      this.enabled = enabled;
      return this;
    }

    /** Compact a table's small files after this many commits to it or this long, whichever first. */
    public Builder rewriteEvery(int commits, Duration interval) {
      this.rewriteCommits = positive(commits, "rewrite commit count");
      this.rewriteInterval = positive(interval, "rewrite interval");
      return this;
    }

    /** Size of the files compaction writes; files well below it are compacted. */
    public Builder targetFileSizeBytes(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("target file size must be > 0 bytes, got " + bytes);
      }
      this.targetFileSizeBytes = bytes;
      return this;
    }

    /** A table is compacted only when at least this many files qualify (Iceberg's default: 5). */
    public Builder minInputFiles(int files) {
      this.minInputFiles = positive(files, "minimum input files");
      return this;
    }

    /** Expire snapshots after this many commits or this long, whichever first. */
    public Builder expireEvery(int commits, Duration interval) {
      this.expireCommits = positive(commits, "expire commit count");
      this.expireInterval = positive(interval, "expire interval");
      return this;
    }

    /** Snapshots older than {@code age} expire, but the last {@code retainLast} always stay. */
    public Builder retainSnapshots(Duration age, int retainLast) {
      this.maxSnapshotAge = positive(age, "snapshot age");
      this.retainLast = positive(retainLast, "snapshots to retain");
      return this;
    }

    /** Delete files no snapshot references, older than {@code minAge}, every {@code interval}. */
    public Builder deleteOrphansEvery(Duration interval, Duration minAge) {
      this.orphanInterval = positive(interval, "orphan cleanup interval");
      this.orphanMinAge = positive(minAge, "orphan minimum age");
      return this;
    }

    /** At most one maintenance run per table per this interval; also how often tables are polled. */
    public Builder rateLimit(Duration d) {
      this.rateLimit = positive(d, "maintenance rate limit");
      return this;
    }

    /** How soon a task waiting for the table's maintenance lock checks again. */
    public Builder lockCheckDelay(Duration d) {
      this.lockCheckDelay = positive(d, "lock check delay");
      return this;
    }

    /**
     * Keep the maintenance lock in a database (its JDBC driver on the classpath) instead of Flink
     * state, when other jobs maintain the same tables. {@code properties}: {@code jdbc.user},
     * {@code jdbc.password}, ...; the lock table is created when missing.
     */
    public Builder jdbcLock(String url, Map<String, String> properties) {
      if (url == null || !url.startsWith("jdbc:")) {
        throw new IllegalArgumentException("the maintenance lock URL must be a JDBC URL "
            + "(jdbc:...), got " + url);
      }
      this.jdbcLockUrl = url;
      this.jdbcLockProperties.clear();
      this.jdbcLockProperties.put(JdbcLockFactory.INIT_LOCK_TABLES_PROPERTY, "true");
      this.jdbcLockProperties.putAll(Objects.requireNonNull(properties));
      return this;
    }

    public TableMaintenancePlan build() {
      return new TableMaintenancePlan(this);
    }

    private static int positive(int n, String what) {
      if (n <= 0) {
        throw new IllegalArgumentException(what + " must be > 0, got " + n);
      }
      return n;
    }

    private static Duration positive(Duration d, String what) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be a positive duration, got " + d);
      }
      return d;
    }
  }
}
