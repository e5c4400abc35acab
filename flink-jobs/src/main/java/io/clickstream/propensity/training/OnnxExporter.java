package io.clickstream.propensity.training;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.clickstream.propensity.features.FeatureRules;
import io.clickstream.propensity.scoring.ModelContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * Exports an XGBoost binary:logistic tree booster to ONNX as one {@code ai.onnx.ml}
 * TreeEnsembleClassifier node (IR 8, opset 17, ai.onnx.ml 3: what ONNX Runtime 1.29 accepts).
 *
 * <p>Mapping (STACK.md "ONNX export of XGBoost"): XGBoost goes to "yes" when {@code x < split};
 * that is BRANCH_LT with true = yes. A missing (NaN) value follows XGBoost's default direction,
 * so {@code nodes_missing_value_tracks_true} is 1 when "missing" is "yes". Thresholds and leaf
 * values are printed by XGBoost with 9 significant digits, which round-trips float32 exactly.
 * Each leaf contributes one weight under class 0 holding the margin for class 1; with a LOGISTIC
 * post-transform ONNX Runtime then returns [1 - p, p]. XGBoost 3 fits base_score from the data:
 * it goes into base_values as a logit, or every probability shifts.
 */
public final class OnnxExporter {
  public static final long IR_VERSION = 8;
  public static final long OPSET = 17;
  public static final long ML_OPSET = 3;
  public static final String PRODUCER = "clickstream-propensity";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int F = FeatureRules.MODEL_FEATURE_COUNT;

  private OnnxExporter() {}

  /** The exported model and what the card says about it. */
  public record Exported(byte[] bytes, int trees, int nodes, float baseScore) {}

  /** Exports the first {@code rounds} boosting rounds (one tree each) of {@code booster}. */
  public static Exported export(Booster booster, int rounds) {
    try {
      JsonNode config = JSON.readTree(booster.toByteArray("json"));
      JsonNode learner = config.path("learner");
      String objective = learner.path("objective").path("name").asText();
      if (!"binary:logistic".equals(objective)) {
        throw new IllegalArgumentException("only binary:logistic boosters can be exported, got "
            + objective);
      }
      JsonNode gb = learner.path("gradient_booster");
      if (!"gbtree".equals(gb.path("name").asText())
          || !"1".equals(gb.path("model").path("gbtree_model_param").path("num_parallel_tree")
              .asText())) {
        throw new IllegalArgumentException("only gbtree boosters with one tree per round can be "
            + "exported, got " + gb.path("name").asText());
      }
      float baseScore = parseBaseScore(learner.path("learner_model_param").path("base_score"));
      String[] dump = booster.getModelDump((String) null, false, "json");
      if (rounds < 1 || rounds > dump.length) {
        throw new IllegalArgumentException("cannot export " + rounds + " rounds of a booster with "
            + dump.length + " trees");
      }
      // early stopping boosts past the best round: the model is the first 'rounds' trees
      return build(java.util.Arrays.copyOf(dump, rounds), baseScore);
    } catch (XGBoostError | IOException e) {
      throw new IllegalStateException("cannot read the booster for export: " + e.getMessage(), e);
    }
  }

  /** XGBoost 3 writes base_score as "[5.0164E-2]" (a vector for multi-target models). */
  static float parseBaseScore(JsonNode node) {
    String s = node.asText().trim();
    if (s.startsWith("[")) {
      s = s.substring(1, s.length() - 1);
    }
    if (s.contains(",")) {
      throw new IllegalArgumentException("multi-target base_score " + node + " is not supported");
    }
    float p = Float.parseFloat(s);
    if (!(p > 0 && p < 1)) {
      throw new IllegalArgumentException("base_score " + p + " is not a probability");
    }
    return p;
  }

