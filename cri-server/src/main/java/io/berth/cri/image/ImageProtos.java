package io.berth.cri.image;

import io.berth.image.store.ImageRecord;
import io.berth.proto.runtime.v1.Image;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.Int64Value;

/** Turns image records into CRI {@code Image} messages. */
final class ImageProtos {
  private ImageProtos() {}

  static Image toProto(ImageRecord record) {
    Image.Builder image = Image.newBuilder()
        .setId(record.id())
        .addAllRepoTags(record.repoTags())
        .addAllRepoDigests(record.repoDigests())
        .setSize(record.size())
        .setSpec(ImageSpec.newBuilder().setImage(record.id()))
        .setPinned(record.pinned());
    // The kubelet checks runAsNonRoot against these: a numeric user becomes uid, a name username.
    String user = record.config() == null ? null : record.config().runtime().user();
    if (user != null && !user.isEmpty()) {
      String name = user.contains(":") ? user.substring(0, user.indexOf(':')) : user;
      if (name.matches("\\d+")) {
        image.setUid(Int64Value.newBuilder().setValue(Long.parseLong(name)));
      } else {
        image.setUsername(name);
      }
    }
    return image.build();
  }
}
