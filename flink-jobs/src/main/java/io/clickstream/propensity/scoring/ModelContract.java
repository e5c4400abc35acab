package io.clickstream.propensity.scoring;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.clickstream.propensity.features.FeatureRules;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The model as a contract between the trainer and the streaming scorer: a model directory holding
 * {@value #CARD_FILE} and {@value #ONNX_FILE}, checked once when loaded so that a scorer never
 * runs a model whose inputs, outputs or thresholds differ from what it feeds and reads.
 *
 * <p>Every refusal is a {@link ModelContractException} saying what is wrong and how to fix it.
 * The loaded contract is {@link Serializable} (card + ONNX bytes), so a Flink job can validate it
 * on the client and ship it to its task managers, which open {@link OnnxScorer}s from it.
 */
public final class ModelContract implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final String CARD_FILE = "model-card.json";
  public static final String ONNX_FILE = "propensity.onnx";
  /** The one model input: float32 {@code [N, 50]} in FeatureRules.MODEL_FEATURES order. */
  public static final String INPUT_NAME = "features";
  /** int64 {@code [N]}: 1 when P(label = 1) > 0.5. */
  public static final String LABEL_OUTPUT = "label";
  /** float32 {@code [N, 2]}: P(label = 0), P(label = 1). */
  public static final String PROBABILITIES_OUTPUT = "probabilities";
  public static final int POSITIVE_CLASS_INDEX = 1;

  private final ModelCard card;
  private final byte[] onnx;
  private final String origin;

  private ModelContract(ModelCard card, byte[] onnx, String origin) {
    this.card = card;
    this.onnx = onnx;
    this.origin = origin;
  }

  /** Loads and checks the model in {@code modelDir} (the folder the trainer wrote). */
  public static ModelContract load(Path modelDir) {
    if (modelDir == null || !Files.isDirectory(modelDir)) {
      throw new ModelContractException("model directory " + modelDir + " does not exist: give the folder "
          + "the trainer wrote (it holds " + CARD_FILE + " and " + ONNX_FILE + ")");
    }
    Path cardFile = modelDir.resolve(CARD_FILE);
    Path onnxFile = modelDir.resolve(ONNX_FILE);
    for (Path f : List.of(cardFile, onnxFile)) {
      if (!Files.isRegularFile(f)) {
        throw new ModelContractException("model file " + f + " is missing: a model directory needs "
            + "both " + CARD_FILE + " and " + ONNX_FILE + " from the same training run; "
            + "re-run the training or copy the whole folder it wrote");
      }
    }
    try {
      return of(Files.readAllBytes(cardFile), Files.readAllBytes(onnxFile), modelDir.toString());
    } catch (IOException e) {
      throw new ModelContractException("cannot read model files in " + modelDir + ": " + e, e);
    }
  }

  /** Checks a card and ONNX model given as bytes ({@code origin} names them in messages). */
  public static ModelContract of(byte[] cardJson, byte[] onnxBytes, String origin) {
    ModelCard card;
    try {
      card = ModelCard.parse(cardJson);
    } catch (IOException e) {
      throw new ModelContractException(origin + "/" + CARD_FILE + " is not a valid model card ("
          + e.getMessage().lines().findFirst().orElse("") + "): re-run the training to write it", e);
    }
    checkCard(card, origin);
    checkDigest(card, onnxBytes, origin);
    checkOnnx(onnxBytes, origin);
    return new ModelContract(card, onnxBytes.clone(), origin);
  }

  private static void checkCard(ModelCard card, String origin) {
    String where = origin + "/" + CARD_FILE;
    require(card.modelName != null && !card.modelName.isBlank()
            && card.modelVersion != null && !card.modelVersion.isBlank(),
        where + " has no model_name/model_version: scores must say which model made them; "
            + "re-run train or add them to the card");
    List<String> expected = FeatureRules.MODEL_FEATURES;
    List<String> found = card.features == null ? List.of() : card.features;
    if (!expected.equals(found)) {
      throw new ModelContractException(where + " lists features that differ from "
          + "FeatureRules.MODEL_FEATURES (" + firstDifference(expected, found) + "): the model was "
          + "trained on another feature layout; retrain it with this version of the code");
    }
    require(card.input != null && INPUT_NAME.equals(card.input.name),
        where + " must declare input '" + INPUT_NAME + "' (float32 [-1," + expected.size()
            + "]); found " + (card.input == null ? "none" : "'" + card.input.name + "'"));
    require(card.outputs != null
            && card.outputs.stream().anyMatch(o -> PROBABILITIES_OUTPUT.equals(o.name)),
        where + " must declare output '" + PROBABILITIES_OUTPUT + "' (float32 [-1,2])");
    require(card.positiveClassIndex == null || card.positiveClassIndex == POSITIVE_CLASS_INDEX,
        where + " says the positive class is column " + card.positiveClassIndex + " of '"
            + PROBABILITIES_OUTPUT + "'; this scorer reads column " + POSITIVE_CLASS_INDEX);
    ModelCard.Thresholds t = card.thresholds;
    require(t != null && t.low != null && t.high != null,
        where + " has no thresholds.low/high: the scorer needs them to choose actions; re-run "
            + "train or set them (0 <= low <= high <= 1)");
    require(Double.isFinite(t.low) && Double.isFinite(t.high)
            && t.low >= 0 && t.high <= 1 && t.low <= t.high,
        where + " has invalid thresholds low=" + t.low + " high=" + t.high
            + ": they must satisfy 0 <= low <= high <= 1");
  }

  private static void checkDigest(ModelCard card, byte[] onnx, String origin) {
    if (card.onnx == null || card.onnx.sha256 == null) {
      return; // hand-made cards may omit it; the ONNX checks below still apply
    }
    String actual = sha256(onnx);
    require(actual.equalsIgnoreCase(card.onnx.sha256),
        origin + "/" + ONNX_FILE + " is not the model " + CARD_FILE + " describes (sha256 "
            + actual + ", card says " + card.onnx.sha256 + "): copy both files from the same "
            + "training run's folder");
  }

  private static void checkOnnx(byte[] onnx, String origin) {
    String where = origin + "/" + ONNX_FILE;
    OrtSession session;
    try {
      session = OnnxScorer.newSession(onnx);
    } catch (OrtException e) {
      throw new ModelContractException(where + " is not a loadable ONNX model (" + e.getMessage()
          + "): the file is corrupt or truncated; re-run the training", e);
    }
    try (session) {
      Map<String, NodeInfo> inputs = session.getInputInfo();
      require(inputs.size() == 1 && inputs.containsKey(INPUT_NAME),
          where + " must have exactly one input '" + INPUT_NAME + "'; it has " + inputs.keySet());
      requireTensor(where, inputs.get(INPUT_NAME), OnnxJavaType.FLOAT,
          FeatureRules.MODEL_FEATURE_COUNT, "input");
      Map<String, NodeInfo> outputs = session.getOutputInfo();
      require(outputs.containsKey(PROBABILITIES_OUTPUT) && outputs.containsKey(LABEL_OUTPUT),
          where + " must have outputs '" + LABEL_OUTPUT + "' and '" + PROBABILITIES_OUTPUT
              + "'; it has " + outputs.keySet() + " (export without ZipMap)");
      requireTensor(where, outputs.get(PROBABILITIES_OUTPUT), OnnxJavaType.FLOAT, 2, "output");
      NodeInfo label = outputs.get(LABEL_OUTPUT);
      require(label.getInfo() instanceof TensorInfo
              && ((TensorInfo) label.getInfo()).type == OnnxJavaType.INT64
              && ((TensorInfo) label.getInfo()).getShape().length == 1,
          where + " output '" + LABEL_OUTPUT + "' must be INT64 [-1], found " + label.getInfo());
    } catch (OrtException e) {
      throw new ModelContractException(where + " cannot be inspected: " + e.getMessage(), e);
    }
  }

  private static void requireTensor(
      String where, NodeInfo node, OnnxJavaType type, int columns, String kind) {
    String expected = type + " [-1," + columns + "]";
    require(node.getInfo() instanceof TensorInfo,
        where + " " + kind + " '" + node.getName() + "' must be a tensor " + expected + ", found "
            + node.getInfo());
    TensorInfo info = (TensorInfo) node.getInfo();
    long[] shape = info.getShape();
    require(info.type == type && shape.length == 2 && shape[0] < 0 && shape[1] == columns,
        where + " " + kind + " '" + node.getName() + "' must be " + expected + " (any batch size), "
            + "found " + info.type + " " + java.util.Arrays.toString(shape)
            + ": the model was not exported for the " + FeatureRules.MODEL_FEATURE_COUNT
            + " model features; retrain it with this version of the code");
  }

  private static String firstDifference(List<String> expected, List<String> found) {
    if (expected.size() != found.size()) {
      return "expected " + expected.size() + " names, found " + found.size();
    }
    for (int i = 0; i < expected.size(); i++) {
      if (!expected.get(i).equals(found.get(i))) {
        return "position " + i + ": expected '" + expected.get(i) + "', found '" + found.get(i)
            + "'";
      }
    }
    return "none";
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw new ModelContractException(message);
    }
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
    }
  }

  public ModelCard card() {
    return card;
  }

  public String modelName() {
    return card.modelName;
  }

  public String modelVersion() {
    return card.modelVersion;
  }

  public double lowThreshold() {
    return card.thresholds.low;
  }

  public double highThreshold() {
    return card.thresholds.high;
  }

  /** The action for a propensity with this model's thresholds. */
  public Action action(double propensity) {
    return Action.of(propensity, card.thresholds.low, card.thresholds.high);
  }

  /** Where the model was loaded from (for logs). */
  public String origin() {
    return origin;
  }

  /** The ONNX model bytes (a copy). */
  public byte[] onnxBytes() {
    return onnx.clone();
  }

  /** Opens a scorer (one ONNX Runtime session, one thread) for batches up to {@code maxBatch}. */
  public OnnxScorer openScorer(int maxBatch) {
    return OnnxScorer.open(onnx, maxBatch);
  }

  /** A model that breaks the contract; the message says what to fix. */
  public static final class ModelContractException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public ModelContractException(String message) {
      super(message);
    }

    public ModelContractException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Environment variable that turns ONNX Runtime's telemetry off (read once, at load). */
  public static final String ORT_TELEMETRY_OFF = "ORT_DISABLE_TELEMETRY";
  /** System property that skips the telemetry check (only where ORT is known to be safe). */
  public static final String ALLOW_ORT_TELEMETRY = "clickstream.onnx.allow-telemetry";

  /**
   * The JVM-wide ONNX Runtime environment (never closed). ONNX Runtime 1.29 ships Linux telemetry
   * that crashes the whole JVM with SIGSEGV when the process command line is long (Flink task
   * managers, bin/clickstream) and sends data to Microsoft; only the environment variable
   * {@value #ORT_TELEMETRY_OFF}=1 switches it off, so refuse to start without it rather than die
   * without a message.
   */
  static OrtEnvironment environment() {
    if (!"1".equals(System.getenv(ORT_TELEMETRY_OFF))
        && !Boolean.getBoolean(ALLOW_ORT_TELEMETRY)) {
      throw new IllegalStateException("set the environment variable " + ORT_TELEMETRY_OFF
          + "=1 for this JVM before scoring (bin/clickstream and the tests do; add it to Flink's "
          + "containerized.taskmanager.env / pod template): ONNX Runtime 1.29's telemetry crashes "
          + "JVMs with long command lines. -D" + ALLOW_ORT_TELEMETRY + "=true skips this check");
    }
    return OrtEnvironment.getEnvironment();
  }
}
