package io.clickstream.propensity.training;

import com.fasterxml.jackson.databind.JsonNode;
import io.clickstream.propensity.scoring.ModelCard;
import java.util.List;
import java.util.Locale;

/** The short human-readable {@code report.md} next to the model. */
final class Report {
  private Report() {}

  static String relative(double a, double b) {
    return b > 0 ? String.format(Locale.ROOT, "%+.1f%%", 100 * (a - b) / b) : "n/a";
  }

  static String metricsTable(Metrics.Result gbdt, Metrics.Result lr, Metrics.Result rule) {
    StringBuilder sb = new StringBuilder();
    sb.append("| model | average precision | ROC AUC | balanced accuracy | Matthews corr. | Brier |\n");
    sb.append("|---|---:|---:|---:|---:|---:|\n");
    row(sb, "GBDT (XGBoost)", gbdt);
    row(sb, "logistic regression (gblinear)", lr);
    row(sb, "rule cart_product__carts > 0", rule);
    return sb.toString();
  }

  private static void row(StringBuilder sb, String name, Metrics.Result m) {
    sb.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.4f | %.4f | %.4f |%n", name,
        m.average_precision(), m.roc_auc(), m.balanced_accuracy(), m.matthews_correlation(),
        m.brier_score()));
  }

  static String markdown(ModelCard card, List<Trainer.Trial> trials, Trainer.Trial selected) {
    JsonNode td = card.trainingData;
    JsonNode m = card.metrics;
    Metrics.Result gbdt = ModelCard.JSON.convertValue(m.get("gbdt"), Metrics.Result.class);
    Metrics.Result lr =
        ModelCard.JSON.convertValue(m.get("logistic_regression"), Metrics.Result.class);
    Metrics.Result rule =
        ModelCard.JSON.convertValue(m.get("rule_cart_product_carts_gt_0"), Metrics.Result.class);
    StringBuilder sb = new StringBuilder();
    sb.append("# ").append(card.modelName).append(' ').append(card.modelVersion).append("\n\n");
    sb.append(card.description).append(".\n\n");
    sb.append("## Data\n\n");
    sb.append("- table `").append(td.path("table").asText()).append("` at Iceberg snapshot ")
        .append(td.path("snapshot_id").asText()).append(" (warehouse `")
        .append(td.path("warehouse").asText()).append("`)\n");
    String desc = td.path("dataset_description").asText("");
    sb.append("- dataset: ").append(desc.isEmpty() ? "(not described)"
        : desc).append('\n');
    sb.append("- splits (per cart, docs/features.md, Training rows and labels): ").append(td.path("split_use").asText())
        .append("\n\n| split | rows | positives | rate |\n|---|---:|---:|---:|\n");
    td.path("rows").fields().forEachRemaining(e -> {
      long rows = e.getValue().path("rows").asLong();
      long pos = e.getValue().path("positives").asLong();
      sb.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %.3f%% |%n", e.getKey(), rows, pos,
          100.0 * pos / rows));
    });
    sb.append("\n## Search\n\n").append(card.hyperparameters.path("search").path("method").asText())
        .append(".\n\n| trial | max_depth | learning_rate | scale_pos_weight | rounds (best) | "
            + "test AP | seconds |\n|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Trainer.Trial t : trials) {
      sb.append(String.format(Locale.ROOT, "| %d%s | %d | %.4f | %.2f | %d (%d) | %.4f | %.1f |%n",
          t.trial(), t.trial() == selected.trial() ? " **selected**" : "", t.max_depth(),
          t.learning_rate(), t.scale_pos_weight(), t.rounds_run(), t.best_iteration() + 1,
          t.test_average_precision(), t.seconds()));
    }
    sb.append("\nThe model keeps the first ").append(card.hyperparameters.path("rounds").asInt())
        .append(" rounds of the selected trial. Missing ratios stay NaN (XGBoost missing = NaN).\n");
    sb.append("\n## Validation metrics\n\n").append(metricsTable(gbdt, lr, rule));
    sb.append(String.format(Locale.ROOT, "%nGBDT vs logistic regression: %+.4f AP (%s); vs the "
            + "rule: %+.4f AP (%s).%n", gbdt.average_precision() - lr.average_precision(),
        relative(gbdt.average_precision(), lr.average_precision()),
        gbdt.average_precision() - rule.average_precision(),
        relative(gbdt.average_precision(), rule.average_precision())));
    sb.append("\n").append(m.path("note").asText()).append(". Logistic regression: ")
        .append(card.hyperparameters.path("logistic_regression_baseline").path("inputs").asText())
        .append(", fitted by XGBoost gblinear (coordinate descent, L2 1).\n");
    sb.append("\n![precision-recall](").append(Trainer.PR_CURVE_PNG).append(")\n");
    sb.append("\n## Action thresholds\n\n");
    sb.append(String.format(Locale.ROOT, "- low = %.6f, high = %.6f%n- %s%n",
        card.thresholds.low, card.thresholds.high, card.thresholds.method));
    sb.append("\n![score histogram](").append(Trainer.SCORE_HISTOGRAM_PNG).append(")\n");
    sb.append("\n## Top features (total gain)\n\n");
    m.path("feature_importance_total_gain").fields().forEachRemaining(e ->
        sb.append("- `").append(e.getKey()).append("`: ").append(e.getValue().asText())
            .append('\n'));
    sb.append("\n## Model file\n\n");
    sb.append(String.format(Locale.ROOT, "- `%s`: %d trees, IR %d, opset %d, ai.onnx.ml %d, "
            + "sha256 `%s`%n", card.onnx.file, card.onnx.trees, card.onnx.irVersion,
        card.onnx.opset, card.onnx.mlOpset, card.onnx.sha256));
    sb.append("- input `").append(card.input.name).append("` ").append(card.input.type)
        .append(' ').append(card.input.shape).append("; outputs ");
    card.outputs.forEach(o -> sb.append('`').append(o.name).append("` ").append(o.type).append(' ')
        .append(o.shape).append("; "));
    sb.append('\n');
    if (card.parity != null) {
      sb.append(String.format(Locale.ROOT, "- parity: max |ONNX - XGBoost| = %.3g on %,d "
              + "validation rows (%,d with missing features), tolerance %.0e%n",
          card.parity.path("max_abs_diff").asDouble(), card.parity.path("rows").asLong(),
          card.parity.path("rows_with_missing_features").asLong(),
          card.parity.path("tolerance").asDouble()));
    }
    sb.append(String.format(Locale.ROOT, "- training time %.1f s (seed %d)%n",
        card.trainingTimeSeconds, card.seed));
    return sb.toString();
  }
}
