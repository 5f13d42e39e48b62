package io.berth.cri.ctl;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.ContainerStats;
import io.berth.proto.runtime.v1.ContainerStatsFilter;
import io.berth.proto.runtime.v1.ListContainerStatsRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code berthctl stats}: containers' CPU, memory and writable layer, shaped as crictl's. */
@Command(name = "stats", description = "List container resource usage.")
final class StatsCommand extends Berthctl.RuntimeCommand {
  @Option(names = "--id", description = "Filter by container ID or prefix.")
  String id = "";

  @Option(names = {"-p", "--pod"}, description = "Filter by pod sandbox ID or prefix.")
  String pod = "";

  @Override
  int run(CriClient client) {
    List<ContainerStats> stats = client.runtime(berthctl.timeoutMillis()).listContainerStats(
        ListContainerStatsRequest.newBuilder().setFilter(ContainerStatsFilter.newBuilder().setId(id)
            .setPodSandboxId(pod)).build()).getStatsList();
    System.out.printf("%-15s %-25s %-8s %-12s %-12s %s%n", "CONTAINER", "NAME", "CPU %", "MEM", "DISK", "INODES");
    for (ContainerStats s : stats) {
      String cpu = s.getCpu().hasUsageNanoCores()
          ? String.format("%.2f", s.getCpu().getUsageNanoCores().getValue() / 1e7) : "-";
      System.out.printf("%-15s %-25s %-8s %-12s %-12s %d%n", PodCommands.shortId(s.getAttributes().getId()),
          s.getAttributes().getMetadata().getName(), cpu,
          ImagesCommand.humanSize(s.getMemory().getWorkingSetBytes().getValue()),
          ImagesCommand.humanSize(s.getWritableLayer().getUsedBytes().getValue()),
          s.getWritableLayer().getInodesUsed().getValue());
    }
    return 0;
  }
}
