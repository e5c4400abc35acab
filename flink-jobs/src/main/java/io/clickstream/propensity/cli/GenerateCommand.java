package io.clickstream.propensity.cli;

import io.clickstream.propensity.events.EventFields;
import io.clickstream.propensity.events.synthetic.ClickstreamGenerator;
import io.clickstream.propensity.events.synthetic.GenerationSummary;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code clickstream generate}: writes a deterministic synthetic clickstream CSV in the public
 * dataset's format. The summary goes to stderr; stdout stays empty.
 */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
      "Generates a synthetic clickstream CSV in the public REES46 / Open CDP format: same options, "
          + "same bytes.",
      "Rows are in event-time order and include exact duplicates and malformed rows on purpose."
    })
public final class GenerateCommand implements Callable<Integer> {
  @Option(names = {"-n", "--events"}, required = true, paramLabel = "N",
      description = "Exact number of data rows, duplicates and malformed rows included")
  long events;

  @Option(names = {"-s", "--seed"}, defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE",
      description = "Output CSV file; gzip-compressed when it ends with .gz")
  Path out;

  @Option(names = "--start", defaultValue = "2020-09-24 00:00:00 UTC", paramLabel = "TIME",
      description = "First instant: a date (UTC) or a time with zone (default: ${DEFAULT-VALUE})")
  String start;

  @Option(names = "--days", defaultValue = "" + ClickstreamGenerator.DEFAULT_DAYS,
      description = "Length of the span in days (default: ${DEFAULT-VALUE})")
  int days;

  @Option(names = "--malformed-share", defaultValue = "" + ClickstreamGenerator.DEFAULT_MALFORMED_SHARE,
      description = "Share of malformed rows (default: ${DEFAULT-VALUE})")
  double malformedShare;

  @Option(names = "--duplicate-share", defaultValue = "" + ClickstreamGenerator.DEFAULT_DUPLICATE_SHARE,
      description = "Share of extra exact copies of rows (default: ${DEFAULT-VALUE})")
  double duplicateShare;

  @Override
  public Integer call() throws Exception {
    run(System.err);
    return 0;
  }

  GenerationSummary run(PrintStream progress) throws Exception {
    ClickstreamGenerator generator = ClickstreamGenerator.builder()
        .events(events)
        .seed(seed)
        .start(parseStart(start))
        .days(days)
        .malformedShare(malformedShare)
        .duplicateShare(duplicateShare)
        .build();
    long t0 = System.nanoTime();
    GenerationSummary summary = generator.writeTo(out);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    progress.println(summary.oneLine() + " -> " + out + " in " + ms + " ms");
    return summary;
  }

  /** A bare date means its UTC midnight; anything else must state its zone, like event_time. */
  static Instant parseStart(String value) {
    try {
      String v = value.trim();
      if (v.length() == 10) {
        return LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant();
      }
      return Instant.ofEpochSecond(EventFields.parseEventTime(v));
    } catch (DateTimeException ex) {
      throw new IllegalArgumentException("--start: " + ex.getMessage());
    }
  }
}
