package io.clickstream.propensity.events.serde;

import java.io.IOException;

/**
 * State written in a layout this build does not read: thrown instead of reading its bytes with
 * the wrong layout.
 */
public final class StateFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  public StateFormatException(String message) {
    super(message);
  }
}
