package io.berth.cri.ctl;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.Image;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.ImageStatusRequest;
import io.berth.proto.runtime.v1.ImageStatusResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.node.ObjectNode;

/** {@code berthctl inspecti IMAGE}: an image's status and verbose info as JSON. */
@Command(name = "inspecti", description = "Show an image's status and configuration as JSON.")
final class InspectImageCommand extends Berthctl.ImageCommand {
  private static final ObjectMapper JSON = new ObjectMapper()
      .rebuild().enable(SerializationFeature.INDENT_OUTPUT).build();

  @Parameters(index = "0", paramLabel = "IMAGE")
  String image;

  @Override
  int run(CriClient client) {
    ImageStatusResponse response = client.images(berthctl.timeoutMillis()).imageStatus(ImageStatusRequest.newBuilder()
        .setImage(ImageSpec.newBuilder().setImage(image)).setVerbose(true).build());
    if (!response.hasImage()) {
      System.err.println("berthctl: no such image " + image);
      return 1;
    }
    Image i = response.getImage();
    ObjectNode root = JSON.createObjectNode();
    ObjectNode status = root.putObject("status");
    status.put("id", i.getId());
    i.getRepoTagsList().forEach(status.withArray("repoTags")::add);
    i.getRepoDigestsList().forEach(status.withArray("repoDigests")::add);
    status.put("size", Long.toString(i.getSize()));
    if (i.hasUid()) {
      status.putObject("uid").put("value", Long.toString(i.getUid().getValue()));
    }
    status.put("username", i.getUsername());
    status.put("pinned", i.getPinned());
    response.getInfoMap().forEach((k, v) -> root.set(k, JSON.readTree(v)));
    System.out.println(JSON.writeValueAsString(root));
    return 0;
  }
}
