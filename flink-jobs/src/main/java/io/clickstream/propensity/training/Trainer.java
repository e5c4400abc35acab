package io.clickstream.propensity.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clickstream.propensity.features.FeatureRules;
import io.clickstream.propensity.lakehouse.CatalogConfig;
import io.clickstream.propensity.lakehouse.Lakehouse;
import io.clickstream.propensity.lakehouse.LakehouseTable;
import io.clickstream.propensity.scoring.ModelCard;
import io.clickstream.propensity.scoring.ModelContract;
import io.clickstream.propensity.scoring.OnnxScorer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * Trains the purchase-propensity model on gold.training_features and writes the model directory:
 * {@code propensity.onnx}, {@code model-card.json}, {@code pr-curve.png},
 * {@code score-histogram.png} and {@code report.md}.
 *
 * <p>Protocol: hyperparameters are fitted on the train split and selected by average precision on
 * the test split (bounded, seeded random search with early stopping on test); the validation split
 * is touched only for the final metrics, the baselines' comparison, the action thresholds and the
 * ONNX parity check.
 */
public final class Trainer {
  public static final String MODEL_NAME = "clickstream-propensity-gbdt";
  public static final String PR_CURVE_PNG = "pr-curve.png";
  public static final String SCORE_HISTOGRAM_PNG = "score-histogram.png";
  public static final String REPORT_MD = "report.md";
  /** Max |ONNX - XGBoost| probability on validation; above it the export is wrong. */
  public static final double PARITY_TOLERANCE = 1e-5;
  /** The reference's search ranges (max_depth is capped by {@link Options#maxDepth}). */
  static final int DEPTH_MIN = 2;
  static final int DEPTH_MAX_REFERENCE = 20;
  static final double LR_MIN = 0.01;
  static final double LR_MAX = 0.40;
  static final double SPW_MIN = 1;
  static final double SPW_MAX = 100;

  private static final int F = FeatureRules.MODEL_FEATURE_COUNT;
  private static final String RULE = "rule: cart_product__carts > 0";
  private static final int RULE_FEATURE = FeatureRules.MODEL_FEATURES.indexOf("cart_product__carts");

  private Trainer() {}

  /** What to train on, how hard to search, where to write. */
  public static final class Options {
    public CatalogConfig catalog;
    public Path out = Path.of("model-artifacts");
    public Long snapshotId;
    public long seed = 42;
    public int trials = 10;
    public int maxRounds = 300;
    public int earlyStoppingRounds = 20;
    public int maxDepth = 10;
    public int threads = 2;
    public double lowThresholdRecall = 0.95;
    public String datasetDescription;
    public String modelName = MODEL_NAME;
    public String modelVersion;

    void validate() {
      require(trials >= 1 && trials <= 200, "search trials must be in 1..200, got " + trials);
      require(maxRounds >= 1, "max boosting rounds must be >= 1, got " + maxRounds);
      require(earlyStoppingRounds >= 1, "early-stopping rounds must be >= 1, got " + earlyStoppingRounds);
      require(maxDepth >= DEPTH_MIN && maxDepth <= DEPTH_MAX_REFERENCE,
          "max depth must be in " + DEPTH_MIN + ".." + DEPTH_MAX_REFERENCE + ", got " + maxDepth);
      require(threads >= 1, "threads must be >= 1, got " + threads);
      require(out != null, "no output folder given");
      require(catalog != null, "no catalog given");
    }
  }

  /** One search trial. */
  public record Trial(
      int trial,
      int max_depth,
      double learning_rate,
      double scale_pos_weight,
      int best_iteration,
      int rounds_run,
      double test_aucpr_xgboost,
      double test_average_precision,
      double seconds) {}

  /** What {@link #train} wrote and measured. */
  public record Result(
      Path out,
      ModelCard card,
      Metrics.Result gbdt,
      Metrics.Result logistic,
      Metrics.Result rule,
      double parityMaxAbsDiff,
      double trainingSeconds,
      float[] validationScores) {}

