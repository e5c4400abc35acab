package io.clickstream.propensity.scoring;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.features.FeaturedEvent;

/**
 * The score of one non-purchase event (docs/features.md, Scores): keys, the 20 counts the 50 scored
 * features derive from, the late flag, propensity, action, model and latency timestamps.
 */
public class Score {
  public String eventId;
  public long userId;
  public String userSession;
  public long productId;
  /** Epoch seconds. */
  public long eventTime;
  public String eventType;
  public int[] counts;
  public boolean late;
  public double propensity;
  public String action;
  public String modelName;
  public String modelVersion;
  /** Epoch milliseconds: when the event entered Kafka. */
  public long ingestedAt;
  /** Epoch milliseconds: when it was scored. */
  public long scoredAt;

  public Score() {}

  static Score of(FeaturedEvent f, double propensity, String action, String modelName,
      String modelVersion, long scoredAt) {
    ClickEvent e = f.event;
    Score s = new Score();
    s.eventId = e.eventId;
    s.userId = e.userId;
    s.userSession = e.userSession;
    s.productId = e.productId;
    s.eventTime = e.eventTime;
    s.eventType = e.eventType.wireName();
    s.counts = f.counts.clone();
    s.late = f.late;
    s.propensity = propensity;
    s.action = action;
    s.modelName = modelName;
    s.modelVersion = modelVersion;
    s.ingestedAt = e.ingestedAt;
    s.scoredAt = scoredAt;
    return s;
  }

  /** The 50 scored features (NaN = missing ratio). */
  public double[] features() {
    return io.clickstream.propensity.features.FeatureRules.modelVector(counts);
  }
}
