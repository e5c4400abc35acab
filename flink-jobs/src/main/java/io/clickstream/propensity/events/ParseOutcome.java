package io.clickstream.propensity.events;

/** Result of parsing one record: a valid event, or a rejection with its reason. Immutable. */
public final class ParseOutcome {
  private final ClickEvent event;
  private final String reason;
  private final String detail;

  private ParseOutcome(ClickEvent event, String reason, String detail) {
    this.event = event;
    this.reason = reason;
    this.detail = detail;
  }

  public static ParseOutcome valid(ClickEvent event) {
    return new ParseOutcome(event, null, null);
  }

  public static ParseOutcome rejected(String reason, String detail) {
    return new ParseOutcome(null, reason, detail);
  }

  public boolean isValid() {
    return event != null;
  }

  public ClickEvent event() {
    return event;
  }

  public String reason() {
    return reason;
  }

  public String detail() {
    return detail;
  }

  @Override
  public String toString() {
    return isValid() ? "valid " + event : "rejected " + reason + " (" + detail + ")";
  }
}
