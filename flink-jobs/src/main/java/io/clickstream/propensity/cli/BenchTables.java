package io.clickstream.propensity.cli;

import io.clickstream.propensity.jobs.JobRunner;
import io.clickstream.propensity.jobs.StreamingJob;
import io.clickstream.propensity.kafka.Replay;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.lakehouse.TableMaintenancePlan;
import io.clickstream.propensity.scoring.ModelContract;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.Table;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.iceberg.relocated.com.google.common.collect.Iterables;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
    name = "tables",
    mixinStandardHelpOptions = true,
    description = {
      "Streams the same live traffic twice into fresh warehouses, table maintenance off and on, "
          + "for --minutes each, with checkpoints (= commits) as many as an hour of the default "
          + "30 s checkpoints makes and the maintenance intervals scaled the same way; then "
          + "prints data files, delete files and snapshots per table and the time of every "
          + "query in --queries plus a count of each streamed gold table, side by side."
    })
final class BenchTables implements Callable<Integer> {
  /** Commits per table in an hour of streaming at the default 30 s checkpoint interval. */
  static final int COMMITS_PER_HOUR = 120;

  @Option(names = "--minutes", defaultValue = "10",
      description = "Minutes of streaming per side, standing for one hour (default: ${DEFAULT-VALUE})")
  double minutes;

  @Option(names = "--rate", defaultValue = "1000",
      description = "Offered events/s (default: ${DEFAULT-VALUE})")
  double rate;

  @Option(names = "--seed", defaultValue = "42", description = "Generator seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--model", defaultValue = "model-artifacts", paramLabel = "DIR",
      description = "Model to score with (default: ${DEFAULT-VALUE})")
  Path model;

  @Option(names = "--queries", defaultValue = "sql/queries", paramLabel = "DIR",
      description = "Folder of .sql files to time (default: ${DEFAULT-VALUE})")
  Path queries;

  @Option(names = "--query-runs", defaultValue = "3",
      description = "Runs per query; the median is printed (default: ${DEFAULT-VALUE})")
  int queryRuns;

  @Option(names = "--work-dir", defaultValue = "work/bench", paramLabel = "DIR",
      description = "Where the data, broker and warehouses go (default: ${DEFAULT-VALUE})")
  Path workDir;

  @Option(names = {"-p", "--parallelism"}, defaultValue = "0",
      description = "Flink parallelism (default: number of cores)")
  int parallelism;

  @Mixin MaintenanceOptions maintenance = new MaintenanceOptions();

  @Override
  public Integer call() throws Exception {
    if (!(minutes > 0) || !(rate > 0) || queryRuns < 1) {
      throw new IllegalArgumentException("--minutes and --rate must be > 0, --query-runs >= 1");
    }
    ModelContract contract = ModelContract.load(model);
    List<Path> sqlFiles = sqlFiles();
    long events = (long) (rate * minutes * 60);
    Path data = BenchCommand.generatedData(workDir, events, seed, 60);
    double scale = minutes / 60.0;
    Duration checkpoint = Duration.ofMillis(Math.max(500, (long) (minutes * 60_000 / COMMITS_PER_HOUR)));
    TableMaintenancePlan on = scaledPlan(scale);

    Map<String, Side> sides = new LinkedHashMap<>();
    try (BenchCommand.BenchBroker broker = BenchCommand.BenchBroker.start(workDir)) {
      for (TableMaintenancePlan plan : List.of(TableMaintenancePlan.disabled(), on)) {
        String name = plan.enabled() ? "maintenance on" : "maintenance off";
        sides.put(name, stream(name, plan, broker.bootstrap(), contract, data, checkpoint, sqlFiles));
      }
    }
    print(System.out, sides, events, checkpoint, on);
    return 0;
  }

