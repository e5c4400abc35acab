package io.clickstream.propensity.events;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * Parses a streaming record: a JSON object with the nine field names (extra fields ignored),
 * validated by the same {@link EventFields#validate} as the CSV input.
 */
public final class JsonRecordParser {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

  private JsonRecordParser() {}

  public static ParseOutcome parse(byte[] value) {
    JsonNode node;
    try {
      node = value == null ? null : MAPPER.readTree(value);
    } catch (JsonProcessingException ex) {
      return ParseOutcome.rejected(
          RejectReason.MALFORMED_JSON, "not valid JSON: " + ex.getOriginalMessage());
    } catch (IOException ex) {
      return ParseOutcome.rejected(RejectReason.MALFORMED_JSON, "not valid JSON: " + ex.getMessage());
    }
    if (node == null || !node.isObject()) {
      return ParseOutcome.rejected(
          RejectReason.MALFORMED_JSON, "the record value must be a JSON object");
    }
    String[] values = new String[EventFields.NAMES.size()];
    for (int f = 0; f < values.length; f++) {
      values[f] = text(node.get(EventFields.NAMES.get(f)));
    }
    return EventFields.validate(values);
  }

  private static String text(JsonNode v) {
    if (v == null || v.isNull()) {
      return null;
    }
    if (v.isTextual()) {
      return v.textValue();
    }
    if (v.isBigDecimal()) {
      return v.decimalValue().toPlainString();
    }
    // numbers as their text; objects, arrays and booleans as JSON text, which no field accepts
    return v.isValueNode() ? v.asText() : v.toString();
  }
}
