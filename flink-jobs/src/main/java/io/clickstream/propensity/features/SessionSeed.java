package io.clickstream.propensity.features;

/**
 * The final state of one session key after a backfill, to warm-start the streaming job with
 * exactly the state it would have had after streaming the same history.
 */
public class SessionSeed {
  /** The key's set: the stage's own, or (cart stage) cart-product. */
  public FeatureSet set;
  public SessionState state;

  public SessionSeed() {}
}
