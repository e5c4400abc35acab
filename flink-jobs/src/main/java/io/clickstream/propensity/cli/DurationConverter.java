package io.clickstream.propensity.cli;

import java.time.Duration;
import org.apache.flink.util.TimeUtils;
import picocli.CommandLine;

/** Durations as Flink writes them: {@code 1d}, {@code 30 d}, {@code 12h}, {@code 500ms}. */
final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    try {
      return TimeUtils.parseDuration(value);
    } catch (RuntimeException e) {
      throw new CommandLine.TypeConversionException(
          "'" + value + "' is not a duration (examples: 1d, 30d, 12h, 5s, 500ms)");
    }
  }
}
