package io.clickstream.propensity.events;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * Parses a streaming record: a JSON object with the nine field names (extra fields ignored),
 * validated by the same {@link EventFields#validate} as the CSV input. Jackson's streaming parser
 * reads the object once, without building a tree: it runs for every record of the topic.
 *
 * <p>Rejected besides the field rules: no value (a tombstone: {@code null_record}), an empty or
 * blank value ({@code empty_record}), anything but one JSON object, also with content after it
 * ({@code malformed_json}, which covers nesting deeper than Jackson's limit too), and one of the
 * nine names twice ({@code duplicate_field:<name>}: which value is meant is ambiguous; repeated
 * extra fields are ignored like any extra field).
 */
public final class JsonRecordParser {
  private static final JsonFactory FACTORY = new JsonFactory();
  /** Only for the rare object or array value, turned into its JSON text (no field accepts it). */
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private JsonRecordParser() {}

  /** With the default limits and no future check (tools and tests). */
  public static ParseOutcome parse(byte[] value) {
    return parse(value, InputLimits.DEFAULT, InputLimits.NO_CLOCK);
  }

  /**
   * @param clockMillis the processing time the future skew is measured from, or
   *     {@link InputLimits#NO_CLOCK}
   */
  public static ParseOutcome parse(byte[] value, InputLimits limits, long clockMillis) {
    if (value == null) {
      return ParseOutcome.rejected(RejectReason.NULL_RECORD, "the record has no value (a tombstone)");
    }
    if (isBlank(value)) {
      return ParseOutcome.rejected(RejectReason.EMPTY_RECORD, "the record value is empty");
    }
    String[] values = new String[EventFields.NAMES.size()];
    try (JsonParser p = FACTORY.createParser(value)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        if (p.currentToken() != null) {
          p.skipChildren();
          p.nextToken(); // a malformed document must still be reported as malformed
        }
        return notAnObject();
      }
      int seen = 0;
      for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
        int field = EventFields.NAMES.indexOf(p.currentName());
        p.nextToken();
        if (field < 0) {
          p.skipChildren();
        } else if ((seen & (1 << field)) != 0) {
          return ParseOutcome.rejected(RejectReason.duplicateField(EventFields.NAMES.get(field)),
              "the object names " + EventFields.NAMES.get(field) + " more than once");
        } else {
          seen |= 1 << field;
          values[field] = text(p);
        }
      }
      if (p.nextToken() != null) {
        return ParseOutcome.rejected(
            RejectReason.MALFORMED_JSON, "not valid JSON: content after the object");
      }
    } catch (JsonProcessingException ex) {
      return ParseOutcome.rejected(
          RejectReason.MALFORMED_JSON, "not valid JSON: " + ex.getOriginalMessage());
    } catch (IOException ex) {
      return ParseOutcome.rejected(RejectReason.MALFORMED_JSON, "not valid JSON: " + ex.getMessage());
    }
    return EventFields.validate(values, limits, clockMillis);
  }

  private static boolean isBlank(byte[] value) {
    for (byte b : value) {
      if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        return false;
      }
    }
    return true;
  }

  private static ParseOutcome notAnObject() {
    return ParseOutcome.rejected(
        RejectReason.MALFORMED_JSON, "the record value must be a JSON object");
  }

  /** The value at the parser as text: strings as is, numbers as their plain decimal text. */
  private static String text(JsonParser p) throws IOException {
    switch (p.currentToken()) {
      case VALUE_NULL:
        return null;
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
        // a JSON integer's text is its plain decimal digits already (no BigInteger per field)
        return p.getText();
      case VALUE_NUMBER_FLOAT: {
        String text = p.getText();
        // exponent notation (1.5e2) as plain decimal text; plain text as is
        return text.indexOf('e') < 0 && text.indexOf('E') < 0 ? text
            : p.getDecimalValue().toPlainString();
      }
      case VALUE_TRUE:
      case VALUE_FALSE:
        return p.getText();
      default:
        // objects and arrays as JSON text, which no field accepts
        return MAPPER.writeValueAsString(MAPPER.readTree(p));
    }
  }
}
