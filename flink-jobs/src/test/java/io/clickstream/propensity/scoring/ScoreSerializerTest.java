package io.clickstream.propensity.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** Every field of a score survives its trip to the table writer. */
class ScoreSerializerTest {

  private static Score roundTrip(Score s) throws IOException {
    DataOutputSerializer out = new DataOutputSerializer(64);
    ScoreSerializer.INSTANCE.serialize(s, out);
    DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
    Score back = ScoreSerializer.INSTANCE.deserialize(in);
    assertThat(in.available()).as("bytes left after reading").isZero();
    DataOutputSerializer copied = new DataOutputSerializer(64);
    ScoreSerializer.INSTANCE.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
    assertThat(copied.getCopyOfBuffer()).isEqualTo(out.getCopyOfBuffer());
    return back;
  }

  /** The JSON tests' score, with the values whose encodings differ most from the usual ones. */
  private static Score score() {
    Score s = ScoreJsonTest.score();
    s.eventTime = -86_401L; // before 1970: negative times survive
    for (int i = 0; i < s.counts.length; i++) {
      s.counts[i] = i * 1_000_003 - 7; // negative and multi-byte counts
    }
    s.propensity = 0.123456789012345;
    s.modelVersion = "2026-12-02T10:00:00Z \u65e5\u672c"; // beyond Latin-1
    return s;
  }

  @Test
  void everyFieldSurvives() throws IOException {
    Score s = score();
    Score back = roundTrip(s);
    assertThat(back).usingRecursiveComparison().isEqualTo(s);
    assertThat(back.propensity).isEqualTo(s.propensity); // bit for bit, not within a tolerance
    assertThat(ScoreSerializer.INSTANCE.copy(s)).usingRecursiveComparison().isEqualTo(s)
        .isNotSameAs(s);
  }

  @Test
  void missingStringsAndCountsSurvive() throws IOException {
    Score s = score();
    s.eventId = "not-a-hex-id";
    s.userSession = null;
    s.counts = null;
    s.modelVersion = null;
    s.propensity = Double.NaN;
    Score back = roundTrip(s);
    assertThat(back).usingRecursiveComparison().ignoringFields("propensity").isEqualTo(s);
    assertThat(back.propensity).isNaN();
  }
}
