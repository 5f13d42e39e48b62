package io.berth.cri;

import io.berth.cri.config.BerthConfig;
import io.berth.cri.config.ConfigChanges;
import io.berth.cri.config.ConfigException;
import io.berth.cri.config.ConfigLoader;
import io.berth.cri.config.LogLevels;
import io.berth.cri.node.BerthVersion;
import io.berth.cri.server.StateDirLock;
import io.berth.cri.systemd.ReloadWorker;
import io.berth.cri.systemd.ServiceNotifier;
import io.berth.cri.systemd.StatusReporter;
import io.berth.sys.LinuxSyscalls;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import sun.misc.Signal;

/**
 * The {@code berthd} command line: loads the configuration (defaults, then the TOML file, then
 * flags), runs the daemon until SIGTERM or SIGINT, and exits 0 after a graceful stop. SIGHUP
 * reloads the configuration; a service manager named by {@code NOTIFY_SOCKET} hears of start,
 * reloads, status and stop.
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
  /** How often the service manager's status line is checked for a change (a few counters, cheap). */
  private static final Duration STATUS_PERIOD = Duration.ofSeconds(3);
  /** The longest reload error the status line repeats; the log has all of it. */
  private static final int STATUS_PROBLEM_CHARS = 200;

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

  /** Why the last reload was refused, for the status line; null after one that was accepted. */
  private volatile String reloadProblem;

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
    BerthConfig config = new ConfigLoader().load(configPath(), named);
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

  /** The configuration file: the one named, else the default location (which may be absent). */
  private Path configPath() {
    return configFile != null ? configFile : Path.of(BerthConfig.DEFAULT_CONFIG_FILE);
  }

  @Override
  public Integer call() throws Exception {
    BerthConfig config = effectiveConfig();
    LogLevels.apply(config.logLevel());
    Logger log = LoggerFactory.getLogger(Berthd.class);
    ServiceNotifier notifier = ServiceNotifier.fromEnvironment(LinuxSyscalls.INSTANCE, System.getenv());

    CountDownLatch stopRequested = new CountDownLatch(1);
    for (String name : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(name), signal -> {
        log.info("received SIG{}", signal.getName());
        stopRequested.countDown();
      });
    }
    // Handled before the daemon starts, since the JVM's own answer to SIGHUP is to exit; the
    // handler only hands the work to the reload thread.
    AtomicReference<Daemon> started = new AtomicReference<>();
    ReloadWorker reloads = ReloadWorker.start(() -> reload(started.get(), notifier, log));
    Signal.handle(new Signal("HUP"), signal -> reloads.request());

    Daemon daemon = Daemon.start(config, new ConfigLoader());
    started.set(daemon);
    notifier.ready(statusLine(daemon));
    StatusReporter status = StatusReporter.start(notifier, () -> statusLine(daemon), STATUS_PERIOD);
    stopRequested.await();
    notifier.stopping();
    status.close();
    reloads.close();
    daemon.stop();
    return 0;
  }

  /**
   * One reload, on the reload thread: the file read again with the same flags over it, its live
   * part applied, the rest reported. A file that cannot be used is refused with the message a
   * start would give, and the running configuration stays. Never throws.
   */
  void reload(Daemon daemon, ServiceNotifier notifier, Logger log) {
    if (daemon == null) {
      log.info("SIGHUP during start-up ignored: the configuration being started was read just now");
      return;
    }
    notifier.reloading();
    try {
      ConfigChanges changes = daemon.reload(effectiveConfig());
      reloadProblem = null;
      log.info("configuration reloaded from {} applied=[{}] (registry hosts files and CNI configs re-read)",
          configPath(), String.join(", ", changes.live()));
      if (!changes.needRestart().isEmpty()) {
        log.warn("configuration reload: changed in {} but need a restart of berthd to take effect: {}",
            configPath(), String.join(", ", changes.needRestart()));
      }
    } catch (ConfigException e) {
      reloadProblem = e.getMessage();
      log.error("configuration reload refused, berthd keeps the configuration it runs: {}", e.getMessage());
    } finally {
      // Whatever happened, the service manager waits for this to end the reload.
      notifier.ready(statusLine(daemon));
    }
  }

  /** What {@code systemctl status} shows: the daemon's work, and why the last reload was refused. */
  private String statusLine(Daemon daemon) {
    String problem = reloadProblem;
    if (problem == null) {
      return daemon.statusLine();
    }
    if (problem.length() > STATUS_PROBLEM_CHARS) {
      problem = problem.substring(0, STATUS_PROBLEM_CHARS) + "...";
    }
    return daemon.statusLine() + "; last reload refused: " + problem;
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