  /** Reads gold.training_features from the warehouse (pinned snapshot) and trains. */
  public static Result train(Options o, PrintStream log) throws IOException {
    o.validate();
    long t0 = System.nanoTime();
    Lakehouse lakehouse = Lakehouse.of(o.catalog);
    org.apache.iceberg.Table table;
    try {
      table = lakehouse.load(LakehouseTable.GOLD_TRAINING_FEATURES);
    } catch (org.apache.iceberg.exceptions.NoSuchTableException e) {
      throw new IllegalStateException(lakehouse.describe() + " has no "
          + LakehouseTable.GOLD_TRAINING_FEATURES.qualifiedName() + ": backfill it first", e);
    }
    TrainingData data = TrainingData.read(table, o.snapshotId);
    double loadSeconds = seconds(t0);
    log.printf(Locale.ROOT, "Read %s at snapshot %d in %.1f s:%n", data.table(), data.snapshotId(),
        loadSeconds);
    data.splits().values().forEach(s -> log.printf(Locale.ROOT,
        "  %-10s %,10d rows %,8d positives (%.3f%%)%n", s.name, s.rows, s.positives,
        100.0 * s.positives / s.rows));
    return train(data, lakehouse.describe(), o, log, loadSeconds);
  }

  /** Trains on data already read (the warehouse string is only recorded in the card). */
  public static Result train(
      TrainingData data, String warehouse, Options o, PrintStream log, double loadSeconds)
      throws IOException {
    o.validate();
    Files.createDirectories(o.out);
    DMatrix train = Boosting.matrix(data.train().features, data.train().labels);
    DMatrix test = Boosting.matrix(data.test().features, data.test().labels);
    DMatrix validation = Boosting.matrix(data.validation().features, data.validation().labels);
    try {
      return train(data, warehouse, o, log, loadSeconds, train, test, validation);
    } finally {
      train.dispose();
      test.dispose();
      validation.dispose();
    }
  }

  private static Result train(TrainingData data, String warehouse, Options o, PrintStream log,
      double loadSeconds, DMatrix train, DMatrix test, DMatrix validation) throws IOException {
    // 1. search: fit on train, early-stop and select on test
    long tSearch = System.nanoTime();
    log.printf(Locale.ROOT, "Search: %d trials, max_depth %d..%d, learning_rate %.2f..%.2f, "
            + "scale_pos_weight %.0f..%.0f, up to %d rounds, early stopping %d, %d threads, "
            + "seed %d%n", o.trials, DEPTH_MIN, o.maxDepth, LR_MIN, LR_MAX, SPW_MIN, SPW_MAX,
        o.maxRounds, o.earlyStoppingRounds, o.threads, o.seed);
    List<Trial> trials = new ArrayList<>();
    List<double[]> candidates = candidates(o);
    Boosting.Fit best = null;
    Trial bestTrial = null;
    Map<String, Object> bestParams = null;
    for (int i = 0; i < candidates.size(); i++) {
      double[] c = candidates.get(i);
      Map<String, Object> params = gbdtParams((int) c[0], c[1], c[2], o);
      long t = System.nanoTime();
      Boosting.Fit fit = Boosting.fit(params, train, test, o.maxRounds, o.earlyStoppingRounds);
      float[] testScores = Boosting.predict(fit.booster(), test, fit.modelRounds());
      double ap = Metrics.averagePrecision(testScores, data.test().labels);
      Trial trial = new Trial(i, (int) c[0], c[1], c[2], fit.bestIteration(), fit.rounds(),
          fit.bestTestMetric(), ap, seconds(t));
      trials.add(trial);
      log.printf(Locale.ROOT, "  trial %2d: max_depth %2d lr %.4f spw %6.2f -> %3d rounds run, "
              + "best %3d, test AP %.4f, %.1f s%n", i, trial.max_depth(), trial.learning_rate(),
          trial.scale_pos_weight(), trial.rounds_run(), fit.modelRounds(), ap, trial.seconds());
      if (best == null || ap > bestTrial.test_average_precision()) {
        if (best != null) {
          best.booster().dispose();
        }
        best = fit;
        bestTrial = trial;
        bestParams = params;
      } else {
        fit.booster().dispose();
      }
    }
    double searchSeconds = seconds(tSearch);
    log.printf(Locale.ROOT, "Selected trial %d (test AP %.4f); search took %.1f s%n",
        bestTrial.trial(), bestTrial.test_average_precision(), searchSeconds);

    try {
      return finish(data, warehouse, o, log, loadSeconds, searchSeconds, trials, bestTrial,
          bestParams, best, train, validation);
    } finally {
      best.booster().dispose();
    }
  }

