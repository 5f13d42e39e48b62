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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The {@code berthd} command line: loads the configuration (defaults, then the TOML file, then
 * flags), runs the daemon until SIGTERM or SIGINT, and exits 0 after a graceful stop. SIGHUP
 * reloads the configuration; a service manager named by {@code NOTIFY_SOCKET} hears of start,
 * reloads, status and stop. Its few flags are parsed by hand: a command-line library cost a
 * quarter of start-up (its classes are too old for the JVM's AOT cache).
 */
public final class Berthd {
  /** Exit code for an unusable configuration (sysexits EX_CONFIG). */
  static final int EXIT_CONFIG = 78;
  /** Exit code when another berthd owns the state directory (sysexits EX_TEMPFAIL). */
  static final int EXIT_ALREADY_RUNNING = 75;
  /** Exit code for a command line that cannot be used. */
  static final int EXIT_USAGE = 2;
  /** How often the service manager's status line is checked for a change (a few counters, cheap). */
  private static final Duration STATUS_PERIOD = Duration.ofSeconds(3);
  /** The longest reload error the status line repeats; the log has all of it. */
  private static final int STATUS_PROBLEM_CHARS = 200;
  static final String USAGE = """
      Usage: berthd [OPTIONS] [config default]
      berth: a CRI runtime for Kubernetes nodes.
            --config=FILE      TOML configuration file (default: %s, optional).
            --root=DIR         Persistent data directory (default: /var/lib/berth).
            --state=DIR        Runtime state directory (default: /run/berth).
            --socket=PATH      CRI unix socket (default: <state>/berth.sock, i.e. /run/berth/berth.sock).
            --log-level=LEVEL  trace, debug, info, warn or error.
        -h, --help             Show this help message and exit.
        -V, --version          Print version information and exit.
      Commands:
        config default         Print the effective configuration (defaults, file, flags) as TOML.
      """.formatted(BerthConfig.DEFAULT_CONFIG_FILE);

  Path configFile;
  String root;
  String state;
  String socket;
  String logLevel;

  /** Why the last reload was refused, for the status line; null after one that was accepted. */
  private volatile String reloadProblem;

  /** A command line berthd cannot use; the message says what is wrong with it. */
  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }

  public static void main(String[] args) {
    int code;
    try {
      code = new Berthd().run(args);
    } catch (UsageException e) {
      System.err.println("berthd: " + e.getMessage());
      System.err.print(USAGE);
      code = EXIT_USAGE;
    } catch (ConfigException e) {
      System.err.println("berthd: " + e.getMessage());
      code = EXIT_CONFIG;
    } catch (StateDirLock.AlreadyRunningException e) {
      System.err.println("berthd: " + e.getMessage());
      code = EXIT_ALREADY_RUNNING;
    } catch (Exception e) {
      e.printStackTrace();
      code = 1;
    }
    System.exit(code);
  }

  /** Parses {@code args} into this object's flags and runs what they ask for; returns the exit code. */
  int run(String[] args) throws Exception {
    List<String> words = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("-h") || arg.equals("--help")) {
        System.out.print(USAGE);
        return 0;
      }
      if (arg.equals("-V") || arg.equals("--version")) {
        System.out.println("berthd " + BerthVersion.version());
        return 0;
      }
      if (!arg.startsWith("-")) {
        words.add(arg);
        continue;
      }
      int eq = arg.indexOf('=');
      String name = eq < 0 ? arg : arg.substring(0, eq);
      String value;
      if (eq >= 0) {
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new UsageException("missing value for option '" + name + "'");
      }
      switch (name) {
        case "--config" -> configFile = Path.of(value);
        case "--root" -> root = value;
        case "--state" -> state = value;
        case "--socket" -> socket = value;
        case "--log-level" -> logLevel = value;
        default -> throw new UsageException("unknown option: '" + arg + "'");
      }
    }
    if (words.isEmpty()) {
      return serve();
    }
    if (words.equals(List.of("config", "default"))) {
      System.out.print(new ConfigLoader().render(effectiveConfig()));
      return 0;
    }
    throw new UsageException("unknown command: '" + String.join(" ", words) + "'");
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

  /** Runs the daemon until SIGTERM or SIGINT. */
  int serve() throws Exception {
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
    if (inheritedIgnoredHangUp()) {
      // The JVM keeps a shutdown signal its parent ignored ignored, handler or not (nohup does this).
      log.warn("SIGHUP was ignored when berthd started (under nohup?): kill -HUP cannot reload the configuration;"
          + " a restart applies a changed file");
    }

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

  /** Whether this process started with SIGHUP ignored (bit 0 of SigIgn in /proc/self/status). */
  private static boolean inheritedIgnoredHangUp() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("SigIgn:")) {
          return (Long.parseUnsignedLong(line.substring(7).strip(), 16) & 1L) != 0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      return false;
    }
    return false;
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
}
