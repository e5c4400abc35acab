package io.clickstream.propensity.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.clickstream.propensity.features.FeatureRules;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelContractTest {
  @TempDir Path tmp;

  private static final double LOW = 1 / (1 + Math.exp(1)); // sigmoid(-1)
  private static final double HIGH = 1 / (1 + Math.exp(-1)); // sigmoid(1)

  @Test
  void loadsAValidModelAndScoresWithMissingValuesFollowingTheDefaultBranch() throws Exception {
    byte[] onnx = TestModels.stump();
    ModelContract c = ModelContract.load(TestModels.write(tmp, TestModels.card(onnx), onnx));
    assertThat(c.modelName()).isEqualTo("test-stump");
    assertThat(c.lowThreshold()).isEqualTo(0.3);
    float[] rows = new float[3 * 50];
    rows[TestModels.CP_CARTS] = 1; // row 0: one cart
    // row 1: zero carts; row 2: NaN
    rows[2 * 50 + TestModels.CP_CARTS] = Float.NaN;
    float[] p = new float[3];
    try (OnnxScorer scorer = c.openScorer(8)) {
      scorer.score(rows, 3, p);
      assertThat(p[0]).isCloseTo((float) HIGH, within(1e-6f));
      assertThat(p[1]).isCloseTo((float) LOW, within(1e-6f));
      assertThat(p[2]).isCloseTo((float) LOW, within(1e-6f));
      // same buffers again, another size
      scorer.score(rows, 1, p);
      assertThat(p[0]).isCloseTo((float) HIGH, within(1e-6f));
      assertThatThrownBy(() -> scorer.score(new float[9 * 50], 9, new float[9]))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1..8");
    }
    assertThat(c.action(p[0])).isEqualTo(Action.SUGGEST_COMPLEMENTS);
    assertThat(c.action(0.5)).isEqualTo(Action.OFFER_INCENTIVE);
    assertThat(c.action(0.3)).isEqualTo(Action.OFFER_INCENTIVE);
    assertThat(c.action(0.29)).isEqualTo(Action.SUGGEST_ALTERNATIVES);
    assertThat(c.action(0.7).wireName()).isEqualTo("offer_incentive");
  }

  @Test
  void travelsSerializedToTaskManagers() throws Exception {
    byte[] onnx = TestModels.stump();
    ModelContract c = ModelContract.load(TestModels.write(tmp, TestModels.card(onnx), onnx));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(c);
    }
    ModelContract back;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      back = (ModelContract) in.readObject();
    }
    try (OnnxScorer scorer = back.openScorer(1)) {
      assertThat(scorer.score(new float[50])).isCloseTo((float) LOW, within(1e-6f));
    }
    assertThat(back.highThreshold()).isEqualTo(0.7);
  }

  @Test
  void refusesAMissingDirectoryOrFile() throws Exception {
    assertThatThrownBy(() -> ModelContract.load(tmp.resolve("nope")))
        .isInstanceOf(ModelContract.ModelContractException.class)
        .hasMessageContaining("does not exist")
        .hasMessageContaining(ModelContract.CARD_FILE).hasMessageContaining(ModelContract.ONNX_FILE)
        .hasMessageNotContaining("--");
    byte[] onnx = TestModels.stump();
    Path dir = TestModels.write(tmp.resolve("m"), TestModels.card(onnx), onnx);
    Files.delete(dir.resolve(ModelContract.ONNX_FILE));
    assertThatThrownBy(() -> ModelContract.load(dir))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining(ModelContract.ONNX_FILE + " is missing");
  }

  @Test
  void refusesGarbageBytes() throws Exception {
    byte[] garbage = "this is not a protobuf".getBytes(StandardCharsets.UTF_8);
    // the card's digest matches the garbage, so the ONNX loader itself must catch it
    Path dir = TestModels.write(tmp, TestModels.card(garbage), garbage);
    assertThatThrownBy(() -> ModelContract.load(dir))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not a loadable ONNX model").hasMessageContaining("corrupt");
  }

  @Test
  void refusesAnOnnxFileTheCardDoesNotDescribe() throws Exception {
    byte[] onnx = TestModels.stump();
    Path dir = TestModels.write(tmp, TestModels.card(onnx), onnx);
    Files.write(dir.resolve(ModelContract.ONNX_FILE), TestModels.stump(50, "features", "label",
        "probabilities") /* same bytes */);
    ModelContract.load(dir); // identical bytes are fine
    byte[] other = TestModels.card(onnx).toJson(); // any other bytes
    Files.write(dir.resolve(ModelContract.ONNX_FILE), other);
    assertThatThrownBy(() -> ModelContract.load(dir))
        .hasMessageContaining("is not the model").hasMessageContaining("same");
  }

  @Test
  void refusesSwappedFeatureNames() throws Exception {
    byte[] onnx = TestModels.stump();
    ModelCard card = TestModels.card(onnx);
    List<String> swapped = new ArrayList<>(FeatureRules.MODEL_FEATURES);
    Collections.swap(swapped, 0, 1);
    card.features = swapped;
    Path dir = TestModels.write(tmp, card, onnx);
    assertThatThrownBy(() -> ModelContract.load(dir))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("position 0: expected 'cart__events', found 'cart__views'")
        .hasMessageContaining("retrain");
    card.features = FeatureRules.MODEL_FEATURES.subList(0, 49);
    TestModels.write(dir, card, onnx);
    assertThatThrownBy(() -> ModelContract.load(dir)).hasMessageContaining("expected 50 names");
  }

  @Test
  void refusesAModelWith49Inputs() throws Exception {
    byte[] onnx = TestModels.stump(49, ModelContract.INPUT_NAME, ModelContract.LABEL_OUTPUT,
        ModelContract.PROBABILITIES_OUTPUT);
    Path dir = TestModels.write(tmp, TestModels.card(onnx), onnx);
    assertThatThrownBy(() -> ModelContract.load(dir))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("input 'features' must be FLOAT [-1,50]")
        .hasMessageContaining("[-1, 49]");
  }

  @Test
  void refusesUnexpectedTensorNames() throws Exception {
    byte[] renamedInput = TestModels.stump(50, "input", "label", "probabilities");
    Path a = TestModels.write(tmp.resolve("a"), TestModels.card(renamedInput), renamedInput);
    assertThatThrownBy(() -> ModelContract.load(a))
        .hasMessageContaining("exactly one input 'features'").hasMessageContaining("[input]");
    byte[] zipMapNames = TestModels.stump(50, "features", "output_label", "output_probability");
    Path b = TestModels.write(tmp.resolve("b"), TestModels.card(zipMapNames), zipMapNames);
    assertThatThrownBy(() -> ModelContract.load(b))
        .hasMessageContaining("must have outputs 'label' and 'probabilities'");
  }

  @Test
  void refusesMissingOrInvalidThresholds() throws Exception {
    byte[] onnx = TestModels.stump();
    ModelCard card = TestModels.card(onnx);
    card.thresholds = null;
    Path dir = TestModels.write(tmp, card, onnx);
    assertThatThrownBy(() -> ModelContract.load(dir))
        .hasMessageContaining("no thresholds.low/high");
    card.thresholds = new ModelCard.Thresholds(0.8, 0.2, "swapped");
    TestModels.write(dir, card, onnx);
    assertThatThrownBy(() -> ModelContract.load(dir))
        .hasMessageContaining("invalid thresholds low=0.8 high=0.2")
        .hasMessageContaining("0 <= low <= high <= 1");
    card.thresholds = new ModelCard.Thresholds(0.1, 1.5, "out of range");
    TestModels.write(dir, card, onnx);
    assertThatThrownBy(() -> ModelContract.load(dir)).hasMessageContaining("invalid thresholds");
  }

  @Test
  void refusesACardThatIsNotJson() throws Exception {
    byte[] onnx = TestModels.stump();
    Path dir = TestModels.write(tmp, TestModels.card(onnx), onnx);
    Files.writeString(dir.resolve(ModelContract.CARD_FILE), "{ not json");
    assertThatThrownBy(() -> ModelContract.load(dir))
        .hasMessageContaining("is not a valid model card");
  }
}