  private TableMaintenancePlan scaledPlan(double scale) {
    if (!maintenance.enabled) {
      throw new IllegalArgumentException("bench tables compares maintenance off and on: drop "
          + "--no-maintenance");
    }
    return TableMaintenancePlan.builder()
        .rewriteEvery(maintenance.compactCommits, scaled(maintenance.compactInterval, scale))
        .expireEvery(maintenance.compactCommits, scaled(maintenance.compactInterval, scale))
        .retainSnapshots(scaled(maintenance.maxSnapshotAge, scale), maintenance.retainSnapshots)
        .deleteOrphansEvery(scaled(maintenance.orphanInterval, scale),
            scaled(Duration.ofDays(3), scale))
        .rateLimit(scaled(Duration.ofMinutes(1), scale))
        .lockCheckDelay(scaled(Duration.ofSeconds(30), scale))
        .build();
  }

  private static Duration scaled(Duration d, double scale) {
    return Duration.ofMillis(Math.max(1000, (long) (d.toMillis() * scale)));
  }

  private List<Path> sqlFiles() throws IOException {
    if (!Files.isDirectory(queries)) {
      throw new IllegalArgumentException("--queries " + queries + " is not a folder of .sql files");
    }
    try (var files = Files.list(queries)) {
      return files.filter(f -> f.toString().endsWith(".sql")).sorted().toList();
    }
  }

  private Side stream(String name, TableMaintenancePlan plan, String bootstrap,
      ModelContract contract, Path data, Duration checkpoint, List<Path> sqlFiles) throws Exception {
    String topic = "tables-" + (plan.enabled() ? "on" : "off");
    try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
      admin.createTopics(List.of(new NewTopic(topic, 2, (short) 1))).all().get();
    }
    Lakehouse lakehouse = Lakehouse.at(workDir.toAbsolutePath()
        .resolve("warehouse-tables-" + topic + "-" + System.currentTimeMillis()).toString());
    // the queries read tables the stream does not write (gold.training_features): exist, empty
    lakehouse.ensureTables(Arrays.asList(LakehouseTable.values()));
    int p = parallelism > 0 ? parallelism : LocalFlink.defaultParallelism();
    Configuration conf = StreamCommand.configuration(p,
        workDir.resolve("checkpoints").toString(), null);
    StreamingJob stream = StreamingJob.builder().bootstrapServers(bootstrap).topic(topic)
        .scoresTopic(topic + "-scores").groupId(topic).startingOffsets("earliest")
        .lakehouse(lakehouse).model(contract).checkpointInterval(checkpoint).maintenance(plan)
        .build();
    stream.prepareTables();
    stream.createScoresTopic();
    StreamExecutionEnvironment env = stream.environment(conf);
    stream.addTo(env);
    System.err.printf("bench tables: %s, streaming %,.0f min at %,.0f events/s%n", name, minutes, rate);
    JobClient job = env.executeAsync("bench-tables-" + topic);
    Replay.Options ro = new Replay.Options();
    ro.input = data;
    ro.bootstrapServers = bootstrap;
    ro.topic = topic;
    ro.stampNow = true;
    ro.distinctStamps = true;
    ro.rate = rate;
    Replay.Summary sent = new Replay(ro).run(System.err);
    // stop once every sent record is committed to bronze (or after a generous timeout)
    Table bronze = lakehouse.load(LakehouseTable.BRONZE_RAW);
    long deadline = System.currentTimeMillis() + 10 * checkpoint.toMillis() + 180_000;
    while (System.currentTimeMillis() < deadline
        && BenchCommand.totalRecords(bronze) < sent.sent()) {
      Thread.sleep(Math.max(100, checkpoint.toMillis() / 4));
    }
    JobRunner.cancelAndAwait(job, Duration.ofSeconds(120));

