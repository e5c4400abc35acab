package io.clickstream.propensity.features;

import io.clickstream.propensity.events.ClickEvent;

/**
 * A silver event on its way through the keyed feature stages. Each stage fills the four counts of
 * each set it computes; the 50 features are derived from the 20 counts by {@link FeatureRules}.
 */
public class FeaturedEvent {
  public ClickEvent event;
  /** Four counts per set, sets in {@link FeatureSet} order. */
  public int[] counts = new int[FeatureRules.SETS * FeatureRules.COUNTS_PER_SET];
  /** True when some set saw this event out of canonical order (streaming only; docs/features.md, Metric sets). */
  public boolean late;
  /** Training label (batch only): 1 if a purchase of the same cart-product follows; -1 unknown. */
  public int label = -1;

  public FeaturedEvent() {}

  public static FeaturedEvent of(ClickEvent event) {
    FeaturedEvent f = new FeaturedEvent();
    f.event = event;
    return f;
  }

  /** Copies a set's four counts into this event. */
  void setCounts(FeatureSet set, int[] setCounts) {
    System.arraycopy(setCounts, 0, counts, set.ordinal() * FeatureRules.COUNTS_PER_SET,
        FeatureRules.COUNTS_PER_SET);
  }

  /** The 50-feature model vector (NaN = missing ratio). */
  public double[] modelVector() {
    return FeatureRules.modelVector(counts);
  }

  @Override
  public String toString() {
    return "FeaturedEvent{" + event + " counts=" + java.util.Arrays.toString(counts) + " late="
        + late + " label=" + label + '}';
  }
}