  private static Result finish(TrainingData data, String warehouse, Options o, PrintStream log,
      double loadSeconds, double searchSeconds, List<Trial> trials, Trial bestTrial,
      Map<String, Object> bestParams, Boosting.Fit best, DMatrix train, DMatrix validation)
      throws IOException {
    TrainingData.Split val = data.validation();
    // 2. baselines, on the same validation rows
    long tBase = System.nanoTime();
    LogisticBaseline logistic = LogisticBaseline.fit(data, o.threads, o.seed);
    float[] logisticScores = logistic.predict(val);
    Map<String, Object> logisticParams = logistic.params();
    logistic.dispose();
    float[] ruleScores = new float[val.rows];
    for (int r = 0; r < val.rows; r++) {
      ruleScores[r] = val.value(r, RULE_FEATURE) > 0 ? 1f : 0f;
    }
    double baselineSeconds = seconds(tBase);

    // 3. validation metrics
    float[] gbdtScores = Boosting.predict(best.booster(), validation, best.modelRounds());
    Metrics.Result gbdt = Metrics.evaluate(gbdtScores, val.labels);
    Metrics.Result lr = Metrics.evaluate(logisticScores, val.labels);
    Metrics.Result rule = Metrics.evaluate(ruleScores, val.labels);
    ModelCard.Thresholds thresholds =
        Thresholds.choose(gbdtScores, val.labels, o.lowThresholdRecall);
    double trainingSeconds = searchSeconds + baselineSeconds;

    // 4. export, write, reload through the contract, check parity on all validation rows
    long tExport = System.nanoTime();
    OnnxExporter.Exported exported = OnnxExporter.export(best.booster(), best.modelRounds());
    Path onnxFile = o.out.resolve(ModelContract.ONNX_FILE);
    Files.write(onnxFile, exported.bytes());
    String sha = sha256(exported.bytes());
    ModelCard card = card(data, warehouse, o, trials, bestTrial, bestParams, logisticParams,
        exported, sha, thresholds, gbdt, lr, rule, trainingSeconds, best);
    Path cardFile = o.out.resolve(ModelContract.CARD_FILE);
    ObjectNode times = (ObjectNode) card.trainingData.path("timing_seconds");
    times.put("read", round(loadSeconds, 2));
    times.put("search", round(searchSeconds, 2));
    times.put("baselines", round(baselineSeconds, 2));
    card.write(cardFile);
    // the written files, reloaded exactly as the streaming scorer will load them
    ModelContract contract = ModelContract.load(o.out);
    float[] onnxScores = new float[val.rows];
    int batch = 1024;
    float[] rows = new float[batch * F];
    float[] out = new float[batch];
    try (OnnxScorer scorer = contract.openScorer(batch)) {
      for (int start = 0; start < val.rows; start += batch) {
        int n = Math.min(batch, val.rows - start);
        System.arraycopy(val.features, start * F, rows, 0, n * F);
        scorer.score(rows, n, out);
        System.arraycopy(out, 0, onnxScores, start, n);
      }
    }
    double maxDiff = 0;
    long rowsWithNaN = 0;
    for (int r = 0; r < val.rows; r++) {
      maxDiff = Math.max(maxDiff, Math.abs((double) onnxScores[r] - gbdtScores[r]));
      for (int f = 0; f < F; f++) {
        if (Float.isNaN(val.value(r, f))) {
          rowsWithNaN++;
          break;
        }
      }
    }
    ObjectNode parity = ModelCard.JSON.createObjectNode();
    parity.put("split", TrainingData.VALIDATION);
    parity.put("rows", val.rows);
    parity.put("rows_with_missing_features", rowsWithNaN);
    parity.put("max_abs_diff", maxDiff);
    parity.put("tolerance", PARITY_TOLERANCE);
    parity.put("compared", "ONNX Runtime Java (OnnxScorer) vs XGBoost native predict, P(label=1)");
    card.parity = parity;
    double exportSeconds = seconds(tExport);
    times.put("export_and_parity", round(exportSeconds, 2));
    card.write(cardFile);
    log.printf(Locale.ROOT, "Parity on %,d validation rows (%,d with missing features): max "
        + "|ONNX - XGBoost| = %.3g (tolerance %.0e)%n", val.rows, rowsWithNaN, maxDiff,
        PARITY_TOLERANCE);
    if (!(maxDiff < PARITY_TOLERANCE)) {
      throw new IllegalStateException("ONNX export does not reproduce XGBoost: max abs diff "
          + maxDiff + " >= " + PARITY_TOLERANCE + " on validation; the model in " + o.out
          + " must not be used (this is a bug in the exporter)");
    }

    // 5. human-readable outputs
    Map<String, List<Metrics.PrPoint>> curves = new LinkedHashMap<>();
    curves.put(String.format(Locale.ROOT, "GBDT (AP %.3f)", gbdt.average_precision()),
        Metrics.prCurve(gbdtScores, val.labels));
    curves.put(String.format(Locale.ROOT, "logistic regression (AP %.3f)",
        lr.average_precision()), Metrics.prCurve(logisticScores, val.labels));
    curves.put(String.format(Locale.ROOT, "%s (AP %.3f)", RULE, rule.average_precision()),
        Metrics.prCurve(ruleScores, val.labels));
    Charts.prCurves(curves, (double) val.positives / val.rows, o.out.resolve(PR_CURVE_PNG));
    Charts.scoreHistogram(gbdtScores, val.labels, thresholds.low, thresholds.high,
        o.out.resolve(SCORE_HISTOGRAM_PNG));
    Files.writeString(o.out.resolve(REPORT_MD), Report.markdown(card, trials, bestTrial));

    log.printf(Locale.ROOT, "Validation (%,d rows, %,d positives):%n", val.rows, val.positives);
    log.println(Report.metricsTable(gbdt, lr, rule));
    log.printf(Locale.ROOT, "GBDT beats logistic regression by %+.4f AP (%s) and the rule by "
            + "%+.4f AP (%s)%n", gbdt.average_precision() - lr.average_precision(),
        Report.relative(gbdt.average_precision(), lr.average_precision()),
        gbdt.average_precision() - rule.average_precision(),
        Report.relative(gbdt.average_precision(), rule.average_precision()));
    log.printf(Locale.ROOT, "Thresholds: low %.4f, high %.4f%n", thresholds.low, thresholds.high);
    log.printf(Locale.ROOT, "Training time: %.1f s (search %.1f s, baselines %.1f s); data read "
        + "%.1f s; export + parity %.1f s%n", trainingSeconds, searchSeconds, baselineSeconds,
        loadSeconds, exportSeconds);
    log.printf("Wrote %s (%s %s)%n", o.out, card.modelName, card.modelVersion);
    return new Result(o.out, card, gbdt, lr, rule, maxDiff, trainingSeconds, onnxScores);
  }

