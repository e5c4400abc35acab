package io.clickstream.propensity.events.synthetic;

import io.clickstream.propensity.events.EventFields;
import io.clickstream.propensity.events.EventType;
import java.io.BufferedOutputStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;

/**
 * Deterministic synthetic clickstream in the public REES46 / Open CDP CSV format (docs/features.md, Input events),
 * shaped after the electronics dataset: about five months of Zipf-like user and product activity,
 * a view, cart, purchase funnel, and the dirt real files carry (exact duplicates, malformed rows,
 * shared session ids, empty brands and categories).
 *
 * <p>The purchase signal is learnable from the features (docs/features.md): a purchase of a cart-product
 * depends on latent user and product propensities (visible through the user's and the product's
 * past purchase rates), a non-monotone effect of the number of views of the product in the session,
 * repeated carts, removals, a session intent (visible through the cart set) and whether the user
 * looked at the product on earlier days (the user_product set).
 *
 * <p>Output is a pure function of the options: one seeded {@link SplittableRandom} drives the
 * sessions, a second one the dirt, and per-entity attributes are hashes of (seed, entity); no wall
 * clock, no hash-order iteration. Rows stream out in event-time order through a priority queue
 * that only holds the events of sessions still under way.
 */
public final class ClickstreamGenerator {
  /** The public dataset's header, in its column order. */
  public static final String HEADER = String.join(",", EventFields.NAMES);

  public static final Instant DEFAULT_START = Instant.parse("2020-09-24T00:00:00Z");
  public static final int DEFAULT_DAYS = 157;
  public static final double DEFAULT_MALFORMED_SHARE = 0.005;
  public static final double DEFAULT_DUPLICATE_SHARE = 0.001;

  private static final long DAY = 86_400L;
  private static final long USER_ID_BASE = 1_515_915_625_000_000_000L;
  /** Half of the sessions come from one-time visitors, the rest from a returning population. */
  private static final double ONE_TIMER_SHARE = 0.5;
  private static final double USER_ZIPF = 0.6;
  private static final double SHARED_SESSION_SHARE = 0.001;
  private static final double UUID_SESSION_SHARE = 0.7;
  private static final int FAVORITES = 3;
  private static final char[] TOKEN_CHARS =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final Comparator<Pending> BY_TIME =
      Comparator.<Pending>comparingLong(p -> p.time).thenComparingLong(p -> p.seq);
  /** Cumulative traffic by minute of day: busy afternoons, quiet nights. */
  private static final double[] DIURNAL_CDF = diurnalCdf();

  private final long events;
  private final long seed;
  private final long start;
  private final int days;
  private final double malformedShare;
  private final double duplicateShare;

  private ClickstreamGenerator(Builder b) {
    this.events = b.events;
    this.seed = b.seed;
    this.start = b.start.getEpochSecond();
    this.days = b.days;
    this.malformedShare = b.malformedShare;
    this.duplicateShare = b.duplicateShare;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Writes the CSV to a file, gzip-compressed when its name ends with {@code .gz}. */
  public GenerationSummary writeTo(Path file) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    boolean gzip = file.getFileName().toString().endsWith(".gz");
    try (OutputStream raw = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
        OutputStream out = gzip ? new GZIPOutputStream(raw, 1 << 16) : raw) {
      return writeTo(out);
    }
  }

  /** Writes the CSV as UTF-8 to a stream (flushed, not closed). */
  public GenerationSummary writeTo(OutputStream out) throws IOException {
    Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
    GenerationSummary summary = writeTo(w);
    w.flush();
    return summary;
  }

  /** Writes the header and exactly {@code events} data rows, LF-terminated (not closed). */
  public GenerationSummary writeTo(Writer out) throws IOException {
    return new Run(out).run();
  }

  private static double[] diurnalCdf() {
    double[] cdf = new double[1441];
    for (int m = 0; m < 1440; m++) {
      // peak around 14:30 UTC, trough around 02:30 UTC
      cdf[m + 1] = cdf[m] + 1.0 + 0.6 * Math.cos(2 * Math.PI * (m / 1440.0 - 0.6));
    }
    return cdf;
  }

