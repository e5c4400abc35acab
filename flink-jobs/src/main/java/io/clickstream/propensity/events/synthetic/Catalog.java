package io.clickstream.propensity.events.synthetic;

import java.util.SplittableRandom;

/**
 * The synthetic product catalogue: every attribute of a product (id, category, brand, base price,
 * latent conversion) is a pure function of (seed, product rank), so a product always looks the same
 * wherever it appears. Rank 0 is the most popular product.
 */
final class Catalog {
  /** Electronics-store categories as in the public dataset, with a typical price in cents. */
  private static final String[] CATEGORY_CODES = {
    "electronics.smartphone", "computers.notebook", "electronics.video.tv",
    "electronics.audio.headphone", "computers.components.videocards", "computers.components.cpu",
    "computers.components.memory", "computers.components.hdd", "computers.peripherals.printer",
    "computers.peripherals.mouse", "computers.peripherals.keyboard",
    "computers.peripherals.monitor", "electronics.telephone", "electronics.camera.photo",
    "electronics.audio.acoustic", "electronics.tablet", "electronics.clocks",
    "computers.network.router", "computers.desktop", "stationery.cartrige",
    "appliances.kitchen.kettle", "appliances.environment.vacuum"
  };
  private static final long[] CATEGORY_PRICE_CENTS = {
    25_000, 60_000, 45_000, 4_000, 30_000, 20_000, 6_000, 7_000, 15_000, 1_500, 2_500, 18_000,
    3_000, 40_000, 8_000, 25_000, 12_000, 5_000, 70_000, 2_000, 3_500, 15_000
  };
  /** Lower-case brands; popular ones first (picked with a skew, like the real data). */
  private static final String[] BRANDS = {
    "samsung", "apple", "xiaomi", "huawei", "lenovo", "asus", "acer", "hp", "gigabyte", "msi",
    "palit", "kingston", "sandisk", "logitech", "canon", "epson", "sony", "lg", "philips", "jbl",
    "tp-link", "d-link", "intel", "amd", "seagate", "wd", "sven", "defender", "a4tech", "dell"
  };
  private static final long CATEGORY_ID_BASE = 2_144_415_921_000_000_000L;
  // Irrational strides: a low-discrepancy sequence over ranks keeps the empty-brand/category share
  // close to target in every popularity band, so the per-row share does not hinge on a few top
  // products drawing the wrong coin.
  private static final double PHI = 0.6180339887498949;
  private static final double SQRT2_FRAC = 0.4142135623730951;
  static final double EMPTY_CATEGORY_SHARE = 0.27;
  static final double EMPTY_BRAND_SHARE = 0.24;
  /** Zipf exponent of product popularity (below 1 so the top product is ~2% of picks, not ~9%). */
  private static final double PRODUCT_ZIPF = 0.8;

  final int size;
  final long[] productId;
  final String[] categoryId;
  final String[] categoryCode;
  final String[] brand;
  final long[] priceCents;
  final boolean[] discounted;
  /** Latent conversion (logit scale): learnable from the product's past purchases per view. */
  final double[] latent;
  private final long seed;

  Catalog(int size, long seed) {
    this.size = size;
    this.seed = seed;
    productId = new long[size];
    categoryId = new String[size];
    categoryCode = new String[size];
    brand = new String[size];
    priceCents = new long[size];
    discounted = new boolean[size];
    latent = new double[size];
    double codeOffset = new SplittableRandom(Hashing.mix(seed, 11)).nextDouble();
    double brandOffset = new SplittableRandom(Hashing.mix(seed, 12)).nextDouble();
    for (int r = 0; r < size; r++) {
      SplittableRandom h = new SplittableRandom(Hashing.mix(seed, 13, r));
      // rank*37 + jitter keeps ids unique while hiding the popularity order
      productId[r] = 1_000_000L + 37L * r + h.nextInt(37);
      int c = Math.min(CATEGORY_CODES.length - 1, (int) (CATEGORY_CODES.length
          * Math.pow(h.nextDouble(), 1.6)));
      categoryId[r] = Long.toString(CATEGORY_ID_BASE + 7_919L * c + 1_000_003L);
      boolean noCode = frac((r + 1) * PHI + codeOffset) < EMPTY_CATEGORY_SHARE;
      categoryCode[r] = noCode ? "" : CATEGORY_CODES[c];
      boolean noBrand = frac((r + 1) * SQRT2_FRAC + brandOffset) < EMPTY_BRAND_SHARE;
      brand[r] = noBrand ? "" : BRANDS[(int) (BRANDS.length * Math.pow(h.nextDouble(), 2.0))];
      double p = CATEGORY_PRICE_CENTS[c] * Math.exp(0.6 * h.nextGaussian());
      // the real data has a few products listed at 0.00
      priceCents[r] = h.nextDouble() < 0.002 ? 0 : Math.max(99, Math.round(p));
      discounted[r] = h.nextDouble() < 0.2;
      latent[r] = 0.9 * h.nextGaussian();
    }
  }

  /** A product rank drawn with Zipf-like popularity. */
  int sample(SplittableRandom rng) {
    return Hashing.zipf(rng, size, PRODUCT_ZIPF);
  }

  /** The price of a product in the week of {@code weekIndex}: some products go on sale weekly. */
  long priceCents(int r, long weekIndex) {
    if (!discounted[r]) {
      return priceCents[r];
    }
    long h = Hashing.mix(seed, 14 + weekIndex, r);
    int off = (int) Math.floorMod(h, 100);
    return off < 30 ? priceCents[r] * (95 - off % 11) / 100 : priceCents[r];
  }

  private static double frac(double x) {
    return x - Math.floor(x);
  }
}
