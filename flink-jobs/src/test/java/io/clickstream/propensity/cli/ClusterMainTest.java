package io.clickstream.propensity.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import org.apache.flink.util.ChildFirstClassLoader;
import org.junit.jupiter.api.Test;

/** main() loaded from a job jar by Flink must not System.exit (it would kill the JobManager). */
class ClusterMainTest {
  @Test
  void mainReturnsOrThrowsInsteadOfExitingWhenLoadedByFlink() throws Exception {
    URL classes = ClickstreamCli.class.getProtectionDomain().getCodeSource().getLocation();
    // what `flink run` and application mode load a job jar's classes with
    try (ChildFirstClassLoader loader = new ChildFirstClassLoader(
        new URL[] {classes}, getClass().getClassLoader(), new String[0], t -> {})) {
      Class<?> cli = loader.loadClass(ClickstreamCli.class.getName());
      assertThat(cli.getClassLoader()).isSameAs(loader);
      Method main = cli.getMethod("main", String[].class);
      main.invoke(null, (Object) new String[] {"--version"});   // exit code 0: returns
      assertThatThrownBy(() -> main.invoke(null, (Object) new String[] {"no-such-command"}))
          .isInstanceOf(InvocationTargetException.class)
          .cause().isInstanceOf(IllegalStateException.class).hasMessageContaining("exit code 2");
    }
    assertThat(ClickstreamCli.submittedToFlink()).isFalse();
  }
}
