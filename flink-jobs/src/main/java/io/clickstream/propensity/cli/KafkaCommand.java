package io.clickstream.propensity.cli;

import io.clickstream.propensity.kafka.LocalKafkaBroker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kafka start|stop|status}: a local single-node Kafka broker process for demos. */
@Command(
    name = "kafka",
    mixinStandardHelpOptions = true,
    description = "Runs a local single-node Kafka broker (KRaft) as a background process on 127.0.0.1.",
    subcommands = {
      KafkaCommand.Start.class,
      KafkaCommand.Stop.class,
      KafkaCommand.Status.class
    })
public final class KafkaCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "choose start, stop or status");
  }

  static LocalKafkaBroker broker(Path dir) {
    return new LocalKafkaBroker(dir, LocalKafkaBroker.configuredLib().orElse(null));
  }

  @Command(name = "start", mixinStandardHelpOptions = true,
      description = {
        "Starts the broker in the background (formats the storage on first use; data survives "
            + "stop/start) and waits until it answers.",
        "Prints the bootstrap address (127.0.0.1:PORT) as the last line on stdout."
      })
  static final class Start implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "9092",
        description = "client port on 127.0.0.1 (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--dir", defaultValue = "work/kafka", paramLabel = "DIR",
        description = "config, data, broker.log and broker.pid (default: ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--partitions", defaultValue = "2",
        description = "partitions of auto-created topics (default: ${DEFAULT-VALUE})")
    int partitions;

    @Option(names = "--timeout", defaultValue = "60s", converter = DurationConverter.class,
        description = "how long to wait for the broker to answer (default: ${DEFAULT-VALUE})")
    Duration timeout;

    @Override
    public Integer call() throws Exception {
      LocalKafkaBroker.Started s = broker(dir).start(port, partitions, timeout, System.err);
      if (s.alreadyRunning()) {
        System.err.println("kafka: a broker already runs in " + dir + " (pid " + s.pid() + ")");
      } else {
        System.err.printf("kafka: ready in %.1f s%n", s.millis() / 1000.0);
      }
      System.out.println(s.bootstrapServers());
      return 0;
    }
  }

  @Command(name = "stop", mixinStandardHelpOptions = true,
      description = "Stops the broker of DIR (SIGTERM, SIGKILL after 15 s). No-op when none runs.")
  static final class Stop implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "work/kafka", paramLabel = "DIR",
        description = "the broker's folder (default: ${DEFAULT-VALUE})")
    Path dir;

    @Override
    public Integer call() throws Exception {
      broker(dir).stop(Duration.ofSeconds(15), System.err);
      return 0;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Prints the bootstrap address when a broker runs in DIR (exit 0), else exit 1.")
  static final class Status implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "work/kafka", paramLabel = "DIR",
        description = "the broker's folder (default: ${DEFAULT-VALUE})")
    Path dir;

    @Override
    public Integer call() throws Exception {
      LocalKafkaBroker b = broker(dir);
      var p = b.runningProcess();
      if (p.isEmpty()) {
        System.err.println("kafka: no broker running in " + b.dir());
        return 1;
      }
      System.err.println("kafka: broker pid " + p.get().pid() + " in " + b.dir());
      System.out.println(LocalKafkaBroker.bootstrap(b.configuredPort()));
      return 0;
    }
  }
}
