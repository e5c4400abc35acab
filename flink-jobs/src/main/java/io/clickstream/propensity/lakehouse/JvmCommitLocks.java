package io.clickstream.propensity.lakehouse;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.LockManager;
import org.apache.iceberg.util.PropertyUtil;

/**
 * The commit lock of the Hadoop catalog's tables: one lock per metadata file a commit renames
 * into place, shared by every catalog instance in the JVM, that only its holder releases.
 *
 * <p>Iceberg's default for the Hadoop catalog ({@code LockManagers.defaultLockManager()}) keeps
 * its locks in a static map that the {@code close()} of any Hadoop catalog clears. Every Flink
 * operator that writes or maintains a table closes its own catalog when it stops, so a commit
 * in flight elsewhere in the JVM (a sink's committer, a compaction) can lose its lock between
 * checking that the next metadata version does not exist and renaming its file to it; a second
 * committer of the same table then renames over it, and one of the two commits is silently
 * replaced. Here closing a catalog releases nothing: a lock belongs to the commit that holds it.
 *
 * <p>A lock waits at most {@link CatalogProperties#LOCK_ACQUIRE_TIMEOUT_MS} (Iceberg's default:
 * 3 minutes) for its holder. Locks do not expire: the Hadoop catalog releases them in a
 * {@code finally} block within the same call.
 */
public final class JvmCommitLocks implements LockManager {
  /** Entity (metadata file) to owner (the commit's temporary file); guarded by itself. */
  private static final Map<String, String> OWNERS = new HashMap<>();

  private long acquireTimeoutMs = CatalogProperties.LOCK_ACQUIRE_TIMEOUT_MS_DEFAULT;

  /** Iceberg instantiates lock managers by their class name (catalog property {@code lock-impl}). */
  public JvmCommitLocks() {}

  @Override
  public void initialize(Map<String, String> properties) {
    this.acquireTimeoutMs = PropertyUtil.propertyAsLong(properties,
        CatalogProperties.LOCK_ACQUIRE_TIMEOUT_MS, CatalogProperties.LOCK_ACQUIRE_TIMEOUT_MS_DEFAULT);
  }

  @Override
  public boolean acquire(String entityId, String ownerId) {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(acquireTimeoutMs);
    synchronized (OWNERS) {
      while (true) {
        String owner = OWNERS.putIfAbsent(entityId, ownerId);
        if (owner == null || owner.equals(ownerId)) {
          return true;
        }
        long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (leftMs <= 0) {
          return false;
        }
        try {
          OWNERS.wait(leftMs);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
    }
  }

  @Override
  public boolean release(String entityId, String ownerId) {
    synchronized (OWNERS) {
      if (!OWNERS.remove(entityId, ownerId)) {
        return false;
      }
      OWNERS.notifyAll();
      return true;
    }
  }

  /** Releases nothing: other catalogs' commits may hold locks (see the class comment). */
  @Override
  public void close() {}
}