  /** Seconds into the day at which a fraction {@code f} of the day's traffic has passed. */
  private static long diurnal(double f) {
    double target = f * DIURNAL_CDF[1440];
    int idx = Arrays.binarySearch(DIURNAL_CDF, target);
    int m = idx >= 0 ? Math.min(idx, 1439) : Math.min(-idx - 2, 1439);
    double within = (target - DIURNAL_CDF[m]) / (DIURNAL_CDF[m + 1] - DIURNAL_CDF[m]);
    return Math.min(DAY - 1, m * 60L + (long) (within * 60));
  }

  /** One shopping session (cart): a user and a session id, possibly shared with another user. */
  private static final class Session {
    final int user;
    final String id;
    boolean written;
    int[] carted = new int[2];
    int cartedCount;

    Session(int user, String id) {
      this.user = user;
      this.id = id;
    }

    void carted(int product) {
      if (cartedCount == carted.length) {
        carted = Arrays.copyOf(carted, cartedCount * 2);
      }
      carted[cartedCount++] = product;
    }

    boolean hasCarted(int product) {
      for (int i = 0; i < cartedCount; i++) {
        if (carted[i] == product) {
          return true;
        }
      }
      return false;
    }
  }

  /** An event scheduled but not yet written. */
  private static final class Pending {
    final long time;
    final long seq;
    final EventType type;
    final int product;
    final Session session;

    Pending(long time, long seq, EventType type, int product, Session session) {
      this.time = time;
      this.seq = seq;
      this.type = type;
      this.product = product;
      this.session = session;
    }
  }

  /** The mutable state of one run, so the generator itself stays immutable and reusable. */
  private final class Run {
    private final Writer out;
    private final SplittableRandom rng = new SplittableRandom(seed);
    private final SplittableRandom dirt = new SplittableRandom(Hashing.mix(seed, 2));
    private final PriorityQueue<Pending> queue = new PriorityQueue<>(1024, BY_TIME);
    private final Catalog catalog;
    private final int regularUsers;
    private final long end = start + days * DAY;
    private final Session[] recent = new Session[64];
    private final StringBuilder line = new StringBuilder(192);
    private final BitSet usersSeen = new BitSet();
    private final BitSet productsSeen = new BitSet();
    private int oneTimeUsers;
    private long sessionsStarted;
    private long seq;
    private long written;
    private long lastSessionStart = Long.MIN_VALUE;
    // a duplicate waiting to be written a few rows after its original
    private String heldLine;
    private long heldTime;
    private int heldCountdown;
    // stats
    private long sessions;
    private long carts;
    private long purchases;
    private long purchasesWithoutCart;
    private long malformed;
    private long duplicates;
    private long firstTime = Long.MAX_VALUE;
    private long lastTime = Long.MIN_VALUE;
    private long cachedDay = Long.MIN_VALUE;
    private String cachedDayText;

    Run(Writer out) {
      this.out = out;
      // scale with N like the electronics set (885k rows, 53k products, 407k users)
      this.catalog = new Catalog((int) Math.max(50, Math.min(5_000_000, events / 16)), seed);
      this.regularUsers = (int) Math.max(20, Math.min(20_000_000, events / 20));
    }

    GenerationSummary run() throws IOException {
      out.write(HEADER);
      out.write('\n');
      while (written < events) {
        long clock = clock();
        Pending head = queue.peek();
        if (head != null && head.time <= clock) {
          emit(queue.poll());
        } else {
          // nothing is due: a new session starts now, so the output rate follows the clock
          generateSession(Math.max(clock, lastSessionStart));
        }
      }
      return new GenerationSummary(written, usersSeen.cardinality(), productsSeen.cardinality(),
          sessions, carts, purchases, purchasesWithoutCart, malformed, duplicates,
          firstTime == Long.MAX_VALUE ? null : Instant.ofEpochSecond(firstTime),
          lastTime == Long.MIN_VALUE ? null : Instant.ofEpochSecond(lastTime));
    }

    /**
     * Event time reached after {@code written} rows: rows are spread evenly over the days (with a
     * daily cycle), so N rows always cover the whole span whatever N is.
     */
    private long clock() {
      double x = (double) written / (double) events * days;
      long day = (long) x;
      return start + day * DAY + diurnal(x - day);
    }

    // ---------------------------------------------------------------- session model

