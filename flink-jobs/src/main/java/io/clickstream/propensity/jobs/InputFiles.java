package io.clickstream.propensity.jobs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Expands the user's input paths into the ordered file list of the canonical order: files in the
 * order given, a folder's files (recursively) sorted by path; hidden files ({@code .x}, {@code _x})
 * skipped. Works on any Flink file system.
 */
public final class InputFiles {
  private InputFiles() {}

  public static List<Path> expand(List<String> inputs) {
    if (inputs == null || inputs.isEmpty()) {
      throw new IllegalArgumentException("no input files or folders given");
    }
    List<Path> files = new ArrayList<>();
    for (String input : inputs) {
      Path path = new Path(input);
      try {
        FileSystem fs = path.getFileSystem();
        if (!fs.exists(path)) {
          throw new IllegalArgumentException(
              "input " + input + " does not exist: check the path (CSV file, .csv.gz file or folder)");
        }
        collect(fs, fs.getFileStatus(path), files);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read input " + input + ": " + e.getMessage(), e);
      }
    }
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no input files found under " + inputs);
    }
    return files;
  }

  private static void collect(FileSystem fs, FileStatus status, List<Path> out) throws IOException {
    if (!status.isDir()) {
      out.add(status.getPath());
      return;
    }
    FileStatus[] children = fs.listStatus(status.getPath());
    Arrays.sort(children, Comparator.comparing(s -> s.getPath().toString()));
    for (FileStatus child : children) {
      String name = child.getPath().getName();
      if (!name.startsWith(".") && !name.startsWith("_")) {
        collect(fs, child, out);
      }
    }
  }
}
