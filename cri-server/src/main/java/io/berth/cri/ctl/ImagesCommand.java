package io.berth.cri.ctl;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.Image;
import io.berth.proto.runtime.v1.ImageFilter;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.ListImagesRequest;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berthctl images [IMAGE]}: lists images as crictl does (IMAGE, TAG, IMAGE ID, SIZE). */
@Command(name = "images", aliases = "image", description = "List images.")
final class ImagesCommand extends Berthctl.ImageCommand {
  @Parameters(index = "0", arity = "0..1", paramLabel = "IMAGE")
  String image;

  @Option(names = {"-q", "--quiet"}, description = "Only show image IDs.")
  boolean quiet;

  @Override
  int run(CriClient client) {
    ListImagesRequest.Builder request = ListImagesRequest.newBuilder();
    if (image != null) {
      request.setFilter(ImageFilter.newBuilder().setImage(ImageSpec.newBuilder().setImage(image)));
    }
    List<Image> images = client.images(berthctl.timeoutMillis()).listImages(request.build()).getImagesList();
    if (quiet) {
      images.forEach(i -> System.out.println(i.getId()));
      return 0;
    }
    System.out.printf("%-50s %-20s %-15s %s%n", "IMAGE", "TAG", "IMAGE ID", "SIZE");
    for (Image i : images) {
      String shortId = i.getId().substring(i.getId().indexOf(':') + 1, Math.min(i.getId().length(), 7 + 13));
      if (i.getRepoTagsCount() == 0) {
        String repo = i.getRepoDigestsCount() > 0 ? i.getRepoDigests(0).split("@")[0] : "<none>";
        System.out.printf("%-50s %-20s %-15s %s%n", repo, "<none>", shortId, humanSize(i.getSize()));
      }
      for (String tag : i.getRepoTagsList()) {
        int colon = tag.lastIndexOf(':');
        System.out.printf("%-50s %-20s %-15s %s%n", tag.substring(0, colon), tag.substring(colon + 1), shortId,
            humanSize(i.getSize()));
      }
    }
    return 0;
  }

  static String humanSize(long bytes) {
    String[] units = {"B", "kB", "MB", "GB", "TB"};
    double value = bytes;
    int unit = 0;
    while (value >= 1000 && unit < units.length - 1) {
      value /= 1000;
      unit++;
    }
    return unit == 0 ? bytes + "B" : String.format("%.3g%s", value, units[unit]);
  }
}
