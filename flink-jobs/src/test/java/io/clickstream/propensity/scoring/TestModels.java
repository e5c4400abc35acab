package io.clickstream.propensity.scoring;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import com.google.protobuf.ByteString;
import io.clickstream.propensity.features.FeatureRules;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Small hand-built ONNX models and cards, good and broken, for contract tests. */
final class TestModels {
  static final int CP_CARTS = FeatureRules.MODEL_FEATURES.indexOf("cart_product__carts");

  private TestModels() {}

  /**
   * One stump on cart_product__carts: x < 0.5 (or missing) -> margin -1, else +1; LOGISTIC. So
   * P(1) = sigmoid(-1) = 0.2689 without carts or with NaN, sigmoid(1) = 0.7311 with carts.
   */
  static byte[] stump(int width, String input, String labelOut, String probOut) {
    OnnxMl.NodeProto node = OnnxMl.NodeProto.newBuilder()
        .setOpType("TreeEnsembleClassifier").setDomain("ai.onnx.ml")
        .addInput(input).addOutput(labelOut).addOutput(probOut)
        .addAttribute(ints("classlabels_int64s", 0, 1))
        .addAttribute(ints("nodes_treeids", 0, 0, 0))
        .addAttribute(ints("nodes_nodeids", 0, 1, 2))
        .addAttribute(ints("nodes_featureids", CP_CARTS, 0, 0))
        .addAttribute(AttributeProto.newBuilder().setName("nodes_values")
            .setType(AttributeType.FLOATS).addFloats(0.5f).addFloats(0f).addFloats(0f))
        .addAttribute(AttributeProto.newBuilder().setName("nodes_modes")
            .setType(AttributeType.STRINGS).addStrings(utf8("BRANCH_LT"))
            .addStrings(utf8("LEAF")).addStrings(utf8("LEAF")))
        .addAttribute(ints("nodes_truenodeids", 1, 0, 0))
        .addAttribute(ints("nodes_falsenodeids", 2, 0, 0))
        .addAttribute(ints("nodes_missing_value_tracks_true", 1, 0, 0))
        .addAttribute(ints("class_treeids", 0, 0))
        .addAttribute(ints("class_nodeids", 1, 2))
        .addAttribute(ints("class_ids", 0, 0))
        .addAttribute(AttributeProto.newBuilder().setName("class_weights")
            .setType(AttributeType.FLOATS).addFloats(-1f).addFloats(1f))
        .addAttribute(AttributeProto.newBuilder().setName("post_transform")
            .setType(AttributeType.STRING).setS(utf8("LOGISTIC")))
        .build();
    OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder().setName("stump").addNode(node)
        .addInput(tensor(input, OnnxMl.TensorProto.DataType.FLOAT, width))
        .addOutput(tensor(labelOut, OnnxMl.TensorProto.DataType.INT64, -1))
        .addOutput(tensor(probOut, OnnxMl.TensorProto.DataType.FLOAT, 2))
        .build();
    return OnnxMl.ModelProto.newBuilder().setIrVersion(8)
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("ai.onnx.ml").setVersion(3))
        .setGraph(graph).build().toByteArray();
  }

  static byte[] stump() {
    return stump(FeatureRules.MODEL_FEATURE_COUNT, ModelContract.INPUT_NAME,
        ModelContract.LABEL_OUTPUT, ModelContract.PROBABILITIES_OUTPUT);
  }

  /** A card that matches {@code onnx}. */
  static ModelCard card(byte[] onnx) {
    ModelCard c = new ModelCard();
    c.modelName = "test-stump";
    c.modelVersion = "1";
    c.features = new ArrayList<>(FeatureRules.MODEL_FEATURES);
    c.input = new ModelCard.TensorSpec(ModelContract.INPUT_NAME, "float32", List.of(-1L, 50L), null);
    c.outputs = List.of(
        new ModelCard.TensorSpec(ModelContract.LABEL_OUTPUT, "int64", List.of(-1L), null),
        new ModelCard.TensorSpec(ModelContract.PROBABILITIES_OUTPUT, "float32", List.of(-1L, 2L),
            null));
    c.positiveClassIndex = 1;
    c.thresholds = new ModelCard.Thresholds(0.3, 0.7, "test");
    c.onnx = new ModelCard.OnnxInfo();
    c.onnx.file = ModelContract.ONNX_FILE;
    c.onnx.sha256 = ModelContract.sha256(onnx);
    return c;
  }

  static Path write(Path dir, ModelCard card, byte[] onnx) throws IOException {
    Files.createDirectories(dir);
    card.write(dir.resolve(ModelContract.CARD_FILE));
    Files.write(dir.resolve(ModelContract.ONNX_FILE), onnx);
    return dir;
  }

  private static AttributeProto ints(String name, long... values) {
    AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
    for (long v : values) {
      b.addInts(v);
    }
    return b.build();
  }

  private static OnnxMl.ValueInfoProto tensor(
      String name, OnnxMl.TensorProto.DataType type, int columns) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder()
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
    if (columns > 0) {
      shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(columns));
    }
    return OnnxMl.ValueInfoProto.newBuilder().setName(name)
        .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
            .setElemType(type.getNumber()).setShape(shape)))
        .build();
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }
}
