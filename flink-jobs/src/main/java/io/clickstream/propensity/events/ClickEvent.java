package io.clickstream.propensity.events;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * One parsed, validated clickstream event (a silver row), plus its canonical source position.
 * Crosses shuffles and state with its hand-written serializer ({@code PipelineSerializers}).
 */
public class ClickEvent {
  /** Deterministic hash of the nine fields in canonical form: see {@link EventIds}. */
  public String eventId;
  /** Event time, UTC, whole seconds since the epoch. */
  public long eventTime;

  public EventType eventType;
  public long productId;
  public Long categoryId;
  public String categoryCode;
  public String brand;
  public BigDecimal price;
  public long userId;
  public String userSession;

  /**
   * Canonical position, first part: index of the input file in the order given (batch) or the Kafka
   * partition (streaming).
   */
  public int sourceOrder;
  /** Canonical position, second part: line number in the file (1 = header) or Kafka offset. */
  public long sourceOffset;
  /** When the record entered the pipeline, epoch milliseconds. */
  public long ingestedAt;

  public ClickEvent() {}

  /** Canonical order (docs/features.md, Canonical order): event time, then source position. */
  public static int compareCanonical(ClickEvent a, ClickEvent b) {
    int c = Long.compare(a.eventTime, b.eventTime);
    if (c != 0) {
      return c;
    }
    c = Integer.compare(a.sourceOrder, b.sourceOrder);
    return c != 0 ? c : Long.compare(a.sourceOffset, b.sourceOffset);
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ClickEvent)) {
      return false;
    }
    ClickEvent that = (ClickEvent) o;
    return eventTime == that.eventTime
        && productId == that.productId
        && userId == that.userId
        && sourceOrder == that.sourceOrder
        && sourceOffset == that.sourceOffset
        && ingestedAt == that.ingestedAt
        && Objects.equals(eventId, that.eventId)
        && eventType == that.eventType
        && Objects.equals(categoryId, that.categoryId)
        && Objects.equals(categoryCode, that.categoryCode)
        && Objects.equals(brand, that.brand)
        && Objects.equals(price, that.price)
        && Objects.equals(userSession, that.userSession);
  }

  @Override
  public int hashCode() {
    return Objects.hash(eventId, sourceOrder, sourceOffset);
  }

  @Override
  public String toString() {
    return "ClickEvent{" + eventId + ' ' + eventTime + ' ' + eventType + " p=" + productId + " u="
        + userId + " s=" + userSession + " @" + sourceOrder + ':' + sourceOffset + '}';
  }
}
