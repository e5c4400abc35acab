package io.clickstream.propensity.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Send-time stamps keep a session's distinct events distinct and its input duplicates duplicate. */
class DistinctStampsTest {
  private static final long NOW = 1_700_000_000L;

  private static String[] raw(String time, String type, String product, String session) {
    return new String[] {time, type, product, "1", "", "", "9.99", "42", session};
  }

  private static String line(String[] raw) {
    return String.join(",", raw);
  }

  @Test
  void eventsThatDifferOnlyInTimeGetSuccessiveSecondsWithinASession() {
    Replay.DistinctStamps stamps = new Replay.DistinctStamps();
    // two views of one product, one minute apart in the input, sent within the same second
    String[] a = raw("2020-10-01 10:00:00 UTC", "view", "7", "s1");
    String[] b = raw("2020-10-01 10:01:00 UTC", "view", "7", "s1");
    long first = stamps.stampSecond(a, line(a), 100, NOW);
    long second = stamps.stampSecond(b, line(b), 160, NOW);
    assertThat(first).isEqualTo(NOW);
    assertThat(second).isEqualTo(NOW + 1);
    // the session stays monotone: its next event is not stamped before the previous one
    String[] c = raw("2020-10-01 10:02:00 UTC", "cart", "7", "s1");
    assertThat(stamps.stampSecond(c, line(c), 220, NOW)).isEqualTo(NOW + 1);
  }

  @Test
  void differentFieldsOrSessionsShareTheSecondAndInputDuplicatesStayDuplicates() {
    Replay.DistinctStamps stamps = new Replay.DistinctStamps();
    String[] view = raw("2020-10-01 10:00:00 UTC", "view", "7", "s1");
    String[] otherProduct = raw("2020-10-01 10:00:05 UTC", "view", "8", "s1");
    String[] otherSession = raw("2020-10-01 10:00:05 UTC", "view", "7", "s2");
    assertThat(stamps.stampSecond(view, line(view), 100, NOW)).isEqualTo(NOW);
    assertThat(stamps.stampSecond(otherProduct, line(otherProduct), 105, NOW)).isEqualTo(NOW);
    assertThat(stamps.stampSecond(otherSession, line(otherSession), 105, NOW)).isEqualTo(NOW);
    // an exact duplicate in the input, sent a second later, keeps its original's stamp
    assertThat(stamps.stampSecond(otherProduct, line(otherProduct), 105, NOW + 1)).isEqualTo(NOW);
  }
}
