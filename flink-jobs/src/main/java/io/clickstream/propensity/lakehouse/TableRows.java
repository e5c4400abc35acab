package io.clickstream.propensity.lakehouse;

import io.clickstream.propensity.events.ClickEvent;
import io.clickstream.propensity.events.EventFields;
import io.clickstream.propensity.events.IngestedRecord;
import io.clickstream.propensity.features.FeatureRules;
import io.clickstream.propensity.features.FeaturedEvent;
import io.clickstream.propensity.features.KeyMetrics;
import java.nio.charset.StandardCharsets;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.table.data.DecimalData;
import org.apache.flink.table.data.GenericRowData;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.data.StringData;
import org.apache.flink.table.data.TimestampData;

/**
 * Conversions of pipeline records to the Flink {@link RowData} of each table, field for field in
 * the order {@link LakehouseTable#schema()} declares (a test checks arity and types).
 */
public final class TableRows {
  private TableRows() {}

  /** A bronze row: the record as received. */
  public static final class Bronze implements MapFunction<IngestedRecord, RowData> {
    private static final long serialVersionUID = 1L;

    @Override
    public RowData map(IngestedRecord r) {
      return GenericRowData.of(
          str(r.source), r.sourceOrder, r.sourceOffset, str(r.raw), millis(r.ingestedAt));
    }
  }

  /** A rejected row: the record with its reason. */
  public static final class Rejected implements MapFunction<IngestedRecord, RowData> {
    private static final long serialVersionUID = 1L;

    @Override
    public RowData map(IngestedRecord r) {
      return GenericRowData.of(
          str(r.source), r.sourceOrder, r.sourceOffset, str(r.raw), str(r.reason), str(r.detail),
          millis(r.ingestedAt));
    }
  }

  /** A silver row: the typed, deduplicated event. */
  public static final class Silver implements MapFunction<FeaturedEvent, RowData> {
    private static final long serialVersionUID = 1L;

    @Override
    public RowData map(FeaturedEvent f) {
      ClickEvent e = f.event;
      return GenericRowData.of(
          str(e.eventId), seconds(e.eventTime), str(e.eventType.wireName()), e.productId,
          e.categoryId, str(e.categoryCode), str(e.brand),
          DecimalData.fromBigDecimal(e.price, EventFields.PRICE_PRECISION, EventFields.PRICE_SCALE),
          e.userId, str(e.userSession), e.sourceOrder, e.sourceOffset, millis(e.ingestedAt));
    }
  }

  /** A training row: keys, the 50 point-in-time features, label and split. */
  public static final class Training implements MapFunction<FeaturedEvent, RowData> {
    private static final long serialVersionUID = 1L;

    @Override
    public RowData map(FeaturedEvent f) {
      ClickEvent e = f.event;
      GenericRowData row = featureRow(e.eventId, e.userId, e.userSession, e.productId,
          e.eventTime, e.eventType.wireName(), f.modelVector(), 2);
      int i = FEATURE_ROW_HEAD + FeatureRules.MODEL_FEATURE_COUNT;
      row.setField(i++, f.label);
      row.setField(i, str(FeatureRules.split(e.userId, e.userSession)));
      return row;
    }
  }

  /** A score row: keys, the 50 scored features, late flag, propensity, action, model, times. */
  public static final class Scores implements MapFunction<io.clickstream.propensity.scoring.Score, RowData> {
    private static final long serialVersionUID = 1L;

    @Override
    public RowData map(io.clickstream.propensity.scoring.Score s) {
      GenericRowData row = featureRow(s.eventId, s.userId, s.userSession, s.productId,
          s.eventTime, s.eventType, s.features(), 7);
      int i = FEATURE_ROW_HEAD + FeatureRules.MODEL_FEATURE_COUNT;
      row.setField(i++, s.late);
      row.setField(i++, s.propensity);
      row.setField(i++, str(s.action));
      row.setField(i++, str(s.modelName));
      row.setField(i++, str(s.modelVersion));
      row.setField(i++, millis(s.ingestedAt));
      row.setField(i, millis(s.scoredAt));
      return row;
    }
  }

  /** A gold metric row: the key, its ten features after all events seen, last event time. */
  public static final class Metrics implements MapFunction<KeyMetrics, RowData> {
    private static final long serialVersionUID = 1L;

    @Override
    public RowData map(KeyMetrics m) {
      java.util.List<String> keys = LakehouseTable.keyColumns(m.set);
      GenericRowData row = new GenericRowData(keys.size() + FeatureRules.FEATURES_PER_SET + 1);
      int i = 0;
      for (String key : keys) {
        switch (key) {
          case EventFields.USER_ID:
            row.setField(i++, m.userId);
            break;
          case EventFields.USER_SESSION:
            row.setField(i++, str(m.userSession));
            break;
          default:
            row.setField(i++, m.productId);
        }
      }
      double[] v = m.features();
      for (int f = 0; f < v.length; f++) {
        row.setField(i++, feature(v[f], f));
      }
      row.setField(i, seconds(m.lastEventTime));
      return row;
    }
  }

  /** Keys, event time and type, then the 50 features: the shared head of training and score rows. */
  private static final int FEATURE_ROW_HEAD = 6;

  private static GenericRowData featureRow(String eventId, long userId, String userSession,
      long productId, long eventTime, String eventType, double[] features, int tailFields) {
    GenericRowData row = new GenericRowData(FEATURE_ROW_HEAD + features.length + tailFields);
    row.setField(0, str(eventId));
    row.setField(1, userId);
    row.setField(2, str(userSession));
    row.setField(3, productId);
    row.setField(4, seconds(eventTime));
    row.setField(5, str(eventType));
    for (int i = 0; i < features.length; i++) {
      row.setField(FEATURE_ROW_HEAD + i, feature(features[i], i));
    }
    return row;
  }

  /** A count as BIGINT, or a ratio as DOUBLE with NaN (missing) stored as null. */
  static Object feature(double value, int featureIndex) {
    if (FeatureRules.isCount(featureIndex)) {
      return (long) value;
    }
    return Double.isNaN(value) ? null : value;
  }

  /**
   * The string as UTF-8 bytes now, encoded by the JDK: Flink's own encoder (which fromString
   * leaves to the writer) goes char by char; the bytes are the same, unpaired surrogates as '?'.
   */
  static StringData str(String s) {
    return s == null ? null : StringData.fromBytes(s.getBytes(StandardCharsets.UTF_8));
  }

  static TimestampData seconds(long epochSecond) {
    return TimestampData.fromEpochMillis(epochSecond * 1000L);
  }

  static TimestampData millis(long epochMillis) {
    return TimestampData.fromEpochMillis(epochMillis);
  }
}
