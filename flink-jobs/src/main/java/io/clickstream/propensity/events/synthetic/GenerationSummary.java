package io.clickstream.propensity.events.synthetic;

import java.time.Instant;

/**
 * What one {@link ClickstreamGenerator} run wrote.
 *
 * @param rows data rows written (header excluded), duplicates and malformed rows included
 * @param users distinct user ids among the valid rows
 * @param products distinct product ids among the valid rows
 * @param sessions distinct carts (user, session) among the valid rows
 * @param carts cart events written (duplicate copies excluded)
 * @param purchases purchase events written (duplicate copies excluded)
 * @param purchasesWithoutCart purchases with no earlier cart of that product in the session
 * @param malformed malformed rows written
 * @param duplicates extra exact copies written
 * @param firstEventTime earliest event time written, or null without rows
 * @param lastEventTime latest event time written, or null without rows
 */
public record GenerationSummary(
    long rows,
    long users,
    long products,
    long sessions,
    long carts,
    long purchases,
    long purchasesWithoutCart,
    long malformed,
    long duplicates,
    Instant firstEventTime,
    Instant lastEventTime) {

  /** One line for the operator's terminal. */
  public String oneLine() {
    return String.format(
        "generated %d rows: %d users, %d products, %d sessions, %d carts, %d purchases "
            + "(%d without cart), %d malformed, %d duplicates, %s .. %s",
        rows, users, products, sessions, carts, purchases, purchasesWithoutCart, malformed,
        duplicates, firstEventTime, lastEventTime);
  }
}
