package io.berth.cri.image;

import io.berth.cri.server.BatchedReplies;
import io.berth.cri.server.Replies;
import io.berth.proto.runtime.v1.ImageFsInfoRequest;
import io.berth.proto.runtime.v1.ImageFsInfoResponse;
import io.berth.proto.runtime.v1.ImageServiceGrpc;
import io.berth.proto.runtime.v1.ImageStatusRequest;
import io.berth.proto.runtime.v1.ImageStatusResponse;
import io.berth.proto.runtime.v1.ListImagesRequest;
import io.berth.proto.runtime.v1.ListImagesResponse;
import io.berth.proto.runtime.v1.PullImageRequest;
import io.berth.proto.runtime.v1.PullImageResponse;
import io.berth.proto.runtime.v1.RemoveImageRequest;
import io.berth.proto.runtime.v1.RemoveImageResponse;
import io.berth.proto.runtime.v1.StreamImagesRequest;
import io.berth.proto.runtime.v1.StreamImagesResponse;
import io.grpc.stub.StreamObserver;

/** The gRPC face of the ImageService: hands each RPC to its handler; StreamImages batches ListImages' list. */
public final class ImageServiceAdapter extends ImageServiceGrpc.ImageServiceImplBase {
  private final PullImageHandler pull;
  private final ImageStatusHandler status;
  private final ListImagesHandler list;
  private final RemoveImageHandler remove;
  private final ImageFsInfoHandler fsInfo;

  public ImageServiceAdapter(PullImageHandler pull, ImageStatusHandler status, ListImagesHandler list,
      RemoveImageHandler remove, ImageFsInfoHandler fsInfo) {
    this.pull = pull;
    this.status = status;
    this.list = list;
    this.remove = remove;
    this.fsInfo = fsInfo;
  }

  @Override
  public void pullImage(PullImageRequest request, StreamObserver<PullImageResponse> response) {
    Replies.unary(response, pull.handle(request));
  }

  @Override
  public void imageStatus(ImageStatusRequest request, StreamObserver<ImageStatusResponse> response) {
    Replies.unary(response, status.handle(request));
  }

  @Override
  public void listImages(ListImagesRequest request, StreamObserver<ListImagesResponse> response) {
    Replies.unary(response, list.handle(request));
  }

  @Override
  public void streamImages(StreamImagesRequest request, StreamObserver<StreamImagesResponse> response) {
    BatchedReplies.send(list.list(request.getFilter()),
        batch -> StreamImagesResponse.newBuilder().addAllImages(batch).build(), response);
  }

  @Override
  public void removeImage(RemoveImageRequest request, StreamObserver<RemoveImageResponse> response) {
    Replies.unary(response, remove.handle(request));
  }

  @Override
  public void imageFsInfo(ImageFsInfoRequest request, StreamObserver<ImageFsInfoResponse> response) {
    Replies.unary(response, fsInfo.handle(request));
  }
}
