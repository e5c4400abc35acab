package io.clickstream.propensity.events;

import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.util.Arrays;
import java.util.Locale;

/**
 * Parses the records of one CSV file given its header line: column order comes from the header
 * (docs/features.md, Input events), a record with another field count is {@code malformed_csv}, a record equal to
 * the header is {@code repeated_header} (files concatenated with their headers), and the values go
 * through {@link EventFields#validate} with the event-time range of the {@link InputLimits} (a
 * file has no processing clock to measure a future skew from). Not thread-safe; one instance per
 * reader.
 */
public final class CsvRecordParser {
  private static final ObjectReader LINE_READER =
      new CsvMapper()
          .enable(CsvParser.Feature.WRAP_AS_ARRAY)
          .readerFor(String[].class)
          .with(CsvSchema.emptySchema());

  private final String header;
  private final InputLimits limits;
  private final int headerWidth;
  /** For each of the nine fields, its column index in the file, or -1 when the header lacks it. */
  private final int[] columnOf = new int[EventFields.NAMES.size()];
  private final String[] values = new String[EventFields.NAMES.size()];

  public CsvRecordParser(String headerLine) {
    this(headerLine, InputLimits.DEFAULT);
  }

  public CsvRecordParser(String headerLine, InputLimits limits) {
    this.limits = limits;
    this.header = headerLine.startsWith("\uFEFF") ? headerLine.substring(1) : headerLine;
    String[] columns = splitOrEmpty(header);
    this.headerWidth = columns.length;
    Arrays.fill(columnOf, -1);
    for (int c = 0; c < columns.length; c++) {
      int field = EventFields.NAMES.indexOf(columns[c].trim().toLowerCase(Locale.ROOT));
      if (field >= 0 && columnOf[field] < 0) {
        columnOf[field] = c;
      }
    }
  }

  /** Parses one record line (without its line terminator). */
  public ParseOutcome parse(String line) {
    if (!header.isEmpty() && (line.equals(header) || line.equals("\uFEFF" + header))) {
      return ParseOutcome.rejected(RejectReason.REPEATED_HEADER, "the header line again");
    }
    String[] fields;
    try {
      fields = readRow(line);
    } catch (IOException | RuntimeException ex) {
      return ParseOutcome.rejected(RejectReason.MALFORMED_CSV, "unparseable CSV: " + firstLine(ex));
    }
    if (fields.length != headerWidth) {
      return ParseOutcome.rejected(
          RejectReason.MALFORMED_CSV,
          "record has " + fields.length + " fields, the header has " + headerWidth);
    }
    for (int f = 0; f < values.length; f++) {
      values[f] = columnOf[f] >= 0 ? fields[columnOf[f]] : null;
    }
    return EventFields.validate(values, limits, InputLimits.NO_CLOCK);
  }

  /**
   * The nine raw values of a record line in {@link EventFields#NAMES} order, as written (not
   * validated): null where the header lacks the column or the record is too short; null as a whole
   * when the line is not CSV at all. For tools that re-publish records (replay), not for parsing.
   */
  public String[] rawValues(String line) {
    String[] fields;
    try {
      fields = readRow(line);
    } catch (IOException | RuntimeException ex) {
      return null;
    }
    String[] out = new String[columnOf.length];
    for (int f = 0; f < out.length; f++) {
      int c = columnOf[f];
      out[f] = c >= 0 && c < fields.length ? fields[c] : null;
    }
    return out;
  }

  private static String[] splitOrEmpty(String header) {
    try {
      return header.isEmpty() ? new String[0] : readRow(header);
    } catch (IOException | RuntimeException ex) {
      return new String[0];
    }
  }

  /** One CSV row (RFC 4180 quoting) from one line; a line never spans records here. */
  private static String[] readRow(String line) throws IOException {
    try (MappingIterator<String[]> rows = LINE_READER.readValues(line)) {
      return rows.hasNextValue() ? rows.nextValue() : new String[] {""};
    }
  }

  private static String firstLine(Exception ex) {
    String m = String.valueOf(ex.getMessage());
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
