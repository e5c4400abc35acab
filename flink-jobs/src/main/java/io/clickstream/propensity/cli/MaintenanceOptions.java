package io.clickstream.propensity.cli;

import io.clickstream.propensity.lakehouse.TableMaintenancePlan;
import java.time.Duration;
import picocli.CommandLine.Option;

/** Table maintenance of the streaming job: on by default, each interval adjustable. */
final class MaintenanceOptions {
  @Option(names = "--maintenance", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Iceberg table maintenance inside the streaming job: compact small files, "
          + "expire old snapshots, delete orphan files (default: ${DEFAULT-VALUE}; unbounded runs "
          + "only)")
  boolean enabled = true;

  @Option(names = "--compact-every-commits", defaultValue = "20", paramLabel = "N",
      description = "Compact a table's small files and expire its old snapshots after N commits to it "
          + "(one per checkpoint) or after --compact-interval, whichever comes first "
          + "(default: ${DEFAULT-VALUE})")
  int compactCommits = 20;

  @Option(names = "--compact-interval", defaultValue = "1h", converter = DurationConverter.class,
      description = "See --compact-every-commits (default: ${DEFAULT-VALUE})")
  Duration compactInterval = Duration.ofHours(1);

  @Option(names = "--expire-snapshots-older-than", defaultValue = "3h",
      converter = DurationConverter.class,
      description = "Expire snapshots older than this (default: ${DEFAULT-VALUE})")
  Duration maxSnapshotAge = Duration.ofHours(3);

  @Option(names = "--retain-snapshots", defaultValue = "20", paramLabel = "N",
      description = "Always keep a table's last N snapshots (default: ${DEFAULT-VALUE})")
  int retainSnapshots = 20;

  @Option(names = "--orphan-cleanup-interval", defaultValue = "1d",
      converter = DurationConverter.class,
      description = "Delete files no snapshot references (older than 3 days) this often "
          + "(default: ${DEFAULT-VALUE})")
  Duration orphanInterval = Duration.ofDays(1);

  TableMaintenancePlan plan() {
    if (!enabled) {
      return TableMaintenancePlan.disabled();
    }
    try {
      return TableMaintenancePlan.builder()
          .rewriteEvery(compactCommits, compactInterval)
          .expireEvery(compactCommits, compactInterval)
          .retainSnapshots(maxSnapshotAge, retainSnapshots)
          .deleteOrphansEvery(orphanInterval, Duration.ofDays(3))
          .build();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("table maintenance options: " + e.getMessage()
          + " (see --compact-every-commits, --compact-interval, --expire-snapshots-older-than, "
          + "--retain-snapshots, --orphan-cleanup-interval)");
    }
  }
}
