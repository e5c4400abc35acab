package io.clickstream.propensity.lakehouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Closeable;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.CatalogProperties;
import org.apache.iceberg.LockManager;
import org.apache.iceberg.catalog.Catalog;
import org.apache.iceberg.hadoop.HadoopCatalog;
import org.apache.iceberg.util.LockManagers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JvmCommitLocksTest {
  static final String METADATA = "file:/warehouse/gold/product_metrics/metadata/v16.metadata.json";

  @TempDir Path tmp;

  /**
   * Why the lakehouse does not use Iceberg's default: a commit's lock on the next metadata file
   * is gone once any other Hadoop catalog of the JVM closes (as every Flink operator that writes
   * or maintains a table does when it stops), so a second commit of the same version gets it.
   */
  @Test
  void icebergsDefaultLockIsReleasedByTheCloseOfAnotherCatalog() throws Exception {
    LockManager defaultLocks = LockManagers.defaultLockManager();
    assertThat(defaultLocks.acquire(METADATA, "commit-a")).isTrue();
    HadoopCatalog other = new HadoopCatalog(new org.apache.hadoop.conf.Configuration(),
        tmp.resolve("other").toUri().toString());
    other.close();
    assertThat(defaultLocks.acquire(METADATA, "commit-b"))
        .as("a second commit gets the lock commit-a still holds").isTrue();
    defaultLocks.release(METADATA, "commit-b");
  }

  @Test
  void theLakehousesHadoopCatalogsShareLocksThatOnlyTheirHolderReleases() throws Exception {
    Lakehouse lakehouse = Lakehouse.at(tmp.resolve("wh").toString());
    Catalog first = lakehouse.catalogLoader().loadCatalog();
    Catalog second = lakehouse.catalogLoader().loadCatalog();
    LockManager firstLocks = lockManager(first);
    LockManager secondLocks = lockManager(second);
    assertThat(firstLocks).isInstanceOf(JvmCommitLocks.class);
    assertThat(secondLocks).isInstanceOf(JvmCommitLocks.class);
    secondLocks.initialize(Map.of(CatalogProperties.LOCK_ACQUIRE_TIMEOUT_MS, "200"));

    assertThat(firstLocks.acquire(METADATA, "commit-a")).isTrue();
    ((Closeable) first).close();
    assertThat(secondLocks.acquire(METADATA, "commit-b"))
        .as("held by commit-a, whose catalog closed").isFalse();
    assertThat(secondLocks.release(METADATA, "commit-b")).as("not the holder").isFalse();

    // a waiting commit gets the lock as soon as its holder releases it
    CompletableFuture<Boolean> waiting = CompletableFuture.supplyAsync(() -> {
      JvmCommitLocks locks = new JvmCommitLocks();
      locks.initialize(Map.of(CatalogProperties.LOCK_ACQUIRE_TIMEOUT_MS, "60000"));
      return locks.acquire(METADATA, "commit-c");
    });
    assertThat(firstLocks.release(METADATA, "commit-a")).isTrue();
    assertThat(waiting.get(30, TimeUnit.SECONDS)).isTrue();
    assertThat(secondLocks.release(METADATA, "commit-c")).isTrue();
    ((Closeable) second).close();
  }

  /** The catalog's commit lock (HadoopCatalog keeps it private). */
  static LockManager lockManager(Catalog catalog) throws Exception {
    var field = HadoopCatalog.class.getDeclaredField("lockManager");
    field.setAccessible(true);
    return (LockManager) field.get(catalog);
  }
}
