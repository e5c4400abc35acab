package io.clickstream.propensity.lakehouse;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;

/**
 * Hadoop's local file system ({@code file:}, with its checksum files) whose permission changes use
 * java.nio instead of a {@code chmod} process. Without Hadoop's native library, {@link
 * RawLocalFileSystem} forks {@code chmod} for every file and directory it creates, which made
 * process creation one of the largest costs of writing a local warehouse.
 */
public final class NioLocalFileSystem extends LocalFileSystem {

  /** The Hadoop configuration key that selects the implementation of {@code file:}. */
  public static final String IMPL_KEY = "fs.file.impl";

  public NioLocalFileSystem() {
    super(new Raw());
  }

  /** The raw (checksum-less) layer with the java.nio permission change. */
  public static final class Raw extends RawLocalFileSystem {
    private static final boolean POSIX =
        FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    @Override
    public void setPermission(Path p, FsPermission permission) throws IOException {
      // Sticky bit, setuid/setgid and non-POSIX file systems keep Hadoop's own way.
      if (!POSIX || permission.getStickyBit() || permission.toShort() > 0777) {
        super.setPermission(p, permission);
        return;
      }
      Files.setPosixFilePermissions(
          pathToFile(p).toPath(), PosixFilePermissions.fromString(permission.toString()));
    }
  }
}
