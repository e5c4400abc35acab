package io.clickstream.propensity.scoring;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.clickstream.propensity.features.FeatureRules;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;
import java.util.Set;

/**
 * Scores 50-feature rows with the ONNX model: one ONNX Runtime session on one thread, input and
 * output tensors allocated once per batch size over shared direct buffers (allocating them per
 * call is expensive). Not thread-safe: one scorer per operator instance.
 */
public final class OnnxScorer implements AutoCloseable {
  private static final int F = FeatureRules.MODEL_FEATURE_COUNT;

  private final OrtEnvironment env;
  private final OrtSession session;
  private final int maxBatch;
  private final FloatBuffer input;
  private final FloatBuffer probabilities;
  private final LongBuffer labels;
  /** Tensors bound to the shared buffers, per batch size (index = rows). */
  private final Bound[] bound;
  private final float[] single = new float[1];

  private static final class Bound implements AutoCloseable {
    final Map<String, OnnxTensor> inputs;
    final Map<String, OnnxValue> outputs;

    Bound(Map<String, OnnxTensor> inputs, Map<String, OnnxValue> outputs) {
      this.inputs = inputs;
      this.outputs = outputs;
    }

    @Override
    public void close() {
      inputs.values().forEach(OnnxTensor::close);
      outputs.values().forEach(OnnxValue::close);
    }
  }

  private OnnxScorer(OrtSession session, int maxBatch) {
    this.env = ModelContract.environment();
    this.session = session;
    this.maxBatch = maxBatch;
    this.input = direct(maxBatch * F * Float.BYTES).asFloatBuffer();
    this.probabilities = direct(maxBatch * 2 * Float.BYTES).asFloatBuffer();
    this.labels = direct(maxBatch * Long.BYTES).asLongBuffer();
    this.bound = new Bound[maxBatch + 1];
  }

  /**
   * Opens a scorer on model bytes that {@link ModelContract} accepted (use
   * {@link ModelContract#openScorer}).
   */
  static OnnxScorer open(byte[] onnx, int maxBatch) {
    if (maxBatch < 1 || maxBatch > 1 << 16) {
      throw new IllegalArgumentException("maxBatch must be in 1..65536, got " + maxBatch);
    }
    try {
      return new OnnxScorer(newSession(onnx), maxBatch);
    } catch (OrtException e) {
      throw new IllegalStateException("cannot open the ONNX model: " + e.getMessage(), e);
    }
  }

  /** A session on one thread, sequential: the job scales by parallelism, not by ORT threads. */
  static OrtSession newSession(byte[] onnx) throws OrtException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(1);
      options.setInterOpNumThreads(1);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      return ModelContract.environment().createSession(onnx, options);
    }
  }

  public int maxBatch() {
    return maxBatch;
  }

  /** Number of features per row. */
  public static int featureCount() {
    return F;
  }

  /**
   * Scores {@code rows} rows stored row-major in {@code features} ({@code rows * 50} floats, NaN =
   * missing) and writes P(label = 1) of row i to {@code propensities[i]}.
   */
  public void score(float[] features, int rows, float[] propensities) {
    if (rows < 1 || rows > maxBatch) {
      throw new IllegalArgumentException("rows must be in 1.." + maxBatch + ", got " + rows);
    }
    if (features.length < rows * F || propensities.length < rows) {
      throw new IllegalArgumentException("buffers too small for " + rows + " rows: features "
          + features.length + " (need " + rows * F + "), propensities " + propensities.length);
    }
    input.clear();
    input.put(features, 0, rows * F);
    Bound b = bound(rows);
    try (OrtSession.Result ignored = session.run(b.inputs, Set.of(), b.outputs)) {
      // outputs are pinned: the results are already in the shared buffers
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed to score " + rows + " rows: "
          + e.getMessage(), e);
    }
    for (int i = 0; i < rows; i++) {
      propensities[i] = probabilities.get(2 * i + ModelContract.POSITIVE_CLASS_INDEX);
    }
  }

  /** Scores one row of 50 features. */
  public float score(float[] row) {
    score(row, 1, single);
    return single[0];
  }

  private Bound bound(int rows) {
    Bound b = bound[rows];
    if (b != null) {
      return b;
    }
    try {
      // Tensors over direct buffers share their memory: binding costs nothing per call.
      OnnxTensor in = OnnxTensor.createTensor(env, input.duplicate().clear().limit(rows * F),
          new long[] {rows, F});
      OnnxTensor probs = OnnxTensor.createTensor(env,
          probabilities.duplicate().clear().limit(rows * 2), new long[] {rows, 2});
      OnnxTensor label = OnnxTensor.createTensor(env, labels.duplicate().clear().limit(rows),
          new long[] {rows});
      b = new Bound(Map.of(ModelContract.INPUT_NAME, in),
          Map.of(ModelContract.PROBABILITIES_OUTPUT, probs, ModelContract.LABEL_OUTPUT, label));
    } catch (OrtException e) {
      throw new IllegalStateException("cannot allocate ONNX tensors: " + e.getMessage(), e);
    }
    bound[rows] = b;
    return b;
  }

  private static ByteBuffer direct(int bytes) {
    return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
  }

  @Override
  public void close() {
    for (Bound b : bound) {
      if (b != null) {
        b.close();
      }
    }
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("cannot close the ONNX session: " + e.getMessage(), e);
    }
  }
}
