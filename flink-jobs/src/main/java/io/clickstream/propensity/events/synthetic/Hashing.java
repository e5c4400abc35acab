package io.clickstream.propensity.events.synthetic;

import java.util.SplittableRandom;

/** Seed mixing and skewed sampling shared by the generator's parts. */
final class Hashing {
  private Hashing() {}

  /** SplitMix64 finaliser: a well-spread long from a few longs (order matters). */
  static long mix(long... parts) {
    long h = 0x9E3779B97F4A7C15L;
    for (long p : parts) {
      h ^= p;
      h *= 0xBF58476D1CE4E5B9L;
      h ^= h >>> 31;
      h *= 0x94D049BB133111EBL;
      h ^= h >>> 29;
    }
    return h;
  }

  /**
   * A rank in [0, n) with probability roughly proportional to (rank+1)^-s, 0 &lt; s &lt; 1, by
   * inverting the continuous power-law CDF (one pow per draw, no tables).
   */
  static int zipf(SplittableRandom rng, int n, double s) {
    double a = 1.0 - s;
    double x = Math.pow(1.0 + rng.nextDouble() * (Math.pow(n + 1.0, a) - 1.0), 1.0 / a);
    return Math.min(n - 1, Math.max(0, (int) x - 1));
  }

  static double sigmoid(double x) {
    return 1.0 / (1.0 + Math.exp(-x));
  }
}
