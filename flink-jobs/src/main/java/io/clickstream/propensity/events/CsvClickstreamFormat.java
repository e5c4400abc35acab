package io.clickstream.propensity.events;

import io.clickstream.propensity.events.serde.PipelineSerializers;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.reader.SimpleStreamFormat;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;

/**
 * Reads one clickstream CSV file (plain or compressed: Flink's file source decompresses {@code .gz}
 * by extension) into {@link IngestedRecord}s: line 1 is the header, every later non-empty line is
 * one record, numbered by its line in the file, parsed against that header. Lines end with LF,
 * CRLF or CR.
 *
 * <p>Lines are read as bytes, so that a line above the maximum record size is never held whole
 * (only its head is kept, and it is rejected as {@code record_too_large}) and bytes that are not
 * UTF-8 are rejected ({@code invalid_utf8}) instead of silently replaced.
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
  private final InputLimits limits;

  public CsvClickstreamFormat(int fileIndex, String fileName, long ingestedAt) {
    this(fileIndex, fileName, ingestedAt, InputLimits.DEFAULT);
  }

  public CsvClickstreamFormat(int fileIndex, String fileName, long ingestedAt, InputLimits limits) {
    this.fileIndex = fileIndex;
    this.fileName = fileName;
    this.ingestedAt = ingestedAt;
    this.limits = limits;
  }

  @Override
  public StreamFormat.Reader<IngestedRecord> createReader(Configuration config, FSDataInputStream stream) {
    return new Reader(new LineReader(stream, limits.maxRecordBytes()));
  }

  @Override
  public TypeInformation<IngestedRecord> getProducedType() {
    return PipelineSerializers.INGESTED_RECORD;
  }

  private final class Reader implements StreamFormat.Reader<IngestedRecord> {
    private final LineReader in;
    private CsvRecordParser parser;
    private long lineNumber;

    Reader(LineReader in) {
      this.in = in;
    }

    @Override
    public IngestedRecord read() throws IOException {
      if (parser == null) {
        if (!in.next()) {
          return null;
        }
        lineNumber = 1;
        parser = new CsvRecordParser(RawText.decode(in.bytes, in.length).text, limits);
      }
      do {
        if (!in.next()) {
          return null;
        }
        lineNumber++;
      } while (in.size == 0);
      IngestedRecord r = IngestedRecord.of(fileName, fileIndex, lineNumber, null, ingestedAt);
      if (in.size > limits.maxRecordBytes()) {
        return r.tooLarge(in.bytes, in.length, in.size, limits);
      }
      RawText text = RawText.decode(in.bytes, in.length);
      r.raw = text.text;
      return r.withOutcome(text.valid ? parser.parse(text.text) : RawText.invalidUtf8());
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /**
   * Lines of a byte stream without their terminator (LF, CRLF or CR, as {@code BufferedReader}
   * reads them), keeping at most {@code keep} bytes of each and counting the rest.
   */
  static final class LineReader {
    private final InputStream in;
    private final int keep;
    private final byte[] buf = new byte[1 << 16];
    private int pos;
    private int limit;
    /** The kept bytes of the current line: {@code bytes[0, length)}. */
    byte[] bytes = new byte[512];
    int length;
    /** The current line's full size in bytes. */
    long size;

    LineReader(InputStream in, int keep) {
      this.in = in;
      this.keep = keep;
    }

    /** Reads the next line; false at the end of the stream. */
    boolean next() throws IOException {
      length = 0;
      size = 0;
      if (pos >= limit && !fill()) {
        return false;
      }
      while (true) {
        int start = pos;
        while (pos < limit && buf[pos] != '\n' && buf[pos] != '\r') {
          pos++;
        }
        append(start, pos);
        if (pos < limit) {
          byte end = buf[pos++];
          if (end == '\r' && (pos < limit || fill()) && buf[pos] == '\n') {
            pos++;
          }
          return true;
        }
        if (!fill()) {
          return true; // last line without a terminator
        }
      }
    }

    private void append(int from, int to) {
      int n = to - from;
      size += n;
      int room = keep - length;
      int take = Math.min(n, Math.max(room, 0));
      if (take > 0) {
        if (length + take > bytes.length) {
          bytes = Arrays.copyOf(bytes, Math.min(keep, Math.max(length + take, 2 * bytes.length)));
        }
        System.arraycopy(buf, from, bytes, length, take);
        length += take;
      }
    }

    private boolean fill() throws IOException {
      int n = in.read(buf, 0, buf.length);
      while (n == 0) {
        n = in.read(buf, 0, buf.length);
      }
      pos = 0;
      limit = Math.max(n, 0);
      return n > 0;
    }

    void close() throws IOException {
      in.close();
    }
  }
}