    Side side = new Side();
    for (LakehouseTable t : StreamingJob.TABLES) {
      side.tables.put(t.qualifiedName(), TableShape.of(lakehouse.load(t)));
    }
    System.err.printf("bench tables: %s, timing queries%n", name);
    TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inBatchMode());
    tEnv.getConfig().setLocalTimeZone(java.time.ZoneOffset.UTC);
    tEnv.executeSql(lakehouse.createCatalogSql());
    tEnv.useCatalog(Lakehouse.CATALOG_NAME);
    for (Path f : sqlFiles) {
      side.queries.put(f.getFileName().toString(),
          time(tEnv, Files.readString(f, StandardCharsets.UTF_8)));
    }
    for (LakehouseTable t : StreamingJob.TABLES) {
      if (t.qualifiedName().startsWith("gold.")) {
        side.queries.put("count(*) " + t.qualifiedName(),
            time(tEnv, "SELECT COUNT(*) FROM " + t.qualifiedName()));
      }
    }
    return side;
  }

  /** Median wall time of running the script's statements, all result rows read. */
  private QueryTime time(TableEnvironment tEnv, String script) throws Exception {
    List<Double> millis = new ArrayList<>();
    long rows = 0;
    for (int run = 0; run < queryRuns; run++) {
      long start = System.nanoTime();
      rows = 0;
      for (String statement : SqlScript.split(script)) {
        if (SqlScript.isCatalogDdl(statement)) {
          continue;
        }
        TableResult result = tEnv.executeSql(statement);
        try (CloseableIterator<Row> it = result.collect()) {
          while (it.hasNext()) {
            it.next();
            rows++;
          }
        }
      }
      millis.add((System.nanoTime() - start) / 1e6);
    }
    return new QueryTime(TimedProcess.median(millis), rows);
  }

  private void print(PrintStream out, Map<String, Side> sides, long events, Duration checkpoint,
      TableMaintenancePlan on) {
    out.println(TimedProcess.machine());
    out.printf("bench tables: %,d events offered at %,.0f/s for %.1f min per side (one hour "
        + "equivalent: checkpoints every %d ms = %d commits per table), send-time stamps%n",
        events, rate, minutes, checkpoint.toMillis(), COMMITS_PER_HOUR);
    out.printf("maintenance on = %s (intervals scaled by %.3f)%n%n", on.describe(), minutes / 60.0);
    List<String> names = new ArrayList<>(sides.keySet());
    // rows stored: upserted rows count until a compaction drops the ones their deletes hide
    out.printf("%-36s", "table: data files / delete files / snapshots / rows stored");
    names.forEach(n -> out.printf(" %30s", n));
    out.println();
    for (String table : sides.get(names.get(0)).tables.keySet()) {
      out.printf("%-36s", table);
      for (String n : names) {
        TableShape s = sides.get(n).tables.get(table);
        out.printf(" %30s", String.format("%,d / %,d / %,d / %,d", s.dataFiles, s.deleteFiles,
            s.snapshots, s.rows));
      }
      out.println();
    }
    out.printf("%n%-36s", "query: median ms (rows)");
    names.forEach(n -> out.printf(" %30s", n));
    out.println();
    for (String q : sides.get(names.get(0)).queries.keySet()) {
      out.printf("%-36s", q);
      for (String n : names) {
        QueryTime t = sides.get(n).queries.get(q);
        out.printf(" %30s", String.format("%,.0f ms (%,d)", t.medianMillis, t.rows));
      }
      out.println();
    }
  }

  private static final class Side {
    final Map<String, TableShape> tables = new LinkedHashMap<>();
    final Map<String, QueryTime> queries = new LinkedHashMap<>();
  }

  private record QueryTime(double medianMillis, long rows) {}

  /** Files and snapshots a reader of the current snapshot deals with. */
  private record TableShape(long dataFiles, long deleteFiles, int snapshots, long rows) {
    static TableShape of(Table t) throws IOException {
      t.refresh();
      long data = 0;
      java.util.Set<String> deletes = new java.util.HashSet<>();
      try (CloseableIterable<FileScanTask> tasks = t.newScan().planFiles()) {
        for (FileScanTask task : tasks) {
          data++;
          task.deletes().forEach(d -> deletes.add(d.location()));
        }
      }
      return new TableShape(data, deletes.size(), Iterables.size(t.snapshots()),
          BenchCommand.totalRecords(t));
    }
  }
}
