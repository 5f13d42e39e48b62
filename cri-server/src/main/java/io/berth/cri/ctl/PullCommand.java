package io.berth.cri.ctl;

import io.berth.cri.client.CriClient;
import io.berth.proto.runtime.v1.AuthConfig;
import io.berth.proto.runtime.v1.ImageSpec;
import io.berth.proto.runtime.v1.PullImageRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code berthctl pull IMAGE}: pulls an image, with optional {@code --creds USER[:PASSWORD]}. */
@Command(name = "pull", description = "Pull an image.")
final class PullCommand extends Berthctl.ImageCommand {
  @Parameters(index = "0", paramLabel = "IMAGE")
  String image;

  @Option(names = "--creds", paramLabel = "USER[:PASSWORD]", description = "Registry credentials.")
  String creds;

  @Option(names = "--auth", paramLabel = "AUTH", description = "Base64 of USER:PASSWORD.")
  String auth;

  @Override
  int run(CriClient client) {
    PullImageRequest.Builder request = PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(image));
    AuthConfig.Builder authConfig = AuthConfig.newBuilder();
    if (creds != null) {
      int colon = creds.indexOf(':');
      authConfig.setUsername(colon < 0 ? creds : creds.substring(0, colon));
      authConfig.setPassword(colon < 0 ? "" : creds.substring(colon + 1));
    }
    if (auth != null) {
      authConfig.setAuth(auth);
    }
    request.setAuth(authConfig);
    String id = client.images(berthctl.timeoutMillis()).pullImage(request.build()).getImageRef();
    System.out.println("Image is up to date for " + id);
    return 0;
  }
}
