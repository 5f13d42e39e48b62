package io.berth.cri.ctl;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.FilesystemUsage;
import io.berth.proto.runtime.v1.ImageFsInfoRequest;
import io.berth.proto.runtime.v1.ImageFsInfoResponse;
import java.util.List;
import picocli.CommandLine.Command;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code berthctl imagefsinfo}: image and container filesystem usage as JSON. */
@Command(name = "imagefsinfo", description = "Show image and container filesystem usage.")
final class ImageFsInfoCommand extends Berthctl.ImageCommand {
  private static final ObjectMapper JSON = new ObjectMapper()
      .rebuild().enable(SerializationFeature.INDENT_OUTPUT).build();

  @Override
  int run(CriClient client) {
    ImageFsInfoResponse response = client.images(berthctl.timeoutMillis())
        .imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
    ObjectNode root = JSON.createObjectNode();
    add(root.putArray("imageFilesystems"), response.getImageFilesystemsList());
    add(root.putArray("containerFilesystems"), response.getContainerFilesystemsList());
    System.out.println(JSON.writeValueAsString(root));
    return 0;
  }

  private static void add(ArrayNode array, List<FilesystemUsage> usages) {
    for (FilesystemUsage u : usages) {
      ObjectNode node = array.addObject();
      node.put("timestamp", Long.toString(u.getTimestamp()));
      node.putObject("fsId").put("mountpoint", u.getFsId().getMountpoint());
      node.putObject("usedBytes").put("value", Long.toString(u.getUsedBytes().getValue()));
      node.putObject("inodesUsed").put("value", Long.toString(u.getInodesUsed().getValue()));
    }
  }
}