    private void generateSession(long t0) {
      lastSessionStart = t0;
      boolean regular = rng.nextDouble() >= ONE_TIMER_SHARE;
      int user = regular
          ? Hashing.zipf(rng, regularUsers, USER_ZIPF)
          : regularUsers + oneTimeUsers++;
      double userLatent = userLatent(user, regular);
      // session-level intent: more products, more carts; visible through the cart set
      double intent = 0.8 * rng.nextGaussian();
      Session s = new Session(user, sessionId(user));
      recent[(int) (sessionsStarted++ % recent.length)] = s;

      long t = t0;
      int nProducts = 1 + geometric(0.6 + 0.4 * Math.max(0, intent), 12);
      int[] bought = new int[nProducts];
      int nBought = 0;
      for (int k = 0; k < nProducts; k++) {
        if (k > 0) {
          // at least a second: the same product twice in one second would be an accidental
          // exact duplicate, and duplicates are only made on purpose (and counted)
          t += Math.max(1, longGapOr(gap(60)));
        }
        boolean favorite = regular && rng.nextDouble() < 0.25;
        int p = favorite ? favorite(user, rng.nextInt(FAVORITES)) : catalog.sample(rng);
        double q = catalog.latent[p];
        int views = 1 + geometric(0.8, 20);
        for (int v = 0; v < views; v++) {
          if (v > 0) {
            t += Math.max(1, gap(25));
          }
          push(t, EventType.VIEW, p, s);
        }
        double cartLogit = -3.3 + 0.7 * userLatent + 0.5 * q + 0.6 * intent
            + cartViewEffect(views) + (favorite ? 0.7 : 0);
        if (rng.nextDouble() < Hashing.sigmoid(cartLogit)) {
          // carts are often logged in the same second as the view before them
          t += rng.nextDouble() < 0.35 ? 0 : Math.max(1, gap(15));
          push(t, EventType.CART, p, s);
          int cartCount = 1;
          if (rng.nextDouble() < 0.15) {
            t += Math.max(1, gap(20));
            push(t, EventType.CART, p, s);
            cartCount++;
          }
          double buyLogit = -1.2 + 1.3 * userLatent + 1.1 * q + 0.5 * intent
              + buyViewEffect(views) + (favorite ? 0.8 : 0) + (cartCount > 1 ? 0.8 : 0);
          boolean buy = rng.nextDouble() < Hashing.sigmoid(buyLogit);
          if (buy && rng.nextDouble() < 0.05) {
            // changed their mind twice: removed, then added back
            t += Math.max(1, gap(30));
            push(t, EventType.REMOVE_FROM_CART, p, s);
            t += Math.max(1, gap(30));
            push(t, EventType.CART, p, s);
          } else if (!buy && rng.nextDouble() < 0.3) {
            t += Math.max(1, gap(30));
            push(t, EventType.REMOVE_FROM_CART, p, s);
          }
          if (buy) {
            nBought = addOnce(bought, nBought, p);
          }
        } else {
          // "buy now" without a cart event, as in the real data
          double directLogit = -6.3 + 1.3 * userLatent + 1.1 * q + buyViewEffect(views)
              + (favorite ? 1.0 : 0);
          if (rng.nextDouble() < Hashing.sigmoid(directLogit)) {
            nBought = addOnce(bought, nBought, p);
          }
        }
      }
      if (nBought > 0) {
        // checkout, sometimes days later in the same session
        t += rng.nextDouble() < 0.03 ? DAY + rng.nextLong(2 * DAY) : Math.max(1, gap(90));
        for (int i = 0; i < nBought; i++) {
          if (i > 0 && rng.nextDouble() >= 0.5) {
            t += Math.max(1, gap(5));
          }
          push(t, EventType.PURCHASE, bought[i], s);
        }
        if (rng.nextDouble() < 0.05) {
          // back after more than a day: exercises the 1-day expiry of a session that bought
          t += DAY + 1 + rng.nextLong(2 * DAY);
          push(t, EventType.VIEW, rng.nextBoolean() ? bought[0] : catalog.sample(rng), s);
        }
      }
    }

    /** One purchase per product at checkout (two in the same second would be identical rows). */
    private int addOnce(int[] products, int n, int p) {
      for (int i = 0; i < n; i++) {
        if (products[i] == p) {
          return n;
        }
      }
      products[n] = p;
      return n + 1;
    }

