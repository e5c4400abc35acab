package io.clickstream.propensity.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventIds;
import io.clickstream.propensity.events.EventType;
import io.clickstream.propensity.events.IngestedRecord;
import io.clickstream.propensity.features.ExecutionMode;
import io.clickstream.propensity.features.FeatureRules;
import io.clickstream.propensity.features.FeaturedEvent;
import io.clickstream.propensity.features.SessionPolicy;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The whole BATCH pipeline against a deliberately naive, independent reading of docs/features.md (Metric sets, Training rows and labels):
 * for every event, loop over all events. Only the final vector layout (set order x feature order)
 * is shared with the main code, and it is checked against the names.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TrainingFeaturesOracleTest {
  static final long DAY = 86_400L;
  static final long HOUR = 3_600L;
  static final long D0 = Instant.parse("2020-10-05T00:00:00Z").getEpochSecond();
  static final String[] SETS = {"cart", "cart_product", "user", "product", "user_product"};

  static List<IngestedRecord> input;
  /** Expected per canonical position "order:offset": the 50 features and the label. */
  static Map<String, double[]> expectedVector;
  static Map<String, Integer> expectedLabel;
  static int expectedDuplicates;

  // ------------------------------------------------------------------ input

  static final class Gen {
    final Random rnd = new Random(20201005L);
    final List<IngestedRecord> records = new ArrayList<>();
    final long[] nextLine = {100, 100}; // lines 10.. of file 0 are left for early duplicates

    ClickEvent add(long time, EventType type, long user, String session, long product, String price) {
      int file = rnd.nextInt(2);
      return addAt(time, type, user, session, product, price, file, nextLine[file]++);
    }

    ClickEvent addAt(long time, EventType type, long user, String session, long product,
        String price, int file, long line) {
      ClickEvent e = new ClickEvent();
      e.eventTime = time;
      e.eventType = type;
      e.userId = user;
      e.userSession = session;
      e.productId = product;
      e.categoryId = product % 3 == 0 ? null : 2_000_000_000_000_000_000L + product;
      e.categoryCode = product % 2 == 0 ? null : "electronics.p" + product;
      e.brand = product % 4 == 0 ? null : "brand" + product;
      e.price = new BigDecimal(price);
      e.sourceOrder = file;
      e.sourceOffset = line;
      e.ingestedAt = 1L;
      e.eventId = EventIds.of(e);
      IngestedRecord r = new IngestedRecord();
      r.source = "file-" + file;
      r.sourceOrder = file;
      r.sourceOffset = line;
      r.raw = "raw " + file + ":" + line;
      r.ingestedAt = 1L;
      r.event = e;
      records.add(r);
      return e;
    }

    void rejected(String reason) {
      int file = rnd.nextInt(2);
      IngestedRecord r = new IngestedRecord();
      r.source = "file-" + file;
      r.sourceOrder = file;
      r.sourceOffset = nextLine[file]++;
      r.raw = "garbage";
      r.reason = reason;
      r.detail = "test";
      records.add(r);
    }

    EventType type() {
      int x = rnd.nextInt(100);
      return x < 55 ? EventType.VIEW : x < 72 ? EventType.CART : x < 82 ? EventType.REMOVE_FROM_CART
          : EventType.PURCHASE;
    }
  }

  static List<IngestedRecord> generate() {
    Gen g = new Gen();
    String[] sessions = {"A", "B", "shared"};
    long[] secondsOfDay = {0, 1, 1, 59, 3600, 43_200, 86_398, 86_399, 86_399};
    for (int i = 0; i < 320; i++) {
      long user = 1 + g.rnd.nextInt(6);
      String session = sessions[g.rnd.nextInt(sessions.length)];
      long time = D0 + g.rnd.nextInt(8) * DAY
          + (g.rnd.nextInt(3) == 0 ? g.rnd.nextInt((int) DAY) : secondsOfDay[g.rnd.nextInt(secondsOfDay.length)]);
      g.add(time, g.type(), user, session, 1 + g.rnd.nextInt(7), g.rnd.nextBoolean() ? "10.50" : "3");
    }
    // a session with a > 30-day gap (restart), and one with exactly 30 days (no restart)
    g.add(D0 - 40 * DAY, EventType.VIEW, 7, "long", 1, "1");
    g.add(D0 - 40 * DAY + 5, EventType.CART, 7, "long", 1, "1");
    g.add(D0 - 10 * DAY + 6, EventType.VIEW, 7, "long", 1, "1"); // 30 days + 1 s later
    g.add(D0 + 20 * DAY + 6, EventType.VIEW, 7, "long", 2, "1"); // exactly 30 days later
    g.add(D0 + 20 * DAY + 7, EventType.PURCHASE, 7, "long", 1, "1");
    // a purchase session with a > 1-day gap, then exactly 1 day after the next purchase
    g.add(D0 + 2 * HOUR, EventType.VIEW, 8, "paid", 3, "5");
    g.add(D0 + 3 * HOUR, EventType.PURCHASE, 8, "paid", 3, "5");
    g.add(D0 + 3 * HOUR + DAY + 1, EventType.VIEW, 8, "paid", 3, "5"); // restart
    g.add(D0 + 3 * HOUR + DAY + 2, EventType.PURCHASE, 8, "paid", 4, "5");
    g.add(D0 + 3 * HOUR + 2 * DAY + 2, EventType.CART, 8, "paid", 3, "5"); // exactly 1 day
    g.add(D0 + 3 * HOUR + 2 * DAY + 3, EventType.PURCHASE, 8, "paid", 3, "5");
    // ties at one second across both files, with a purchase in the middle of the canonical order
    long tie = D0 + 4 * DAY + 100;
    g.addAt(tie, EventType.PURCHASE, 9, "tie", 5, "2", 1, 1_000);
    g.addAt(tie, EventType.VIEW, 9, "tie", 5, "2", 0, 1_001);
    g.addAt(tie, EventType.CART, 9, "tie", 5, "2", 1, 999);
    g.addAt(tie, EventType.VIEW, 9, "tie", 5, "3", 1, 1_001);
    g.addAt(tie, EventType.CART, 9, "tie", 5, "2.5", 0, 1_002);
    // exact duplicates of random events at other positions, some earlier than the first copy
    List<IngestedRecord> originals = new ArrayList<>(g.records.subList(0, 320));
    for (int i = 0; i < 15; i++) {
      ClickEvent o = originals.get(g.rnd.nextInt(originals.size())).event;
      boolean earlier = i % 3 == 0;
      g.addAt(o.eventTime, o.eventType, o.userId, o.userSession, o.productId,
          o.price.toPlainString(), earlier ? 0 : 1, earlier ? 10 + i : 5_000 + i);
    }
    // a near duplicate (price differs): a distinct event
    ClickEvent o = originals.get(7).event;
    g.add(o.eventTime, o.eventType, o.userId, o.userSession, o.productId, "999.99");
    g.rejected("malformed_csv");
    g.rejected("bad_timestamp");
    return g.records;
  }

  // ------------------------------------------------------------------ the naive oracle

  /** The nine fields, for exact-duplicate detection without the code's event_id. */
  static String nineFields(ClickEvent e) {
    return e.eventTime + "|" + e.eventType + "|" + e.productId + "|" + e.categoryId + "|"
        + e.categoryCode + "|" + e.brand + "|" + e.price.stripTrailingZeros().toPlainString() + "|"
        + e.userId + "|" + e.userSession;
  }

  static final Comparator<ClickEvent> CANONICAL = Comparator.<ClickEvent>comparingLong(e -> e.eventTime)
      .thenComparingInt(e -> e.sourceOrder).thenComparingLong(e -> e.sourceOffset);

  static String pos(ClickEvent e) {
    return e.sourceOrder + ":" + e.sourceOffset;
  }

  static double ratio(int n, int d) {
    return d == 0 ? Double.NaN : (double) n / d;
  }

  static double[] tenFeatures(int events, int views, int carts, int purchases) {
    return new double[] {events, views, carts, purchases,
        ratio(views, events), ratio(carts, events), ratio(purchases, events),
        ratio(carts, views), ratio(purchases, views), ratio(purchases, carts)};
  }

  static double[] features(List<ClickEvent> counted) {
    int v = 0;
    int c = 0;
    int p = 0;
    for (ClickEvent x : counted) {
      v += x.eventType == EventType.VIEW ? 1 : 0;
      c += x.eventType == EventType.CART ? 1 : 0;
      p += x.eventType == EventType.PURCHASE ? 1 : 0;
    }
    return tenFeatures(counted.size(), v, c, p);
  }

  /** Session value: walk the key's events in canonical order, restarting after the TTL. */
  static double[] sessionValue(List<ClickEvent> all, ClickEvent e, Function<ClickEvent, String> key) {
    List<ClickEvent> mine = all.stream().filter(x -> key.apply(x).equals(key.apply(e)))
        .sorted(CANONICAL).collect(Collectors.toList());
    List<ClickEvent> counted = new ArrayList<>();
    ClickEvent previous = null;
    for (ClickEvent x : mine) {
      if (previous != null) {
        boolean purchased = counted.stream().anyMatch(c -> c.eventType == EventType.PURCHASE);
        long ttl = purchased ? DAY : 30 * DAY;
        if (x.eventTime - previous.eventTime > ttl) {
          counted.clear();
        }
      }
      counted.add(x);
      previous = x;
      if (x == e) {
        return features(counted);
      }
    }
    throw new AssertionError("event not found in its own key");
  }

  /** Daily value: the key's events before the start of e's UTC day. */
  static double[] dailyValue(List<ClickEvent> all, ClickEvent e, Function<ClickEvent, String> key) {
    long dayStart = Math.floorDiv(e.eventTime, DAY) * DAY;
    return features(all.stream()
        .filter(x -> key.apply(x).equals(key.apply(e)) && x.eventTime < dayStart)
        .collect(Collectors.toList()));
  }

  @BeforeAll
  static void computeExpectations() {
    input = generate();
    // silver: valid records, one per distinct nine fields, at the first position
    Map<String, ClickEvent> first = new LinkedHashMap<>();
    int valid = 0;
    for (IngestedRecord r : input) {
      if (r.event == null) {
        continue;
      }
      valid++;
      first.merge(nineFields(r.event), r.event, (a, b) -> CANONICAL.compare(a, b) <= 0 ? a : b);
    }
    List<ClickEvent> silver = new ArrayList<>(first.values());
    expectedDuplicates = valid - silver.size();
    assertThat(expectedDuplicates).as("the input has duplicates").isGreaterThanOrEqualTo(10);

    Function<ClickEvent, String> cart = x -> x.userId + "/" + x.userSession;
    Function<ClickEvent, String> cartProduct = x -> x.userId + "/" + x.userSession + "/" + x.productId;
    Function<ClickEvent, String> user = x -> Long.toString(x.userId);
    Function<ClickEvent, String> product = x -> Long.toString(x.productId);
    Function<ClickEvent, String> userProduct = x -> x.userId + "/" + x.productId;

    expectedVector = new HashMap<>();
    expectedLabel = new HashMap<>();
    for (ClickEvent e : silver) {
      double[] v = new double[50];
      System.arraycopy(sessionValue(silver, e, cart), 0, v, 0, 10);
      System.arraycopy(sessionValue(silver, e, cartProduct), 0, v, 10, 10);
      System.arraycopy(dailyValue(silver, e, user), 0, v, 20, 10);
      System.arraycopy(dailyValue(silver, e, product), 0, v, 30, 10);
      System.arraycopy(dailyValue(silver, e, userProduct), 0, v, 40, 10);
      expectedVector.put(pos(e), v);
      boolean purchaseLater = silver.stream().anyMatch(x -> x.eventType == EventType.PURCHASE
          && cartProduct.apply(x).equals(cartProduct.apply(e)) && CANONICAL.compare(x, e) > 0);
      expectedLabel.put(pos(e), purchaseLater ? 1 : 0);
    }
  }

  // ------------------------------------------------------------------ running the pipeline

  static final class Result {
    final List<FeaturedEvent> featured = new ArrayList<>();
    final List<ClickEvent> duplicates = new ArrayList<>();
    final List<IngestedRecord> rejected = new ArrayList<>();
  }

  static Result runPipeline(List<IngestedRecord> records) throws Exception {
    Configuration conf = new Configuration();
    conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
    conf.set(PipelineOptions.GENERIC_TYPES, false);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2, conf);
    env.setRuntimeMode(RuntimeExecutionMode.BATCH);
    FeaturePipeline.Outputs out = FeaturePipeline.build(
        env.fromData(records, Types.POJO(IngestedRecord.class)), SessionPolicy.DEFAULT, ExecutionMode.BATCH);
    Result result = new Result();
    try (CloseableIterator<FeaturedEvent> featured = out.featured.collectAsync();
        CloseableIterator<ClickEvent> duplicates = out.duplicates.collectAsync();
        CloseableIterator<IngestedRecord> rejected = out.rejected.collectAsync()) {
      env.execute("oracle");
      featured.forEachRemaining(result.featured::add);
      duplicates.forEachRemaining(result.duplicates::add);
      rejected.forEachRemaining(result.rejected::add);
    }
    return result;
  }

  static String describe(double[] v) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < v.length; i++) {
      sb.append(FeatureRules.MODEL_FEATURES.get(i)).append('=').append(v[i]).append(i % 10 == 9 ? "\n" : " ");
    }
    return sb.toString();
  }

  static void assertMatchesOracle(Result r) {
    assertThat(r.rejected).extracting(x -> x.reason).containsExactlyInAnyOrder("malformed_csv", "bad_timestamp");
    assertThat(r.duplicates).hasSize(expectedDuplicates);
    assertThat(r.featured).hasSize(expectedVector.size());
    Map<String, FeaturedEvent> byPos = new HashMap<>();
    for (FeaturedEvent f : r.featured) {
      assertThat(byPos.put(pos(f.event), f)).as("one row per silver event").isNull();
    }
    assertThat(byPos.keySet()).isEqualTo(expectedVector.keySet());
    int mismatches = 0;
    StringBuilder report = new StringBuilder();
    for (Map.Entry<String, double[]> x : expectedVector.entrySet()) {
      FeaturedEvent f = byPos.get(x.getKey());
      double[] actual = FeatureRules.modelVector(f.counts);
      // Arrays.equals on double[] compares bit patterns: NaN equals NaN, as the model input must
      boolean same = Arrays.equals(actual, x.getValue());
      boolean labelOk = f.event.eventType == EventType.PURCHASE
          || f.label == expectedLabel.get(x.getKey());
      if ((!same || !labelOk || f.late) && mismatches++ < 3) {
        report.append(f.event).append(" label=").append(f.label).append(" expected ")
            .append(expectedLabel.get(x.getKey())).append(" late=").append(f.late)
            .append("\nactual:\n").append(describe(actual)).append("expected:\n")
            .append(describe(x.getValue())).append('\n');
      }
    }
    assertThat(mismatches).as(report.toString()).isZero();
  }

  @Test
  void vectorLayoutSharedWithTheOracleIsSetThenFeature() {
    List<String> names = new ArrayList<>();
    for (String s : SETS) {
      for (String f : new String[] {"events", "views", "carts", "purchases", "views_to_events",
          "carts_to_events", "purchases_to_events", "carts_to_views", "purchases_to_views",
          "purchases_to_carts"}) {
        names.add(s + "__" + f);
      }
    }
    assertThat(FeatureRules.MODEL_FEATURES).containsExactlyElementsOf(names);
  }

  @Test
  void batchPipelineMatchesTheNaiveOracleInGivenAndShuffledOrder() throws Exception {
    // the scenario really exercises what it should
    assertThat(expectedLabel.values()).contains(0, 1);
    assertThat(expectedVector.get("1:1000")[10]).as("tie: the purchase is 4th of its cart-product").isEqualTo(4);
    assertThat(expectedLabel.get("0:1001")).isOne(); // same second, earlier file
    assertThat(expectedLabel.get("1:999")).isOne(); // same second and file, earlier line
    assertThat(expectedLabel.get("1:1001")).isZero(); // same second, after the purchase
    assertThat(expectedVector.keySet()).as("an earlier copy of a duplicate is the one kept")
        .anyMatch(p -> p.startsWith("0:") && Long.parseLong(p.substring(2)) < 100);

    assertMatchesOracle(runPipeline(input));

    List<IngestedRecord> shuffled = new ArrayList<>(input);
    Collections.shuffle(shuffled, new Random(99));
    assertMatchesOracle(runPipeline(shuffled));
  }
}
