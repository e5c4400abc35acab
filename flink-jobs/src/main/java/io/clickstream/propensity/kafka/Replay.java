package io.clickstream.propensity.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import io.clickstream.propensity.events.CsvRecordParser;
import io.clickstream.propensity.events.EventFields;
import io.clickstream.propensity.events.ParseOutcome;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes a clickstream CSV file to Kafka as the streaming job expects it (docs/features.md, Input events): one
 * JSON object per event with the nine field names plus {@code ingest_ts} (epoch ms at send time),
 * key = user_id as a string, in canonical order (event time, ties in file order).
 *
 * <p>Invalid rows (those {@link CsvRecordParser} rejects) are not dropped: they are sent as their
 * raw CSV line, which the streaming job rejects as {@code malformed_json} into its rejected table,
 * so bronze = silver + rejected holds for a replay as for a backfill. Their key is their user_id
 * field when it reads as a positive number, else null. They take their place in the order by their
 * own event_time when it parses, else by the time of the record before them in the file.
 *
 * <p>The file is held in memory in compact form (all lines in large byte chunks plus three numbers
 * per record, about 20 bytes of overhead per record), which is fine for a few million rows.
 */
public final class Replay {
  /** The CSV form of event_time, also used for {@code --stamp-now}. */
  static final DateTimeFormatter CSV_TIME =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);
  private static final JsonFactory JSON = new JsonFactory();
  private static final long PROGRESS_EVERY_NANOS = 2_000_000_000L;

  /** What to replay and how; public fields, set what you need. */
  public static final class Options {
    public Path input;
    public String bootstrapServers;
    public String topic = KafkaNames.EVENTS_TOPIC;
    /** Time compression: event time t is sent at start + (t - t0) / speed. Null: no pacing. */
    public Double speed;
    /** At most this many records per second (evenly paced). Null: no limit. */
    public Double rate;
    /** Replace event_time by the send time (live-traffic benchmarks). */
    public boolean stampNow;
    /**
     * With {@link #stampNow}: keep a session's events distinct after stamping. Times have whole
     * seconds, so two events of a session that differ only in their time would become exact
     * duplicates (and be dropped as such) when sent within one second; such an event is stamped
     * one second after the session's previous one instead. Exact duplicates of the input stay
     * duplicates (they get their original's stamp).
     */
    public boolean distinctStamps;
    /** Send only the first N records in canonical order; negative: all. */
    public long limit = -1;
    /** Only records with event time in [from, until), epoch seconds; null: open. */
    public Long fromEpochSecond;
    public Long untilEpochSecond;
    /** Producer properties on top of (and overriding) the replay's defaults. */
    public Map<String, String> kafkaProperties = new LinkedHashMap<>();
  }

  /** What was sent. */
  public record Summary(long sent, long invalidSentRaw, long elapsedMillis) {
    public double eventsPerSecond() {
      return elapsedMillis <= 0 ? sent : sent * 1000.0 / elapsedMillis;
    }

    public void print(PrintStream out) {
      out.printf("Sent: %,d records (%,d events, %,d invalid sent raw)%n",
          sent, sent - invalidSentRaw, invalidSentRaw);
      out.printf("Elapsed: %.2f s, %,.0f events/s%n", elapsedMillis / 1000.0, eventsPerSecond());
    }
  }

  private final Options options;

  public Replay(Options options) {
    if (options.input == null) {
      throw new IllegalArgumentException("no input file given");
    }
    if (options.bootstrapServers == null || options.bootstrapServers.isBlank()) {
      throw new IllegalArgumentException("no Kafka bootstrap servers given");
    }
    if (options.speed != null && !(options.speed > 0)) {
      throw new IllegalArgumentException("replay speed must be > 0, got " + options.speed);
    }
    if (options.rate != null && !(options.rate > 0)) {
      throw new IllegalArgumentException("replay rate must be > 0 records per second, got " + options.rate);
    }
    this.options = options;
  }

  /** Loads, sorts and sends the file; progress lines go to {@code progress}. */
  public Summary run(PrintStream progress) throws IOException, InterruptedException {
    long t0 = System.nanoTime();
    Loaded file = load(options.input);
    int[] order = file.selection(options.fromEpochSecond, options.untilEpochSecond, options.limit);
    progress.printf("replay: %,d records in %s (%,d invalid), sending %,d in canonical order "
            + "(loaded in %.1f s)%n", file.size(), options.input, file.invalid.cardinality(),
        order.length, (System.nanoTime() - t0) / 1e9);
    return send(file, order, progress);
  }

  /** The producer settings: throughput defaults, then the user's properties. */
  Map<String, Object> producerConfig() {
    Map<String, Object> c = new HashMap<>();
    c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers);
    c.put(ProducerConfig.CLIENT_ID_CONFIG, "clickstream-replay");
    // Per-key order is the point of the topic: idempotence keeps it across retries.
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    boolean paced = options.speed != null || options.rate != null;
    // Paced runs measure latency from the record's Kafka timestamp: do not hold records back for
    // batching. Their batches then hold one record each, which compression cannot shrink, while
    // an lz4 batch allocates 64 KB of buffers each time (garbage for the job sharing the JVM).
    c.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, paced ? "none" : "lz4");
    c.put(ProducerConfig.LINGER_MS_CONFIG, paced ? 0 : 20);
    c.put(ProducerConfig.BATCH_SIZE_CONFIG, paced ? 16_384 : 256 * 1024);
    c.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 64L * 1024 * 1024);
    c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
    c.putAll(options.kafkaProperties);
    return c;
  }

  private Summary send(Loaded file, int[] order, PrintStream progress) throws InterruptedException {
    AtomicLong acked = new AtomicLong();
    AtomicLong ackedInvalid = new AtomicLong();
    AtomicReference<Exception> firstError = new AtomicReference<>();
    long firstTime = Long.MIN_VALUE;
    long start;
    for (int idx : order) {
      if (file.times[idx] != Long.MIN_VALUE) {
        firstTime = file.times[idx];
        break;
      }
    }
    StampClock clock = new StampClock();
    DistinctStamps distinct = options.stampNow && options.distinctStamps ? new DistinctStamps() : null;
    JsonWriter json = new JsonWriter();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(
        producerConfig(), new StringSerializer(), new ByteArraySerializer())) {
      // Metadata first (this may auto-create the topic): neither the pacing nor the measured rate
      // should include that wait.
      int partitions = producer.partitionsFor(options.topic).size();
      progress.printf("replay: topic %s has %d partition(s)%n", options.topic, partitions);
      start = System.nanoTime();
      long nextProgress = start + PROGRESS_EVERY_NANOS;
      for (int k = 0; k < order.length; k++) {
        if (firstError.get() != null) {
          break;
        }
        int idx = order[k];
        long due = start;
        if (options.speed != null && file.times[idx] != Long.MIN_VALUE) {
          due = Math.max(due, start + (long) ((file.times[idx] - firstTime) * 1e9 / options.speed));
        }
        if (options.rate != null) {
          due = Math.max(due, start + (long) (k * 1e9 / options.rate));
        }
        waitUntil(due);

        String line = file.line(idx);
        String[] raw = file.parser.rawValues(line);
        boolean invalid = file.invalid.get(idx);
        long nowMs = System.currentTimeMillis();
        String stamp = null;
        if (options.stampNow && !invalid) {
          stamp = distinct == null ? clock.format(nowMs)
              : distinct.stamp(raw, line, file.times[idx], Math.floorDiv(nowMs, 1000), clock, nowMs);
        }
        byte[] value = invalid
            ? line.getBytes(StandardCharsets.UTF_8)
            : json.write(raw, stamp, nowMs);
        producer.send(new ProducerRecord<>(options.topic, userKey(raw), value), (md, ex) -> {
          if (ex != null) {
            firstError.compareAndSet(null, ex);
          } else {
            acked.incrementAndGet();
            if (invalid) {
              ackedInvalid.incrementAndGet();
            }
          }
        });

        long now = System.nanoTime();
        if (now >= nextProgress) {
          nextProgress = now + PROGRESS_EVERY_NANOS;
          progress.printf("replay: %,d / %,d sent (%,.0f events/s)%n", k + 1, order.length,
              (k + 1) / ((now - start) / 1e9));
        }
      }
      producer.flush();
    }
    long elapsed = (System.nanoTime() - start) / 1_000_000;
    if (firstError.get() != null) {
      throw new IllegalStateException("sending to " + options.topic + " at "
          + options.bootstrapServers + " failed after " + acked.get() + " records: "
          + firstError.get().getMessage(), firstError.get());
    }
    return new Summary(acked.get(), ackedInvalid.get(), elapsed);
  }

  /** Parks until the due time; late (behind schedule) sends go at once and catch up. */
  private static void waitUntil(long dueNanos) throws InterruptedException {
    long wait;
    while ((wait = dueNanos - System.nanoTime()) > 100_000) {
      LockSupport.parkNanos(wait);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
  }

  /** user_id as the record key when it reads as a positive number (valid rows always do). */
  static String userKey(String[] raw) {
    if (raw == null) {
      return null;
    }
    String v = raw[EventFields.NAMES.indexOf(EventFields.USER_ID)];
    if (v == null) {
      return null;
    }
    try {
      long id = Long.parseLong(v.trim());
      return id > 0 ? Long.toString(id) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Reads a CSV file (plain or gzip) into memory with each record's sort time. */
  public static Loaded load(Path input) throws IOException {
    if (!Files.isRegularFile(input)) {
      throw new IllegalArgumentException("input " + input + " is not a file");
    }
    try (BufferedReader in = new BufferedReader(open(input), 1 << 16)) {
      String header = in.readLine();
      if (header == null) {
        throw new IllegalArgumentException("input " + input + " is empty (no header line)");
      }
      Loaded file = new Loaded(header);
      String line;
      long previousTime = Long.MIN_VALUE;
      while ((line = in.readLine()) != null) {
        if (line.isEmpty()) {
          continue; // not a record (docs/features.md, Input events)
        }
        ParseOutcome outcome = file.parser.parse(line);
        long time;
        if (outcome.isValid()) {
          time = outcome.event().eventTime;
        } else {
          time = ownTime(file.parser.rawValues(line), previousTime);
        }
        file.add(line, time, !outcome.isValid());
        previousTime = time;
      }
      return file;
    }
  }

  private static long ownTime(String[] raw, long fallback) {
    String t = raw == null ? null : raw[EventFields.NAMES.indexOf(EventFields.EVENT_TIME)];
    if (t == null || t.isBlank()) {
      return fallback;
    }
    try {
      return EventFields.parseEventTime(t);
    } catch (DateTimeException e) {
      return fallback;
    }
  }

  private static Reader open(Path input) throws IOException {
    InputStream in = new BufferedInputStream(Files.newInputStream(input), 1 << 16);
    in.mark(2);
    int b1 = in.read();
    int b2 = in.read();
    in.reset();
    // by content, not name: a .gz suffix is a hint, the gzip magic number is the fact
    if (b1 == 0x1f && b2 == 0x8b) {
      in = new GZIPInputStream(in, 1 << 16);
    }
    return new InputStreamReader(in, StandardCharsets.UTF_8);
  }

  /** A loaded file: record lines in file order, their sort times, and which are invalid. */
  public static final class Loaded {
    private static final int CHUNK = 16 * 1024 * 1024;
    final CsvRecordParser parser;
    private final List<byte[]> chunks = new ArrayList<>();
    private byte[] chunk = new byte[0];
    private int chunkUsed;
    /** Per record: chunk index << 32 | offset in chunk. */
    private long[] refs = new long[1024];
    private int[] lengths = new int[1024];
    long[] times = new long[1024];
    final BitSet invalid = new BitSet();
    private int size;

    Loaded(String header) {
      this.parser = new CsvRecordParser(header);
    }

    public int size() {
      return size;
    }

    public int invalidCount() {
      return invalid.cardinality();
    }

    void add(String line, long time, boolean isInvalid) {
      byte[] b = line.getBytes(StandardCharsets.UTF_8);
      if (chunkUsed + b.length > chunk.length) {
        chunk = new byte[Math.max(CHUNK, b.length)];
        chunks.add(chunk);
        chunkUsed = 0;
      }
      System.arraycopy(b, 0, chunk, chunkUsed, b.length);
      if (size == refs.length) {
        refs = Arrays.copyOf(refs, size * 2);
        lengths = Arrays.copyOf(lengths, size * 2);
        times = Arrays.copyOf(times, size * 2);
      }
      refs[size] = ((long) (chunks.size() - 1) << 32) | chunkUsed;
      lengths[size] = b.length;
      times[size] = time;
      invalid.set(size, isInvalid);
      chunkUsed += b.length;
      size++;
    }

    /** The record line (without terminator) of record {@code i} in file order. */
    public String line(int i) {
      byte[] c = chunks.get((int) (refs[i] >>> 32));
      return new String(c, (int) refs[i], lengths[i], StandardCharsets.UTF_8);
    }

    public boolean isInvalid(int i) {
      return invalid.get(i);
    }

    /** Record indexes in canonical order: by time, ties in file order (a stable sort). */
    public int[] canonicalOrder() {
      long min = Long.MAX_VALUE;
      long max = Long.MIN_VALUE;
      for (int i = 0; i < size; i++) {
        min = Math.min(min, times[i]);
        max = Math.max(max, times[i]);
      }
      int[] order = new int[size];
      if (size > 0 && min > Long.MIN_VALUE && max - min < (1L << 31)) {
        // one primitive sort of (time offset, index) packed in a long: fast, no boxing
        long[] keys = new long[size];
        for (int i = 0; i < size; i++) {
          keys[i] = ((times[i] - min) << 32) | i;
        }
        Arrays.sort(keys);
        for (int i = 0; i < size; i++) {
          order[i] = (int) keys[i];
        }
        return order;
      }
      Integer[] boxed = new Integer[size];
      for (int i = 0; i < size; i++) {
        boxed[i] = i;
      }
      Arrays.sort(boxed, (a, b) -> Long.compare(times[a], times[b])); // stable: ties keep file order
      for (int i = 0; i < size; i++) {
        order[i] = boxed[i];
      }
      return order;
    }

    /** Canonical order restricted to [from, until) and cut to {@code limit} (negative: all). */
    int[] selection(Long from, Long until, long limit) {
      int[] all = canonicalOrder();
      int[] out = new int[all.length];
      int n = 0;
      for (int idx : all) {
        long t = times[idx];
        if ((from != null && t < from) || (until != null && t >= until)) {
          continue;
        }
        if (limit >= 0 && n >= limit) {
          break;
        }
        out[n++] = idx;
      }
      return Arrays.copyOf(out, n);
    }
  }

  /** JSON of a valid row: the nine fields as written in the CSV, typed, plus ingest_ts. */
  private static final class JsonWriter {
    private final ByteArrayBuilder buf = new ByteArrayBuilder(512);

    byte[] write(String[] raw, String eventTimeOverride, long ingestTs) {
      buf.reset();
      try (JsonGenerator g = JSON.createGenerator(buf)) {
        g.writeStartObject();
        for (int f = 0; f < EventFields.NAMES.size(); f++) {
          String name = EventFields.NAMES.get(f);
          String v = raw[f] == null ? null : raw[f].trim();
          if (f == 0 && eventTimeOverride != null) {
            v = eventTimeOverride;
          }
          g.writeFieldName(name);
          if (v == null || v.isEmpty()) {
            g.writeNull();
          } else if (name.equals(EventFields.PRODUCT_ID) || name.equals(EventFields.CATEGORY_ID)
              || name.equals(EventFields.USER_ID)) {
            g.writeNumber(Long.parseLong(v)); // validated by CsvRecordParser
          } else if (name.equals(EventFields.PRICE)) {
            g.writeNumber(new BigDecimal(v)); // a JSON number even for "35.80" or ".5"
          } else {
            g.writeString(v);
          }
        }
        g.writeNumberField("ingest_ts", ingestTs);
        g.writeEndObject();
      } catch (IOException e) {
        throw new IllegalStateException("cannot write JSON", e);
      }
      return buf.toByteArray();
    }
  }

  /** CSV-form time of the current second, formatted once per second. */
  private static final class StampClock {
    private long second = Long.MIN_VALUE;
    private String text;

    String format(long epochMillis) {
      long s = Math.floorDiv(epochMillis, 1000);
      if (s != second) {
        second = s;
        text = CSV_TIME.format(Instant.ofEpochSecond(s));
      }
      return text;
    }
  }

  /**
   * Send-time stamps that keep each session's events distinct (see {@link
   * Options#distinctStamps}): per session, the stamped second of its last event, the other fields
   * of the events stamped with it, and the input lines of its last input second (to recognise the
   * input's own duplicates). Sessions are forgotten least recently used first.
   */
  static final class DistinctStamps {
    private static final int MAX_SESSIONS = 200_000;
    private static final int SESSION = EventFields.NAMES.indexOf(EventFields.USER_SESSION);
    private final Map<String, SessionStamps> sessions =
        new LinkedHashMap<>(1024, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(Map.Entry<String, SessionStamps> eldest) {
            return size() > MAX_SESSIONS;
          }
        };

    private static final class SessionStamps {
      long second = Long.MIN_VALUE;
      final java.util.Set<String> fieldsAtSecond = new java.util.HashSet<>();
      long inputTime = Long.MIN_VALUE;
      final Map<String, Long> inputLines = new HashMap<>();
    }

    /** The stamp (CSV time form) of a valid record sent at {@code nowSecond}. */
    String stamp(String[] raw, String line, long inputTime, long nowSecond, StampClock clock,
        long nowMs) {
      long second = stampSecond(raw, line, inputTime, nowSecond);
      return second == nowSecond ? clock.format(nowMs) : CSV_TIME.format(Instant.ofEpochSecond(second));
    }

    long stampSecond(String[] raw, String line, long inputTime, long nowSecond) {
      String session = raw[SESSION] == null ? "" : raw[SESSION].trim();
      SessionStamps st = sessions.computeIfAbsent(session, k -> new SessionStamps());
      if (st.inputTime == inputTime) {
        Long original = st.inputLines.get(line);
        if (original != null) {
          return original; // a duplicate in the input stays one
        }
      } else {
        st.inputTime = inputTime;
        st.inputLines.clear();
      }
      StringBuilder fields = new StringBuilder(line.length());
      for (int f = 1; f < raw.length; f++) { // all but event_time (field 0)
        fields.append(raw[f] == null ? "" : raw[f].trim()).append('\u0001');
      }
      String key = fields.toString();
      long second = Math.max(nowSecond, st.second);
      if (second == st.second && st.fieldsAtSecond.contains(key)) {
        second++;
      }
      if (second != st.second) {
        st.second = second;
        st.fieldsAtSecond.clear();
      }
      st.fieldsAtSecond.add(key);
      st.inputLines.put(line, second);
      return second;
    }
  }

  /** Reads a Java properties file of producer settings (security.protocol, SASL, ...). */
  public static Map<String, String> readProperties(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (String k : p.stringPropertyNames()) {
      out.put(k, p.getProperty(k));
    }
    return out;
  }
}