    /** Cart propensity by views of the product so far: peaks at 3 views, browsing a lot is doubt. */
    private double cartViewEffect(int views) {
      switch (views) {
        case 1:
          return -0.4;
        case 2:
          return 0.3;
        case 3:
          return 0.6;
        case 4:
        case 5:
          return 0.3;
        default:
          return -0.5;
      }
    }

    /** Purchase propensity by views: non-monotone so that a linear model cannot fit it. */
    private double buyViewEffect(int views) {
      if (views == 1) {
        return 0.0;
      }
      return views <= 3 ? 0.6 : -0.7;
    }

    /** Gap before the next product: usually a minute, rarely days (sessions spanning days). */
    private long longGapOr(long gap) {
      double u = rng.nextDouble();
      if (u < 0.002) {
        // longer than the 30-day expiry of an open cart
        return 30 * DAY + 1 + rng.nextLong(15 * DAY);
      }
      if (u < 0.022) {
        return DAY + rng.nextLong(2 * DAY);
      }
      return gap;
    }

    /** Log-normal gap in seconds around a median, capped at 30 minutes. */
    private long gap(double median) {
      return Math.min(1800, Math.round(median * Math.exp(rng.nextGaussian())));
    }

    private int geometric(double mean, int cap) {
      double stop = 1.0 / (1.0 + mean);
      int n = 0;
      while (n < cap && rng.nextDouble() >= stop) {
        n++;
      }
      return n;
    }

    private double userLatent(int user, boolean regular) {
      double g = new SplittableRandom(Hashing.mix(seed, 3, user)).nextGaussian();
      return regular ? g : 0.7 * g - 0.3;
    }

    /** A regular user's k-th favourite product: the same few products across the user's days. */
    private int favorite(int user, int k) {
      return catalog.sample(new SplittableRandom(Hashing.mix(seed, 4, user, k)));
    }

