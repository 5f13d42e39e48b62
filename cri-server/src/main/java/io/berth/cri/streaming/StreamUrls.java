package io.berth.cri.streaming;

/** Where Exec, Attach and PortForward get the single-use URL of a stream. */
public interface StreamUrls {
  /** A fresh single-use URL for {@code request}. */
  String url(StreamRequest request);
}
