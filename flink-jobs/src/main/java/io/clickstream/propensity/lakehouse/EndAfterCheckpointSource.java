package io.clickstream.propensity.lakehouse;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;

/**
 * A bounded source whose readers end their input only once a checkpoint has completed since they
 * started (this attempt of the job, after a restore too); the wrapped source is otherwise
 * unchanged (same splits, enumerator and state).
 *
 * <p>Why: Iceberg's {@code IcebergSink} (1.11) stamps the files its pre-commit aggregator emits at
 * the end of input with "the last checkpoint id it saw + 1". That aggregator keeps no state, so
 * Flink does not tell it the checkpoint a failover restored; when the input ends before the first
 * barrier of the new attempt reaches it, it stamps them with checkpoint 1, and the committer,
 * seeing that this job already committed a later checkpoint to the table, takes them as committed
 * and drops them. A bounded stream that restarted near its end then finished "successfully" with
 * the data read after the restore missing. A completed checkpoint means every running task,
 * aggregators included, has seen its barrier, so the final files carry an id above every commit.
 * Checkpointing must be enabled, or the readers never end.
 */
public final class EndAfterCheckpointSource<T, S extends SourceSplit, E>
    implements Source<T, S, E>, ResultTypeQueryable<T> {
  private static final long serialVersionUID = 1L;

  private final Source<T, S, E> source;
  private final TypeInformation<T> type;

  /**
   * @param source a bounded source
   * @param type what it produces
   */
  public EndAfterCheckpointSource(Source<T, S, E> source, TypeInformation<T> type) {
    if (source.getBoundedness() != Boundedness.BOUNDED) {
      throw new IllegalArgumentException("only a bounded source has an end to hold back, got "
          + source.getBoundedness() + " " + source);
    }
    this.source = source;
    this.type = type;
  }

  @Override
  public Boundedness getBoundedness() {
    return source.getBoundedness();
  }

  @Override
  public SourceReader<T, S> createReader(SourceReaderContext context) throws Exception {
    return new Reader<>(source.createReader(context));
  }

  @Override
  public SplitEnumerator<S, E> createEnumerator(SplitEnumeratorContext<S> context) throws Exception {
    return source.createEnumerator(context);
  }

  @Override
  public SplitEnumerator<S, E> restoreEnumerator(SplitEnumeratorContext<S> context, E checkpoint)
      throws Exception {
    return source.restoreEnumerator(context, checkpoint);
  }

  @Override
  public SimpleVersionedSerializer<S> getSplitSerializer() {
    return source.getSplitSerializer();
  }

  @Override
  public SimpleVersionedSerializer<E> getEnumeratorCheckpointSerializer() {
    return source.getEnumeratorCheckpointSerializer();
  }

  @Override
  public TypeInformation<T> getProducedType() {
    return type;
  }

  /** The wrapped reader, holding back END_OF_INPUT until a checkpoint of this attempt completed. */
  static final class Reader<T, S extends SourceSplit> implements SourceReader<T, S> {
    private final SourceReader<T, S> reader;
    /** Completed by the first checkpoint that completes while this reader runs. */
    private final CompletableFuture<Void> checkpointed = new CompletableFuture<>();
    private boolean ended;

    Reader(SourceReader<T, S> reader) {
      this.reader = reader;
    }

    @Override
    public void start() {
      reader.start();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<T> output) throws Exception {
      if (!ended) {
        InputStatus status = reader.pollNext(output);
        if (status != InputStatus.END_OF_INPUT) {
          return status;
        }
        ended = true;
      }
      return checkpointed.isDone() ? InputStatus.END_OF_INPUT : InputStatus.NOTHING_AVAILABLE;
    }

    @Override
    public CompletableFuture<Void> isAvailable() {
      return ended ? checkpointed : reader.isAvailable();
    }

    @Override
    public List<S> snapshotState(long checkpointId) {
      return reader.snapshotState(checkpointId);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
      reader.notifyCheckpointComplete(checkpointId);
      checkpointed.complete(null);
    }

    @Override
    public void notifyCheckpointAborted(long checkpointId) throws Exception {
      reader.notifyCheckpointAborted(checkpointId);
    }

    @Override
    public void addSplits(List<S> splits) {
      reader.addSplits(splits);
    }

    @Override
    public void notifyNoMoreSplits() {
      reader.notifyNoMoreSplits();
    }

    @Override
    public void handleSourceEvents(SourceEvent event) {
      reader.handleSourceEvents(event);
    }

    @Override
    public void pauseOrResumeSplits(Collection<String> toPause, Collection<String> toResume) {
      reader.pauseOrResumeSplits(toPause, toResume);
    }

    @Override
    public void close() throws Exception {
      reader.close();
    }
  }
}
