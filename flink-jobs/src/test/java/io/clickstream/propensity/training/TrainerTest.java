package io.clickstream.propensity.training;

import io.clickstream.propensity.lakehouse.CatalogConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.clickstream.propensity.features.FeatureRules;
import io.clickstream.propensity.scoring.ModelCard;
import io.clickstream.propensity.scoring.ModelContract;
import io.clickstream.propensity.scoring.OnnxScorer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.Table;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TrainerTest {
  @TempDir static Path tmp;
  static Path warehouse;
  static Table table;
  static Trainer.Result first;
  static String firstLog;

  @BeforeAll
  static void trainOnce() throws Exception {
    warehouse = tmp.resolve("warehouse");
    table = TrainingTableFixture.write(warehouse, 8_000, 7);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    first = Trainer.train(options(tmp.resolve("model-1")), new PrintStream(log, true,
        StandardCharsets.UTF_8));
    firstLog = log.toString(StandardCharsets.UTF_8);
  }

  /** A small budget: the point is the pipeline, not the model. */
  static Trainer.Options options(Path out) {
    Trainer.Options o = new Trainer.Options();
    o.catalog = CatalogConfig.hadoop(warehouse.toString());
    o.out = out;
    o.seed = 11;
    o.trials = 3;
    o.maxRounds = 60;
    o.earlyStoppingRounds = 10;
    o.maxDepth = 6;
    o.datasetDescription = "TrainingTableFixture, 8000 rows, seed 7";
    return o;
  }

  @Test
  void writesTheModelDirectory() {
    Path out = first.out();
    for (String f : new String[] {ModelContract.ONNX_FILE, ModelContract.CARD_FILE,
        Trainer.PR_CURVE_PNG, Trainer.SCORE_HISTOGRAM_PNG, Trainer.REPORT_MD}) {
      assertThat(out.resolve(f)).isNotEmptyFile();
    }
    ModelContract contract = ModelContract.load(out);
    ModelCard card = contract.card();
    assertThat(card.features).isEqualTo(FeatureRules.MODEL_FEATURES);
    assertThat(card.trainingData.path("snapshot_id").asLong())
        .isEqualTo(table.currentSnapshot().snapshotId());
    assertThat(card.trainingData.path("dataset_description").asText()).contains("seed 7");
    long rows = 0;
    for (String s : TrainingData.SPLITS) {
      rows += card.trainingData.path("rows").path(s).path("rows").asLong();
      assertThat(card.trainingData.path("rows").path(s).path("positives").asLong()).isPositive();
    }
    assertThat(rows).isEqualTo(8_000);
    assertThat(card.hyperparameters.path("search").path("trials_run")).hasSize(3);
    assertThat(card.thresholds.low).isBetween(0.0, card.thresholds.high);
    assertThat(card.input.shape).containsExactly(-1L, 50L);
    assertThat(firstLog).contains("GBDT beats logistic regression by").contains("Training time");
  }

  @Test
  void gbdtBeatsTheRuleOnValidation() throws Exception {
    TrainingData.Split val = TrainingData.read(table, null).validation();
    assertThat(first.gbdt().rows()).isEqualTo(first.rule().rows()).isEqualTo(first.logistic().rows())
        .isEqualTo(val.rows);
    assertThat(first.gbdt().positives()).isEqualTo(val.positives);
    // the reported figures are those of the validation rows' own labels and the model's scores
    // (recomputed from the exported model's scores: equal up to float rounding)
    assertThat(first.gbdt()).usingRecursiveComparison()
        .withComparatorForType((a, b) -> Math.abs(a - b) <= 1e-6 ? 0 : Double.compare(a, b), Double.class)
        .isEqualTo(Metrics.evaluate(first.validationScores(), val.labels));
    assertThat(first.gbdt().average_precision()).isGreaterThan(first.rule().average_precision());
    assertThat(first.gbdt().roc_auc()).isGreaterThan(0.5);
    assertThat(first.logistic().roc_auc()).isGreaterThan(0.5);
    // better calibrated than always predicting the base rate (Brier = p (1 - p))
    double baseRate = (double) val.positives / val.rows;
    assertThat(first.gbdt().brier_score()).isLessThan(baseRate * (1 - baseRate));
    assertThat(first.gbdt().matthews_correlation()).as("labels agree with p > 0.5 above chance")
        .isPositive();
  }

  @Test
  void onnxMatchesXgboostOnEveryValidationRowIncludingMissingValues() throws Exception {
    assertThat(first.parityMaxAbsDiff()).isLessThan(Trainer.PARITY_TOLERANCE);
    ModelCard card = ModelContract.load(first.out()).card();
    assertThat(card.parity.path("max_abs_diff").asDouble()).isLessThan(1e-5);
    assertThat(card.parity.path("rows_with_missing_features").asLong()).isPositive();
    assertThat(card.parity.path("rows").asLong()).isEqualTo(first.gbdt().rows());
  }

  @Test
  void sameSeedGivesTheSameModel() throws Exception {
    Trainer.Result second = Trainer.train(options(tmp.resolve("model-2")),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    assertThat(Files.readAllBytes(second.out().resolve(ModelContract.ONNX_FILE)))
        .isEqualTo(Files.readAllBytes(first.out().resolve(ModelContract.ONNX_FILE)));
    assertThat(second.gbdt()).isEqualTo(first.gbdt());
    assertThat(second.logistic()).isEqualTo(first.logistic());
    assertThat(second.validationScores()).isEqualTo(first.validationScores());
    assertThat(second.card().modelVersion).isEqualTo(first.card().modelVersion);
  }

  @Test
  void scorerGivesTheSamePropensityAlonePerRowAndInBatches() throws Exception {
    ModelContract contract = ModelContract.load(first.out());
    TrainingData data = TrainingData.read(table, null);
    TrainingData.Split val = data.validation();
    int n = Math.min(300, val.rows);
    try (OnnxScorer scorer = contract.openScorer(64)) {
      float[] batch = new float[64 * 50];
      float[] out = new float[64];
      for (int start = 0; start < n; start += 37) { // odd batch sizes reuse bound tensors
        int rows = Math.min(37, n - start);
        System.arraycopy(val.features, start * 50, batch, 0, rows * 50);
        scorer.score(batch, rows, out);
        for (int r = 0; r < rows; r++) {
          float[] one = new float[50];
          System.arraycopy(val.features, (start + r) * 50, one, 0, 50);
          assertThat(scorer.score(one)).isEqualTo(out[r]);
          assertThat(out[r]).isEqualTo(first.validationScores()[start + r]);
        }
      }
    }
  }

  @Test
  void trainCommandRunsFromTheCommandLine() throws Exception {
    Path out = tmp.resolve("cli-model");
    int code = io.clickstream.propensity.cli.ClickstreamCli.run("train", "--warehouse",
        warehouse.toString(), "--out", out.toString(), "--trials", "2", "--max-rounds", "20",
        "--seed", "3", "--dataset-description", "fixture", "--model-version", "t1");
    assertThat(code).isZero();
    ModelContract contract = ModelContract.load(out);
    assertThat(contract.modelVersion()).isEqualTo("t1");
    assertThat(contract.card().seed).isEqualTo(3L);
    assertThat(Files.readString(out.resolve(Trainer.REPORT_MD))).contains("Validation metrics");
    assertThat(io.clickstream.propensity.cli.ClickstreamCli.run("train", "--warehouse",
        warehouse.toString(), "--out", out.toString(), "--trials", "0")).isEqualTo(2);
  }

  @Test
  void refusesAnEmptyWarehouseWithAHint() {
    Trainer.Options o = options(tmp.resolve("never"));
    o.catalog = CatalogConfig.hadoop(tmp.resolve("empty-warehouse").toString());
    assertThatThrownBy(() -> Trainer.train(o, System.out))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("backfill");
  }
}