  /** Node arrays of the TreeEnsembleClassifier, filled tree by tree. */
  private static final class Nodes {
    final List<Long> treeIds = new ArrayList<>();
    final List<Long> nodeIds = new ArrayList<>();
    final List<Long> featureIds = new ArrayList<>();
    final List<Float> values = new ArrayList<>();
    final List<String> modes = new ArrayList<>();
    final List<Long> trueIds = new ArrayList<>();
    final List<Long> falseIds = new ArrayList<>();
    final List<Long> missingTracksTrue = new ArrayList<>();
    final List<Long> leafTreeIds = new ArrayList<>();
    final List<Long> leafNodeIds = new ArrayList<>();
    final List<Float> leafWeights = new ArrayList<>();
  }

  static Exported build(String[] dump, float baseScore) throws IOException {
    Nodes n = new Nodes();
    for (int t = 0; t < dump.length; t++) {
      walk(JSON.readTree(dump[t]), t, n);
    }
    // the margin XGBoost starts from: logit(base_score), as XGBoost's ProbToMargin computes it
    float baseMargin = (float) -Math.log(1.0 / baseScore - 1.0);

    OnnxMl.NodeProto.Builder node = OnnxMl.NodeProto.newBuilder()
        .setOpType("TreeEnsembleClassifier")
        .setDomain("ai.onnx.ml")
        .setName("xgboost_trees")
        .addInput(ModelContract.INPUT_NAME)
        .addOutput(ModelContract.LABEL_OUTPUT)
        .addOutput(ModelContract.PROBABILITIES_OUTPUT)
        .addAttribute(ints("classlabels_int64s", List.of(0L, 1L)))
        .addAttribute(ints("nodes_treeids", n.treeIds))
        .addAttribute(ints("nodes_nodeids", n.nodeIds))
        .addAttribute(ints("nodes_featureids", n.featureIds))
        .addAttribute(floats("nodes_values", n.values))
        .addAttribute(strings("nodes_modes", n.modes))
        .addAttribute(ints("nodes_truenodeids", n.trueIds))
        .addAttribute(ints("nodes_falsenodeids", n.falseIds))
        .addAttribute(ints("nodes_missing_value_tracks_true", n.missingTracksTrue))
        .addAttribute(ints("class_treeids", n.leafTreeIds))
        .addAttribute(ints("class_nodeids", n.leafNodeIds))
        .addAttribute(ints("class_ids", zeros(n.leafWeights.size())))
        .addAttribute(floats("class_weights", n.leafWeights))
        .addAttribute(floats("base_values", List.of(baseMargin)))
        .addAttribute(AttributeProto.newBuilder().setName("post_transform")
            .setType(AttributeType.STRING).setS(utf8("LOGISTIC")));

    OnnxMl.GraphProto graph = OnnxMl.GraphProto.newBuilder()
        .setName("clickstream_propensity")
        .addNode(node)
        .addInput(tensor(ModelContract.INPUT_NAME, OnnxMl.TensorProto.DataType.FLOAT, F,
            "the " + F + " model features in FeatureRules.MODEL_FEATURES order, NaN = missing"))
        .addOutput(tensor(ModelContract.LABEL_OUTPUT, OnnxMl.TensorProto.DataType.INT64, -1,
            "1 when P(label=1) > 0.5"))
        .addOutput(tensor(ModelContract.PROBABILITIES_OUTPUT, OnnxMl.TensorProto.DataType.FLOAT, 2,
            "P(label=0), P(label=1)"))
        .build();

    OnnxMl.ModelProto model = OnnxMl.ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName(PRODUCER)
        .setProducerVersion("1")
        .setDomain("io.clickstream.propensity")
        .setModelVersion(1)
        .setDocString("XGBoost gradient-boosted trees, purchase propensity of a cart-product")
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .addOpsetImport(
            OnnxMl.OperatorSetIdProto.newBuilder().setDomain("ai.onnx.ml").setVersion(ML_OPSET))
        .addMetadataProps(OnnxMl.StringStringEntryProto.newBuilder()
            .setKey("features").setValue(String.join(",", FeatureRules.MODEL_FEATURES)))
        .setGraph(graph)
        .build();
    return new Exported(model.toByteArray(), dump.length, n.nodeIds.size(), baseScore);
  }

