package io.clickstream.propensity.features;

import io.clickstream.propensity.events.EventIds;

/**
 * The event ids a cart has seen (streaming deduplication), as 128-bit values in an open-addressing
 * table of longs. A cart sees a few to a few hundred events; a map state of id strings cost an
 * entry, a string and a map node per event, in every young GC and every full heap snapshot. The
 * table is two longs per slot, at most half full; an empty slot is (0, 0), so the all-zero id is
 * kept in a flag of its own.
 */
public final class SeenIds {
  private static final int MIN_SLOTS = 8;

  /** Slot i holds (table[2i], table[2i+1]); power-of-two slot count. */
  long[] table = new long[2 * MIN_SLOTS];
  int size;
  boolean zero;

  /** Adds {@code eventId}; returns false when it was seen already. */
  public boolean add(String eventId) {
    return add(EventIds.high(eventId), EventIds.low(eventId));
  }

  boolean add(long hi, long lo) {
    if (hi == 0 && lo == 0) {
      boolean added = !zero;
      zero = true;
      return added;
    }
    if (2 * (size + 1) > table.length / 2) {
      grow();
    }
    if (!insert(table, hi, lo)) {
      return false;
    }
    size++;
    return true;
  }

  /** The number of distinct ids seen. */
  public int size() {
    return size + (zero ? 1 : 0);
  }

  /** Every id as (high, low) pairs, in table order. */
  public long[] pairs() {
    long[] out = new long[2 * size()];
    int n = 0;
    for (int i = 0; i < table.length; i += 2) {
      if (table[i] != 0 || table[i + 1] != 0) {
        out[n++] = table[i];
        out[n++] = table[i + 1];
      }
    }
    if (zero) {
      n += 2; // (0, 0) is already there
    }
    return out;
  }

  /** A set of the given (high, low) pairs. */
  public static SeenIds of(long[] pairs) {
    SeenIds s = new SeenIds();
    for (int i = 0; i < pairs.length; i += 2) {
      s.add(pairs[i], pairs[i + 1]);
    }
    return s;
  }

  public SeenIds copy() {
    SeenIds s = new SeenIds();
    s.table = table.clone();
    s.size = size;
    s.zero = zero;
    return s;
  }

  private void grow() {
    long[] bigger = new long[table.length * 2];
    for (int i = 0; i < table.length; i += 2) {
      if (table[i] != 0 || table[i + 1] != 0) {
        insert(bigger, table[i], table[i + 1]);
      }
    }
    table = bigger;
  }

  private boolean contains(long hi, long lo) {
    if (hi == 0 && lo == 0) {
      return zero;
    }
    int mask = table.length / 2 - 1;
    for (int slot = (int) (lo ^ hi) & mask; ; slot = (slot + 1) & mask) {
      int i = 2 * slot;
      if (table[i] == hi && table[i + 1] == lo) {
        return true;
      }
      if (table[i] == 0 && table[i + 1] == 0) {
        return false;
      }
    }
  }

  /** Linear probing from the low bits of the (already uniform) id; false if present. */
  private static boolean insert(long[] t, long hi, long lo) {
    int mask = t.length / 2 - 1;
    int slot = (int) (lo ^ hi) & mask;
    while (true) {
      int i = 2 * slot;
      if (t[i] == 0 && t[i + 1] == 0) {
        t[i] = hi;
        t[i + 1] = lo;
        return true;
      }
      if (t[i] == hi && t[i + 1] == lo) {
        return false;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Same ids, whatever the order they were added in. */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SeenIds) || ((SeenIds) o).size() != size()) {
      return false;
    }
    SeenIds other = (SeenIds) o;
    long[] pairs = pairs();
    for (int i = 0; i < pairs.length; i += 2) {
      if (!other.contains(pairs[i], pairs[i + 1])) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    long h = 0;
    long[] pairs = pairs();
    for (int i = 0; i < pairs.length; i += 2) {
      h += pairs[i] * 31 + pairs[i + 1]; // a sum: independent of the table order
    }
    return Long.hashCode(h);
  }
}
