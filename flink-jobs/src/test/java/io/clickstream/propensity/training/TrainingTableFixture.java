package io.clickstream.propensity.training;

import io.clickstream.propensity.features.FeatureRules;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.apache.iceberg.DataFile;
import org.apache.iceberg.DataFiles;
import org.apache.iceberg.FileFormat;
import org.apache.iceberg.Table;
import org.apache.iceberg.data.GenericAppenderFactory;
import org.apache.iceberg.data.GenericRecord;
import org.apache.iceberg.data.Record;
import org.apache.iceberg.io.FileAppender;
import org.apache.iceberg.io.OutputFile;

/**
 * Writes a synthetic gold.training_features table with a learnable signal: the label depends on
 * cart_product__carts, on the user's purchase ratio (NaN when the user has no views) and on an
 * interaction the single-feature rule cannot see. Ratios come from FeatureRules, so they are null
 * exactly where the denominator is 0, as in the real table.
 */
final class TrainingTableFixture {
  private TrainingTableFixture() {}

  /** Creates the table in {@code warehouse} and appends {@code rows} rows in one snapshot. */
  static Table write(Path warehouse, int rows, long seed) throws IOException {
    Lakehouse lakehouse = Lakehouse.at(warehouse.toString());
    lakehouse.ensureTables(List.of(LakehouseTable.GOLD_TRAINING_FEATURES));
    Table table = lakehouse.load(LakehouseTable.GOLD_TRAINING_FEATURES);
    GenericAppenderFactory factory = new GenericAppenderFactory(table.schema(), table.spec());
    OutputFile out = table.io().newOutputFile(
        table.locationProvider().newDataLocation("fixture-" + seed + ".parquet"));
    FileAppender<Record> appender = factory.newAppender(out, FileFormat.PARQUET);
    Random rng = new Random(seed);
    OffsetDateTime t0 = OffsetDateTime.of(2019, 10, 1, 0, 0, 0, 0, ZoneOffset.UTC);
    try (appender) {
      for (int i = 0; i < rows; i++) {
        appender.add(row(table, rng, i, t0));
      }
    }
    DataFile file = DataFiles.builder(table.spec())
        .withPath(out.location())
        .withFormat(FileFormat.PARQUET)
        .withFileSizeInBytes(appender.length())
        .withMetrics(appender.metrics())
        .build();
    table.newAppend().appendFile(file).commit();
    table.refresh();
    return table;
  }

  private static Record row(Table table, Random rng, int i, OffsetDateTime t0) {
    int[] counts = new int[FeatureRules.SETS * FeatureRules.COUNTS_PER_SET];
    for (int s = 0; s < FeatureRules.SETS; s++) {
      boolean daily = s >= 2;
      // daily sets are often empty (new user/product): all ratios missing
      if (daily && rng.nextDouble() < 0.35) {
        continue;
      }
      int views = rng.nextInt(daily ? 30 : 6);
      int carts = rng.nextDouble() < (s == 1 ? 0.3 : 0.4) ? 1 + rng.nextInt(2) : 0;
      int purchases = daily && rng.nextDouble() < 0.3 ? rng.nextInt(3) : 0;
      int o = s * FeatureRules.COUNTS_PER_SET;
      counts[o + FeatureRules.VIEWS] = views;
      counts[o + FeatureRules.CARTS] = carts;
      counts[o + FeatureRules.PURCHASES] = purchases;
      counts[o + FeatureRules.EVENTS] = views + carts + purchases + rng.nextInt(2);
    }
    double[] v = FeatureRules.modelVector(counts);
    double cpCarts = v[FeatureRules.MODEL_FEATURES.indexOf("cart_product__carts")];
    double userPtv = v[FeatureRules.MODEL_FEATURES.indexOf("user__purchases_to_views")];
    double productViews = v[FeatureRules.MODEL_FEATURES.indexOf("product__views")];
    double logit = -3.2 + 1.6 * Math.min(cpCarts, 2)
        + (Double.isNaN(userPtv) ? -0.5 : 6 * userPtv)
        + (cpCarts > 0 && productViews > 15 ? 1.5 : 0);
    int label = rng.nextDouble() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;

    long userId = 1 + i / 3;
    String session = "s" + (i / 3);
    GenericRecord r = GenericRecord.create(table.schema());
    r.setField("event_id", String.format("e%08d", i));
    r.setField("user_id", userId);
    r.setField("user_session", session);
    r.setField("product_id", 100L + rng.nextInt(50));
    r.setField("event_time", t0.plusSeconds(i));
    r.setField("event_type", cpCarts > 0 ? "cart" : "view");
    for (int f = 0; f < FeatureRules.MODEL_FEATURE_COUNT; f++) {
      String name = FeatureRules.MODEL_FEATURES.get(f);
      if (f % FeatureRules.FEATURES_PER_SET < FeatureRules.COUNTS_PER_SET) {
        r.setField(name, (long) v[f]);
      } else {
        r.setField(name, Double.isNaN(v[f]) ? null : v[f]);
      }
    }
    r.setField("label", label);
    r.setField("split", FeatureRules.split(userId, session));
    return r;
  }
}