  private static void walk(JsonNode node, int tree, Nodes n) {
    long id = node.path("nodeid").asLong();
    n.treeIds.add((long) tree);
    n.nodeIds.add(id);
    if (node.has("leaf")) {
      n.featureIds.add(0L);
      n.values.add(0f);
      n.modes.add("LEAF");
      n.trueIds.add(0L);
      n.falseIds.add(0L);
      n.missingTracksTrue.add(0L);
      n.leafTreeIds.add((long) tree);
      n.leafNodeIds.add(id);
      n.leafWeights.add(Float.parseFloat(node.get("leaf").asText()));
      return;
    }
    String split = node.path("split").asText();
    if (!split.startsWith("f") || node.has("categories")) {
      throw new IllegalArgumentException("unsupported split '" + split + "' in tree " + tree
          + ": train on unnamed numerical features");
    }
    int feature = Integer.parseInt(split.substring(1));
    if (feature < 0 || feature >= F) {
      throw new IllegalArgumentException("tree " + tree + " splits on feature " + feature
          + ", outside the " + F + " model features");
    }
    long yes = node.path("yes").asLong();
    long no = node.path("no").asLong();
    long missing = node.path("missing").asLong();
    n.featureIds.add((long) feature);
    // asText keeps XGBoost's printed digits, parsed straight to float32 (no double rounding)
    n.values.add(Float.parseFloat(node.get("split_condition").asText()));
    n.modes.add("BRANCH_LT");
    n.trueIds.add(yes);
    n.falseIds.add(no);
    n.missingTracksTrue.add(missing == yes ? 1L : 0L);
    for (JsonNode child : node.path("children")) {
      walk(child, tree, n);
    }
  }

  private static OnnxMl.ValueInfoProto tensor(
      String name, OnnxMl.TensorProto.DataType type, int columns, String doc) {
    OnnxMl.TensorShapeProto.Builder shape = OnnxMl.TensorShapeProto.newBuilder()
        .addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimParam("N"));
    if (columns > 0) {
      shape.addDim(OnnxMl.TensorShapeProto.Dimension.newBuilder().setDimValue(columns));
    }
    return OnnxMl.ValueInfoProto.newBuilder()
        .setName(name)
        .setDocString(doc)
        .setType(OnnxMl.TypeProto.newBuilder().setTensorType(OnnxMl.TypeProto.Tensor.newBuilder()
            .setElemType(type.getNumber()).setShape(shape)))
        .build();
  }

  static AttributeProto ints(String name, List<Long> values) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS)
        .addAllInts(values).build();
  }

  static AttributeProto floats(String name, List<Float> values) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOATS)
        .addAllFloats(values).build();
  }

  static AttributeProto strings(String name, List<String> values) {
    AttributeProto.Builder b = AttributeProto.newBuilder().setName(name)
        .setType(AttributeType.STRINGS);
    values.forEach(v -> b.addStrings(utf8(v)));
    return b.build();
  }

  private static ByteString utf8(String s) {
    return ByteString.copyFrom(s, StandardCharsets.UTF_8);
  }

  private static List<Long> zeros(int n) {
    List<Long> z = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      z.add(0L);
    }
    return z;
  }

  /** Attribute names of the node, for tests. */
  static Map<String, AttributeProto> attributes(byte[] onnx) throws IOException {
    OnnxMl.ModelProto m = OnnxMl.ModelProto.parseFrom(onnx);
    Map<String, AttributeProto> out = new java.util.LinkedHashMap<>();
    m.getGraph().getNode(0).getAttributeList().forEach(a -> out.put(a.getName(), a));
    return out;
  }
}
