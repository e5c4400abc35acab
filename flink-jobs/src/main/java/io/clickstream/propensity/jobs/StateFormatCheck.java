package io.clickstream.propensity.jobs;

import io.clickstream.propensity.events.serde.RecordSerializerSnapshot;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.flink.api.common.typeutils.CompositeTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.runtime.OperatorIDPair;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.CompletedCheckpointStorageLocation;
import org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.runtime.state.OperatorBackendSerializationProxy;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.runtime.state.StreamStateHandle;
import org.apache.flink.runtime.state.filesystem.AbstractFsCheckpointStorageAccess;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot;

/**
 * Reads the serializer snapshots of a checkpoint or savepoint (its metadata file and the meta
 * data at the head of each state file, not the state itself) and lists the state whose layout
 * this build does not read. Flink would find it only while restoring the tasks, and fail them
 * again with every restart.
 */
public final class StateFormatCheck {
  private StateFormatCheck() {}

  /**
   * One line per state this build cannot read, empty when every layout is this build's.
   *
   * @throws IOException when the path holds no readable checkpoint or savepoint
   */
  public static List<String> unreadable(String pointer) throws IOException {
    ClassLoader cl = StateFormatCheck.class.getClassLoader();
    CheckpointMetadata metadata = metadata(pointer);
    Set<String> problems = new LinkedHashSet<>();
    for (OperatorState operator : metadata.getOperatorStates()) {
      for (OperatorSubtaskState subtask : operator.getStates()) {
        for (KeyedStateHandle handle : subtask.getManagedKeyedState()) {
          StreamStateHandle head = keyedMetaData(handle);
          if (head != null) {
            KeyedBackendSerializationProxy<?> proxy = new KeyedBackendSerializationProxy<>(cl);
            if (read(head, problems, view -> proxy.read(view))) {
              check(proxy.getKeySerializerSnapshot(), problems);
              check(proxy.getStateMetaInfoSnapshots(), problems);
            }
          }
        }
        for (OperatorStateHandle handle : subtask.getManagedOperatorState()) {
          OperatorBackendSerializationProxy proxy = new OperatorBackendSerializationProxy(cl);
          if (read(handle.getDelegateStateHandle(), problems, view -> proxy.read(view))) {
            check(proxy.getOperatorStateMetaInfoSnapshots(), problems);
            check(proxy.getBroadcastStateMetaInfoSnapshots(), problems);
          }
        }
      }
    }
    return new ArrayList<>(problems);
  }

  /**
   * The operators that hold state in the checkpoint or savepoint but are not in {@code job} (their
   * operator ids, in hex), empty when every state has its operator. Flink refuses to restore such
   * state (it would be dropped): it comes from another job, or from one whose operators had other
   * uids.
   *
   * @throws IOException when the path holds no readable checkpoint or savepoint
   */
  public static List<String> foreignOperators(String pointer, JobGraph job) throws IOException {
    Set<OperatorID> known = new HashSet<>();
    for (JobVertex vertex : job.getVertices()) {
      for (OperatorIDPair ids : vertex.getOperatorIDs()) {
        known.add(ids.getGeneratedOperatorID());
        ids.getUserDefinedOperatorID().ifPresent(known::add);
      }
    }
    List<String> foreign = new ArrayList<>();
    for (OperatorState operator : metadata(pointer).getOperatorStates()) {
      boolean hasState = operator.getCoordinatorState() != null
          || operator.getStates().stream().anyMatch(OperatorSubtaskState::hasState);
      if (hasState && !known.contains(operator.getOperatorID())) {
        foreign.add(operator.getOperatorID().toHexString());
      }
    }
    return foreign;
  }

  private static CheckpointMetadata metadata(String pointer) throws IOException {
    CompletedCheckpointStorageLocation location =
        AbstractFsCheckpointStorageAccess.resolveCheckpointPointer(pointer);
    try (DataInputStream in =
        new DataInputStream(location.getMetadataHandle().openInputStream())) {
      return Checkpoints.loadCheckpointMetadata(in, StateFormatCheck.class.getClassLoader(),
          pointer);
    }
  }

  private interface Reader {
    void read(DataInputViewStreamWrapper view) throws IOException;
  }

  private static boolean read(StreamStateHandle handle, Set<String> problems, Reader reader) {
    try (FSDataInputStream in = handle.openInputStream()) {
      reader.read(new DataInputViewStreamWrapper(in));
      return true;
    } catch (IOException e) {
      // a snapshot version this build does not know fails while its header is read
      problems.add(rootMessage(e));
      return false;
    }
  }

  private static String rootMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.toString();
  }

  /** Heap and canonical savepoint state files and RocksDB's meta data file begin with it. */
  private static StreamStateHandle keyedMetaData(KeyedStateHandle handle) {
    if (handle instanceof KeyGroupsStateHandle) {
      return (KeyGroupsStateHandle) handle;
    }
    if (handle instanceof IncrementalRemoteKeyedStateHandle) {
      return ((IncrementalRemoteKeyedStateHandle) handle).getMetaDataStateHandle();
    }
    return null;
  }

  private static void check(Collection<StateMetaInfoSnapshot> states, Set<String> problems) {
    for (StateMetaInfoSnapshot state : states) {
      for (TypeSerializerSnapshot<?> s : state.getSerializerSnapshotsImmutable().values()) {
        check(s, problems);
      }
    }
  }

  private static void check(TypeSerializerSnapshot<?> snapshot, Set<String> problems) {
    if (snapshot instanceof RecordSerializerSnapshot
        && !((RecordSerializerSnapshot<?>) snapshot).isCurrentLayout()) {
      problems.add(((RecordSerializerSnapshot<?>) snapshot).describe());
    } else if (snapshot instanceof CompositeTypeSerializerSnapshot) {
      for (TypeSerializerSnapshot<?> nested
          : ((CompositeTypeSerializerSnapshot<?, ?>) snapshot).getNestedSerializerSnapshots()) {
        check(nested, problems);
      }
    }
  }
}
