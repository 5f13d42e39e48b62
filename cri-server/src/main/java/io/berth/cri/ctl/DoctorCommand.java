package io.berth.cri.ctl;

import io.berth.cri.config.BerthConfig;
import io.berth.cri.config.ConfigLoader;
import io.berth.cri.doctor.ConfigCheck;
import io.berth.cri.doctor.CriProbe;
import io.berth.cri.doctor.Doctor;
import io.berth.cri.doctor.LocalHost;
import io.berth.cri.doctor.Report;
import io.berth.cri.doctor.Result;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code berthctl doctor}: every prerequisite of a working node, PASS/WARN/FAIL with a one-line
 * explanation and, for a problem, a one-line fix; exit code 0 only when nothing fails. It reads
 * berthd's configuration file with berthd's own loader and asks berthd on the socket the file
 * names (or the one given with -r).
 */
@Command(name = "doctor", description = "Check this node's prerequisites and berthd; exit 1 if any check fails.")
final class DoctorCommand implements Callable<Integer> {
  private static final long PROBE_TIMEOUT_MILLIS = 10_000;

  @ParentCommand Berthctl berthctl;

  @Option(names = {"-c", "--config"}, paramLabel = "CONFIG",
      description = "berthd's configuration file (default: " + BerthConfig.DEFAULT_CONFIG_FILE + ").")
  Path config;

  @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
      description = "text or json (default: ${DEFAULT-VALUE}).")
  String output;

  @Override
  public Integer call() {
    if (!output.equals("text") && !output.equals("json")) {
      throw new IllegalArgumentException("--output must be text or json, got '" + output + "'");
    }
    Path file = config != null ? config : Path.of(BerthConfig.DEFAULT_CONFIG_FILE);
    ConfigCheck.Loaded loaded = ConfigCheck.load(new ConfigLoader(), file, config != null);
    // An explicit -r wins; otherwise berthd is asked where its configuration puts the socket.
    String endpoint = berthctl.runtimeEndpoint != null ? berthctl.runtimeEndpoint
        : "unix://" + loaded.config().socket();
    List<Result> results;
    try (CriProbe probe = new CriProbe(endpoint, Math.min(PROBE_TIMEOUT_MILLIS, berthctl.timeoutMillis()))) {
      results = Doctor.run(loaded.result(), Doctor.checks(loaded.config(), LocalHost.local(), probe));
    }
    System.out.print(output.equals("json") ? Report.json(results) : Report.text(results));
    return Doctor.exitCode(results);
  }
}
