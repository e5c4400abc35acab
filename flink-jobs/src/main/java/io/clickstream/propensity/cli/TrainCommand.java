package io.clickstream.propensity.cli;

import io.clickstream.propensity.training.Trainer;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    description = {
      "Trains the purchase-propensity model (XGBoost) on gold.training_features, pinned to one "
          + "Iceberg snapshot, and writes propensity.onnx, model-card.json, report.md and charts.",
      "Tunes on the train split, selects on test, reports on validation only, and checks that the "
          + "ONNX model reproduces XGBoost on every validation row."
    })
public final class TrainCommand implements Callable<Integer> {
  @picocli.CommandLine.Mixin CatalogOptions catalog = new CatalogOptions();

  @Option(names = {"-o", "--out"}, defaultValue = "model-artifacts", paramLabel = "DIR",
      description = "Model directory to write (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--snapshot", paramLabel = "ID",
      description = "Iceberg snapshot of gold.training_features (default: the current one)")
  Long snapshot;

  @Option(names = "--dataset-description", paramLabel = "TEXT",
      description = "What the data is, recorded in the model card, e.g. \"generated with seed 7, "
          + "1,000,000 events\"")
  String datasetDescription;

  @Option(names = "--seed", defaultValue = "42",
      description = "Seed of the search and of XGBoost (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--trials", defaultValue = "10",
      description = "Hyperparameter search trials (default: ${DEFAULT-VALUE})")
  int trials;

  @Option(names = "--max-rounds", defaultValue = "300",
      description = "Boosting rounds per trial at most (default: ${DEFAULT-VALUE})")
  int maxRounds;

  @Option(names = "--early-stopping", defaultValue = "20",
      description = "Stop a trial after this many rounds without a better test aucpr "
          + "(default: ${DEFAULT-VALUE})")
  int earlyStopping;

  @Option(names = "--max-depth", defaultValue = "10",
      description = "Cap of the max_depth search range 2..N (default: ${DEFAULT-VALUE})")
  int maxDepth;

  @Option(names = "--threads", defaultValue = "2",
      description = "XGBoost threads; fixed so runs are reproducible (default: ${DEFAULT-VALUE})")
  int threads;

  @Option(names = "--low-threshold-recall", defaultValue = "0.95",
      description = "Share of validation purchases kept at or above the low action threshold "
          + "(default: ${DEFAULT-VALUE})")
  double lowThresholdRecall;

  @Option(names = "--model-name", defaultValue = Trainer.MODEL_NAME,
      description = "Model name in the card and in scores (default: ${DEFAULT-VALUE})")
  String modelName;

  @Option(names = "--model-version", paramLabel = "VERSION",
      description = "Model version (default: first 12 hex digits of the ONNX file's SHA-256)")
  String modelVersion;

  @Override
  public Integer call() throws Exception {
    System.setProperty("java.awt.headless", "true");
    // before hours of training, not after
    StartupCheck.writableDirectory("--out", out.toString(), "model directory");
    Trainer.Options o = new Trainer.Options();
    o.catalog = catalog.config();
    o.out = out;
    o.snapshotId = snapshot;
    o.datasetDescription = datasetDescription;
    o.seed = seed;
    o.trials = trials;
    o.maxRounds = maxRounds;
    o.earlyStoppingRounds = earlyStopping;
    o.maxDepth = maxDepth;
    o.threads = threads;
    o.lowThresholdRecall = lowThresholdRecall;
    o.modelName = modelName;
    o.modelVersion = modelVersion;
    Trainer.train(o, System.out);
    return 0;
  }
}
