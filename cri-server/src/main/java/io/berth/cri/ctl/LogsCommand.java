package io.berth.cri.ctl;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.ContainerState;
import io.berth.proto.runtime.v1.ContainerStatusRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code berthctl logs [-f] [--tail N] ID}: the container's CRI log file (found through
 * ContainerStatus) printed as the container wrote it, stdout to stdout and stderr to stderr;
 * partial lines (tag P) are joined. {@code -f} follows it until the container exits.
 */
@Command(name = "logs", description = "Print a container's log.")
final class LogsCommand extends Berthctl.RuntimeCommand {
  @Option(names = {"-f", "--follow"}, description = "Keep printing new lines until the container exits.")
  boolean follow;

  @Option(names = "--tail", description = "Only the last N lines (default: all).")
  int tail = -1;

  @Parameters(index = "0", paramLabel = "CONTAINER_ID")
  String id;

  @Override
  int run(CriClient client) throws Exception {
    var status = client.runtime(berthctl.timeoutMillis()).containerStatus(
        ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
    Path log = Path.of(status.getLogPath());
    if (!Files.exists(log)) {
      System.err.println("berthctl: log file " + log + " does not exist");
      return 1;
    }
    try (RandomAccessFile file = new RandomAccessFile(log.toFile(), "r")) {
      Deque<String> lines = new ArrayDeque<>();
      String line;
      while ((line = readLine(file)) != null) {
        lines.add(line);
        if (tail >= 0 && lines.size() > tail) {
          lines.removeFirst();
        }
      }
      lines.forEach(LogsCommand::print);
      while (follow) {
        line = readLine(file);
        if (line != null) {
          print(line);
          continue;
        }
        var state = client.runtime(berthctl.timeoutMillis()).containerStatus(
            ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus().getState();
        if (state != ContainerState.CONTAINER_RUNNING && state != ContainerState.CONTAINER_CREATED) {
          while ((line = readLine(file)) != null) {
            print(line);
          }
          break;
        }
        Thread.sleep(200);
      }
    }
    return 0;
  }

  /** One complete line (without its newline), or null at the end; an unfinished last line waits. */
  private static String readLine(RandomAccessFile file) throws IOException {
    long start = file.getFilePointer();
    var bytes = new ByteArrayOutputStream();
    int b;
    while ((b = file.read()) != -1) {
      if (b == '\n') {
        return bytes.toString(StandardCharsets.UTF_8);
      }
      bytes.write(b);
    }
    file.seek(start);
    return null;
  }

  /** Prints one CRI log line: {@code <time> <stream> <P|F> <content>}. */
  private static void print(String line) {
    String[] parts = line.split(" ", 4);
    if (parts.length < 4) {
      return;
    }
    PrintStream out = parts[1].equals("stderr") ? System.err : System.out;
    out.print(parts[3]);
    if (parts[2].equals("F")) {
      out.println();
    }
    out.flush();
  }
}