    private String sessionId(int user) {
      if (rng.nextDouble() < SHARED_SESSION_SHARE) {
        // the real data has session ids shared by two users
        Session other = recent[rng.nextInt(recent.length)];
        if (other != null && other.user != user) {
          return other.id;
        }
      }
      if (rng.nextDouble() < UUID_SESSION_SHARE) {
        long hi = rng.nextLong();
        long lo = rng.nextLong();
        hi = (hi & ~0xF000L) | 0x4000L; // version 4
        lo = (lo & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L; // IETF variant
        char[] c = new char[36];
        int pos = 0;
        for (int i = 0; i < 32; i++) {
          if (i == 8 || i == 12 || i == 16 || i == 20) {
            c[pos++] = '-';
          }
          long word = i < 16 ? hi : lo;
          c[pos++] = HEX[(int) (word >>> (60 - 4 * (i % 16))) & 0xF];
        }
        return new String(c);
      }
      char[] c = new char[10];
      for (int i = 0; i < c.length; i++) {
        c[i] = TOKEN_CHARS[rng.nextInt(TOKEN_CHARS.length)];
      }
      return new String(c);
    }

    private void push(long time, EventType type, int product, Session s) {
      // a session that runs past the end is cut there, so the span is exactly the days asked
      if (time < end) {
        queue.add(new Pending(time, seq++, type, product, s));
      }
    }

    // ---------------------------------------------------------------- output

    private void emit(Pending e) throws IOException {
      String row = format(e);
      if (heldLine != null && e.time > heldTime) {
        writeHeld();
      }
      if (!put(row)) {
        return;
      }
      count(e);
      if (heldLine != null && --heldCountdown <= 0) {
        writeHeld();
      }
      if (heldLine == null && dirt.nextDouble() < duplicateShare) {
        Pending next = queue.peek();
        if (next != null && next.time == e.time && dirt.nextBoolean()) {
          // written again a few rows later; only possible among rows of the same second, as the
          // copy must not come after a row of a later second
          heldLine = row;
          heldTime = e.time;
          heldCountdown = 1 + dirt.nextInt(3);
        } else if (put(row)) {
          duplicates++;
        }
      }
      if (dirt.nextDouble() < malformedShare && put(Malformed.corrupt(row, dirt))) {
        malformed++;
      }
    }

    private void writeHeld() throws IOException {
      if (put(heldLine)) {
        duplicates++;
      }
      heldLine = null;
    }

    private boolean put(String row) throws IOException {
      if (written >= events) {
        return false;
      }
      out.write(row);
      out.write('\n');
      written++;
      return true;
    }

    private void count(Pending e) {
      Session s = e.session;
      if (!s.written) {
        s.written = true;
        sessions++;
      }
      usersSeen.set(s.user);
      productsSeen.set(e.product);
      if (e.type == EventType.CART) {
        carts++;
        s.carted(e.product);
      } else if (e.type == EventType.PURCHASE) {
        purchases++;
        if (!s.hasCarted(e.product)) {
          purchasesWithoutCart++;
        }
      }
      firstTime = Math.min(firstTime, e.time);
      lastTime = Math.max(lastTime, e.time);
    }

    private String format(Pending e) {
      StringBuilder b = line;
      b.setLength(0);
      appendTime(b, e.time);
      int p = e.product;
      b.append(',').append(e.type.wireName())
          .append(',').append(catalog.productId[p])
          .append(',').append(catalog.categoryId[p])
          .append(',').append(catalog.categoryCode[p])
          .append(',').append(catalog.brand[p])
          .append(',');
      long cents = catalog.priceCents(p, (e.time - start) / (7 * DAY));
      b.append(cents / 100).append('.');
      long c = cents % 100;
      if (c < 10) {
        b.append('0');
      }
      b.append(c);
      int u = e.session.user;
      // u*997 + jitter keeps ids unique and 19 digits like the electronics set
      long userId = USER_ID_BASE + 997L * u + Math.floorMod(Hashing.mix(seed, 5, u), 997L);
      b.append(',').append(userId).append(',').append(e.session.id);
      return b.toString();
    }

    private void appendTime(StringBuilder b, long epochSecond) {
      long day = Math.floorDiv(epochSecond, DAY);
      if (day != cachedDay) {
        cachedDay = day;
        cachedDayText = LocalDate.ofEpochDay(day).toString() + ' ';
      }
      int sec = (int) Math.floorMod(epochSecond, DAY);
      b.append(cachedDayText);
      two(b, sec / 3600).append(':');
      two(b, sec / 60 % 60).append(':');
      two(b, sec % 60).append(" UTC");
    }

    private StringBuilder two(StringBuilder b, int v) {
      if (v < 10) {
        b.append('0');
      }
      return b.append(v);
    }
  }

  /** Options of a generator; every one has the documented default except the event count. */
  public static final class Builder {
    private long events = -1;
    private long seed = 1;
    private Instant start = DEFAULT_START;
    private int days = DEFAULT_DAYS;
    private double malformedShare = DEFAULT_MALFORMED_SHARE;
    private double duplicateShare = DEFAULT_DUPLICATE_SHARE;

    private Builder() {}

    /** Exact number of data rows, duplicates and malformed rows included. */
    public Builder events(long events) {
      this.events = events;
      return this;
    }

    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** First instant of the span; truncated to the second. */
    public Builder start(Instant start) {
      this.start = start;
      return this;
    }

    public Builder days(int days) {
      this.days = days;
      return this;
    }

    /** Expected share of malformed rows among all rows. */
    public Builder malformedShare(double share) {
      this.malformedShare = share;
      return this;
    }

    /** Expected share of extra exact copies among all rows. */
    public Builder duplicateShare(double share) {
      this.duplicateShare = share;
      return this;
    }

    public ClickstreamGenerator build() {
      if (events < 0) {
        throw new IllegalArgumentException("the number of events must be given and >= 0");
      }
      if (days < 1) {
        throw new IllegalArgumentException("days must be >= 1, not " + days);
      }
      if (start == null) {
        throw new IllegalArgumentException("start must be given");
      }
      checkShare("malformed share", malformedShare);
      checkShare("duplicate share", duplicateShare);
      return new ClickstreamGenerator(this);
    }

    private static void checkShare(String what, double share) {
      if (!(share >= 0 && share <= 0.5)) {
        throw new IllegalArgumentException(what + " must be between 0 and 0.5, not " + share);
      }
    }
  }
}
