package io.clickstream.propensity.events;

import io.clickstream.propensity.events.serde.PipelineSerializers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;

/**
 * Reads one clickstream CSV file (plain or compressed: Flink's file source decompresses {@code .gz}
 * by extension) into {@link IngestedRecord}s: line 1 is the header, every later non-empty line is
 * one record, numbered by its line in the file, parsed against that header. LF and CRLF both work.
 *
 * <p>One format instance per input file, so each record carries the file's index in the order the
 * user gave (the first part of the canonical position). Files are not split: line numbers need the
 * whole file.
 */
public final class CsvClickstreamFormat extends SimpleStreamFormat<IngestedRecord> {
  private static final long serialVersionUID = 1L;

  private final int fileIndex;
  private final String fileName;
  private final long ingestedAt;

  public CsvClickstreamFormat(int fileIndex, String fileName, long ingestedAt) {
    this.fileIndex = fileIndex;
    this.fileName = fileName;
    this.ingestedAt = ingestedAt;
  }

  @Override
  public StreamFormat.Reader<IngestedRecord> createReader(Configuration config, FSDataInputStream stream) {
    return new Reader(
        new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8), 1 << 16));
  }

  @Override
  public TypeInformation<IngestedRecord> getProducedType() {
    return PipelineSerializers.INGESTED_RECORD;
  }

  private final class Reader implements StreamFormat.Reader<IngestedRecord> {
    private final BufferedReader in;
    private CsvRecordParser parser;
    private long lineNumber;

    Reader(BufferedReader in) {
      this.in = in;
    }

    @Override
    public IngestedRecord read() throws IOException {
      if (parser == null) {
        String header = in.readLine();
        if (header == null) {
          return null;
        }
        lineNumber = 1;
        parser = new CsvRecordParser(header);
      }
      String line;
      do {
        line = in.readLine();
        if (line == null) {
          return null;
        }
        lineNumber++;
      } while (line.isEmpty());
      return IngestedRecord.of(fileName, fileIndex, lineNumber, line, ingestedAt)
          .withOutcome(parser.parse(line));
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
