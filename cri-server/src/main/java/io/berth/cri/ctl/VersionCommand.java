package io.berth.cri.ctl;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.VersionRequest;
import io.berth.proto.runtime.v1.VersionResponse;
import picocli.CommandLine.Command;

/** {@code berthctl version}: the runtime's name and versions, laid out as crictl prints them. */
@Command(name = "version", description = "Show the runtime's name and version.")
final class VersionCommand extends Berthctl.RuntimeCommand {
  @Override
  int run(CriClient client) {
    VersionResponse v = client.runtime(berthctl.timeoutMillis())
        .version(VersionRequest.newBuilder().setVersion("v1").build());
    System.out.println("Version:  " + v.getVersion());
    System.out.println("RuntimeName:  " + v.getRuntimeName());
    System.out.println("RuntimeVersion:  " + v.getRuntimeVersion());
    System.out.println("RuntimeApiVersion:  " + v.getRuntimeApiVersion());
    return 0;
  }
}
