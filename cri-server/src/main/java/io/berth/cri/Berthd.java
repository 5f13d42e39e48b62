package io.berth.cri;

import ch.qos.logback.classic.Level;
import io.berth.cri.config.BerthConfig;
import io.berth.cri.config.ConfigException;
import io.berth.cri.config.ConfigLoader;
import io.berth.cri.node.BerthVersion;
import io.berth.cri.server.StateDirLock;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import sun.misc.Signal;

/**
 * The {@code berthd} command line: loads the configuration (defaults, then the TOML file, then
 * flags), runs the daemon until SIGTERM or SIGINT, and exits 0 after a graceful stop.
 */
@Command(
    name = "berthd",
    mixinStandardHelpOptions = true,
    versionProvider = Berthd.Version.class,
    description = "berth: a CRI runtime for Kubernetes nodes.",
    subcommands = Berthd.ConfigCommand.class)
public final class Berthd implements Callable<Integer> {
  /** Exit code for an unusable configuration (sysexits EX_CONFIG). */
  static final int EXIT_CONFIG = 78;
  /** Exit code when another berthd owns the state directory (sysexits EX_TEMPFAIL). */
  static final int EXIT_ALREADY_RUNNING = 75;

  @Option(names = "--config", paramLabel = "FILE",
      description = "TOML configuration file (default: " + BerthConfig.DEFAULT_CONFIG_FILE + ", optional).")
  Path configFile;

  @Option(names = "--root", paramLabel = "DIR", description = "Persistent data directory (default: /var/lib/berth).")
  String root;

  @Option(names = "--state", paramLabel = "DIR", description = "Runtime state directory (default: /run/berth).")
  String state;

  @Option(names = "--socket", paramLabel = "PATH",
      description = "CRI unix socket (default: <state>/berth.sock, i.e. /run/berth/berth.sock).")
  String socket;

  @Option(names = "--log-level", paramLabel = "LEVEL", description = "trace, debug, info, warn or error.")
  String logLevel;

  public static void main(String[] args) {
    CommandLine commandLine = new CommandLine(new Berthd());
    commandLine.setExecutionExceptionHandler(
        (error, cmd, parsed) -> {
          if (error instanceof ConfigException) {
            System.err.println("berthd: " + error.getMessage());
            return EXIT_CONFIG;
          }
          if (error instanceof StateDirLock.AlreadyRunningException) {
            System.err.println("berthd: " + error.getMessage());
            return EXIT_ALREADY_RUNNING;
          }
          throw error;
        });
    int code = commandLine.execute(args);
    System.exit(code);
  }

  /** The effective configuration: defaults, then the file, then command-line flags. */
  BerthConfig effectiveConfig() {
    boolean named = configFile != null;
    Path file = named ? configFile : Path.of(BerthConfig.DEFAULT_CONFIG_FILE);
    BerthConfig config = new ConfigLoader().load(file, named);
    String effectiveState = state != null ? state : config.state();
    String effectiveSocket = socket;
    if (effectiveSocket == null) {
      // A socket left at its default follows a relocated state directory, whether the flag or
      // the file moved it: two daemons with their own state must not share one socket path.
      boolean socketIsDefault = config.socket().equals(BerthConfig.defaults().socket());
      effectiveSocket = socketIsDefault ? Path.of(effectiveState, "berth.sock").toString() : config.socket();
    }
    try {
      config = config.withPaths(root != null ? root : config.root(), effectiveState, effectiveSocket);
      return logLevel != null ? config.withLogLevel(logLevel) : config;
    } catch (IllegalArgumentException e) {
      throw new ConfigException("command line: " + e.getMessage(), e);
    }
  }

  @Override
  public Integer call() throws Exception {
    BerthConfig config = effectiveConfig();
    setLogLevel(config.logLevel());
    Logger log = LoggerFactory.getLogger(Berthd.class);

    CountDownLatch stopRequested = new CountDownLatch(1);
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), signal -> {
        log.info("received SIG{}", signal.getName());
        stopRequested.countDown();
      });
    }
    Daemon daemon = Daemon.start(config, new ConfigLoader());
    stopRequested.await();
    daemon.stop();
    return 0;
  }

  private static void setLogLevel(String level) {
    var root = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.toLevel(level, Level.INFO));
  }

  /** {@code berthd config ...}: configuration helpers. */
  @Command(name = "config", description = "Configuration helpers.", subcommands = DefaultConfigCommand.class)
  static final class ConfigCommand {
    @ParentCommand Berthd berthd;
  }

  /** {@code berthd config default}: prints the effective configuration as TOML. */
  @Command(name = "default", description = "Print the effective configuration (defaults, file, flags) as TOML.")
  static final class DefaultConfigCommand implements Callable<Integer> {
    @ParentCommand ConfigCommand parent;

    @Override
    public Integer call() {
      System.out.print(new ConfigLoader().render(parent.berthd.effectiveConfig()));
      return 0;
    }
  }

  /** Supplies {@code --version}. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"berthd " + BerthVersion.version()};
    }
  }
}
