package io.berth.cri.ctl;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.RemoveImageRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code berthctl rmi IMAGE...}: removes images by reference or ID. */
@Command(name = "rmi", description = "Remove one or more images.")
final class RemoveImageCommand extends Berthctl.ImageCommand {
  @Parameters(arity = "1..*", paramLabel = "IMAGE")
  List<String> images;

  @Override
  int run(CriClient client) {
    for (String image : images) {
      client.images(berthctl.timeoutMillis()).removeImage(RemoveImageRequest.newBuilder()
          .setImage(ImageSpec.newBuilder().setImage(image)).build());
      System.out.println("Deleted: " + image);
    }
    return 0;
  }
}
