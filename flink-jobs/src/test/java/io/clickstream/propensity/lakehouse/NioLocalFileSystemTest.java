package io.clickstream.propensity.lakehouse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NioLocalFileSystemTest {

  @TempDir java.nio.file.Path dir;

  @Test
  void createsFilesWithHadoopsPermissionsAndChecksums() throws Exception {
    Configuration conf = new Configuration();
    conf.set(NioLocalFileSystem.IMPL_KEY, NioLocalFileSystem.class.getName());
    conf.setBoolean("fs.file.impl.disable.cache", true);
    Path file = new Path(dir.toUri().toString(), "a/b/data.bin");
    try (FileSystem fs = file.getFileSystem(conf)) {
      assertThat(fs).isInstanceOf(NioLocalFileSystem.class);
      try (OutputStream out = fs.create(file, true)) {
        out.write("hello".getBytes(StandardCharsets.UTF_8));
      }
      fs.setPermission(file, new FsPermission((short) 0640));
      assertThat(Files.getPosixFilePermissions(dir.resolve("a/b/data.bin")))
          .isEqualTo(PosixFilePermissions.fromString("rw-r-----"));
      // The checksum layer is kept: reading back verifies against the .crc file.
      assertThat(Files.exists(dir.resolve("a/b/.data.bin.crc"))).isTrue();
      try (var in = fs.open(file)) {
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello");
      }
    }
  }
}
