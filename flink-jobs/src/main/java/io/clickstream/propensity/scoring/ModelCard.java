package io.clickstream.propensity.scoring;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code model-card.json}: what the model is, what it was trained on, how well it does, and the
 * parts of its interface the scorer relies on (feature order, tensor names, action thresholds).
 *
 * <p>Typed fields are the ones {@link ModelContract} checks; the descriptive sections (training
 * data, hyperparameters, metrics, parity) stay free-form JSON so the trainer can grow them without
 * breaking older scorers.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({
  "model_name", "model_version", "created_at", "description", "features", "input", "outputs",
  "positive_class_index", "thresholds", "onnx", "training_data", "hyperparameters", "metrics",
  "parity", "training_time_seconds", "seed"
})
public final class ModelCard implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Card schema version, bumped when a field the contract checks changes meaning. */
  public static final int CARD_FORMAT = 1;

  public static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  public int cardFormat = CARD_FORMAT;
  public String modelName;
  public String modelVersion;
  public String createdAt;
  public String description;
  /** Model input columns, in order: must equal FeatureRules.MODEL_FEATURES. */
  public List<String> features = new ArrayList<>();
  public TensorSpec input;
  public List<TensorSpec> outputs = new ArrayList<>();
  /** Column of the probabilities output that holds P(label = 1). */
  public Integer positiveClassIndex;
  public Thresholds thresholds;
  public OnnxInfo onnx;
  // Free-form, descriptive sections (JsonNode is Serializable, so the card can travel in a job).
  public JsonNode trainingData;
  public JsonNode hyperparameters;
  public JsonNode metrics;
  public JsonNode parity;
  public Double trainingTimeSeconds;
  public Long seed;

  /** One ONNX graph input or output: name, element type, shape (-1 = any size). */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class TensorSpec implements Serializable {
    private static final long serialVersionUID = 1L;
    public String name;
    public String type;
    public List<Long> shape = new ArrayList<>();
    public String description;

    public TensorSpec() {}

    public TensorSpec(String name, String type, List<Long> shape, String description) {
      this.name = name;
      this.type = type;
      this.shape = shape;
      this.description = description;
    }
  }

  /**
   * Action thresholds on the propensity: {@code p < low} suggest_alternatives, {@code low <= p <=
   * high} offer_incentive, {@code p > high} suggest_complements.
   */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class Thresholds implements Serializable {
    private static final long serialVersionUID = 1L;
    public Double low;
    public Double high;
    public String method;

    public Thresholds() {}

    public Thresholds(double low, double high, String method) {
      this.low = low;
      this.high = high;
      this.method = method;
    }
  }

  /** The ONNX file the card describes. */
  @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class OnnxInfo implements Serializable {
    private static final long serialVersionUID = 1L;
    public String file;
    /** Hex SHA-256 of the ONNX file: ties the card to exactly one model file. */
    public String sha256;
    public Long irVersion;
    public Long opset;
    public Long mlOpset;
    public Integer trees;
    public String producer;
  }

  public static ModelCard read(Path file) throws IOException {
    return JSON.readValue(file.toFile(), ModelCard.class);
  }

  public static ModelCard parse(byte[] json) throws IOException {
    return JSON.readValue(json, ModelCard.class);
  }

  public byte[] toJson() throws IOException {
    return JSON.writeValueAsBytes(this);
  }

  public void write(Path file) throws IOException {
    Files.write(file, toJson());
  }
}