  /** Trial 0 is a common default (depth 6, lr 0.1, no reweighting); the rest are random. */
  static List<double[]> candidates(Options o) {
    Random rng = new Random(o.seed);
    List<double[]> out = new ArrayList<>();
    out.add(new double[] {Math.min(6, o.maxDepth), 0.1, 1.0});
    for (int i = 1; i < o.trials; i++) {
      int depth = DEPTH_MIN + rng.nextInt(o.maxDepth - DEPTH_MIN + 1);
      double lr = logUniform(rng, LR_MIN, LR_MAX);
      double spw = logUniform(rng, SPW_MIN, SPW_MAX);
      out.add(new double[] {depth, round(lr, 4), round(spw, 2)});
    }
    return out;
  }

  private static double logUniform(Random rng, double lo, double hi) {
    return Math.exp(Math.log(lo) + rng.nextDouble() * (Math.log(hi) - Math.log(lo)));
  }

  static Map<String, Object> gbdtParams(int depth, double lr, double spw, Options o) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("booster", "gbtree");
    p.put("objective", "binary:logistic");
    p.put("tree_method", "hist");
    p.put("max_depth", depth);
    p.put("eta", lr);
    p.put("scale_pos_weight", spw);
    p.put("min_child_weight", 1.0);
    p.put("subsample", 1.0);
    p.put("colsample_bytree", 1.0);
    p.put("max_bin", 256);
    // fixed threads + seed: the same data gives the same trees
    p.put("nthread", o.threads);
    p.put("seed", o.seed);
    p.put("verbosity", 0);
    return p;
  }

  private static ModelCard card(TrainingData data, String warehouse, Options o, List<Trial> trials,
      Trial bestTrial, Map<String, Object> bestParams, Map<String, Object> logisticParams,
      OnnxExporter.Exported exported, String sha, ModelCard.Thresholds thresholds,
      Metrics.Result gbdt, Metrics.Result lr, Metrics.Result rule, double trainingSeconds,
      Boosting.Fit best) {
    ModelCard c = new ModelCard();
    c.modelName = o.modelName;
    c.modelVersion = o.modelVersion != null ? o.modelVersion : sha.substring(0, 12);
    c.createdAt = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    c.description = "XGBoost gradient-boosted trees: probability that the cart-product of a click "
        + "is purchased later in the same session (docs/features.md, Label)";
    c.features = new ArrayList<>(FeatureRules.MODEL_FEATURES);
    c.input = new ModelCard.TensorSpec(ModelContract.INPUT_NAME, "float32", List.of(-1L, (long) F),
        "FeatureRules.MODEL_FEATURES order; NaN = missing ratio (never 0)");
    c.outputs = List.of(
        new ModelCard.TensorSpec(ModelContract.LABEL_OUTPUT, "int64", List.of(-1L),
            "1 when P(label=1) > 0.5"),
        new ModelCard.TensorSpec(ModelContract.PROBABILITIES_OUTPUT, "float32",
            List.of(-1L, 2L), "[P(label=0), P(label=1)]; propensity = column 1"));
    c.positiveClassIndex = ModelContract.POSITIVE_CLASS_INDEX;
    c.thresholds = thresholds;
    ModelCard.OnnxInfo onnx = new ModelCard.OnnxInfo();
    onnx.file = ModelContract.ONNX_FILE;
    onnx.sha256 = sha;
    onnx.irVersion = OnnxExporter.IR_VERSION;
    onnx.opset = OnnxExporter.OPSET;
    onnx.mlOpset = OnnxExporter.ML_OPSET;
    onnx.trees = exported.trees();
    onnx.producer = "ai.onnx.ml TreeEnsembleClassifier from the XGBoost JSON dump, "
        + "post_transform LOGISTIC, base_values = logit(base_score " + exported.baseScore() + ")";
    c.onnx = onnx;

    ObjectNode td = ModelCard.JSON.createObjectNode();
    td.put("warehouse", warehouse);
    td.put("table", data.table());
    td.put("snapshot_id", data.snapshotId());
    if (data.snapshotTimestampMillis() > 0) {
      td.put("snapshot_committed_at", Instant.ofEpochMilli(data.snapshotTimestampMillis()).toString());
    }
    td.put("dataset_description", o.datasetDescription);
    ObjectNode rows = td.putObject("rows");
    data.splits().values().forEach(s -> {
      ObjectNode n = rows.putObject(s.name);
      n.put("rows", s.rows);
      n.put("positives", s.positives);
    });
    td.put("split_use", "train: fit; test: early stopping and model selection; validation: final "
        + "metrics, baselines, thresholds, parity");
    td.putObject("timing_seconds");
    c.trainingData = td;

    ObjectNode hp = ModelCard.JSON.createObjectNode();
    hp.set("selected", ModelCard.JSON.valueToTree(bestParams));
    hp.put("rounds", best.modelRounds());
    hp.put("missing", "NaN (XGBoost missing=NaN; missing ratios are never imputed)");
    ObjectNode search = hp.putObject("search");
    search.put("method", "seeded random search (trial 0 = max_depth 6, eta 0.1, "
        + "scale_pos_weight 1); each trial early-stopped on test aucpr, selected by average "
        + "precision on test");
    search.put("trials", o.trials);
    search.put("max_rounds", o.maxRounds);
    search.put("early_stopping_rounds", o.earlyStoppingRounds);
    search.put("max_depth_range", DEPTH_MIN + ".." + o.maxDepth + " (reference 1..20, capped)");
    search.put("learning_rate_range", LR_MIN + ".." + LR_MAX + " log-uniform");
    search.put("scale_pos_weight_range", SPW_MIN + ".." + SPW_MAX + " log-uniform");
    search.put("selected_trial", bestTrial.trial());
    search.set("trials_run", ModelCard.JSON.valueToTree(trials));
    hp.set("logistic_regression_baseline", ModelCard.JSON.valueToTree(logisticParams));
    c.hyperparameters = hp;

    ObjectNode m = ModelCard.JSON.createObjectNode();
    m.put("split", TrainingData.VALIDATION);
    m.set("gbdt", ModelCard.JSON.valueToTree(gbdt));
    m.set("logistic_regression", ModelCard.JSON.valueToTree(lr));
    m.set("rule_cart_product_carts_gt_0", ModelCard.JSON.valueToTree(rule));
    m.put("ap_gain_vs_logistic_regression",
        gbdt.average_precision() - lr.average_precision());
    m.put("ap_gain_vs_rule", gbdt.average_precision() - rule.average_precision());
    // gain over all trees boosted, including the few early stopping ran past the best round
    m.set("feature_importance_total_gain", importance(best));
    m.put("note", "balanced accuracy and Matthews correlation at p > 0.5 (the ONNX label); "
        + "scale_pos_weight > 1 inflates probabilities, which the Brier score shows");
    c.metrics = m;
    c.trainingTimeSeconds = round(trainingSeconds, 2);
    c.seed = o.seed;
    return c;
  }

  /** Top features by total gain (over the booster's trees), named. */
  private static JsonNode importance(Boosting.Fit best) {
    ObjectNode out = ModelCard.JSON.createObjectNode();
    try {
      Map<String, Double> gain = best.booster().getScore((String) null, "total_gain");
      gain.entrySet().stream()
          .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
          .limit(15)
          .forEach(e -> out.put(
              FeatureRules.MODEL_FEATURES.get(Integer.parseInt(e.getKey().substring(1))),
              round(e.getValue(), 3)));
    } catch (XGBoostError e) {
      out.put("error", e.getMessage());
    }
    return out;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
    }
  }

  static double round(double v, int digits) {
    double f = Math.pow(10, digits);
    return Math.round(v * f) / f;
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }
}
