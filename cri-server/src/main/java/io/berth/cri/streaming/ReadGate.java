package io.berth.cri.streaming;

import io.netty.channel.Channel;

/**
 * Stops and resumes reading one client connection (Netty's auto-read) for the input pumps fed
 * from it: while any of them holds it, nothing more is read from the socket, so TCP's own flow
 * control slows the client instead of berthd queuing what a command does not read. The whole
 * connection waits (resizes, other streams, SPDY window updates) until the command reads again:
 * holding back one SPDY stream's window is no option, as kubectl's SPDY library (spdystream)
 * writes data frames without looking at the window.
 */
final class ReadGate {
  /** For a pump fed by nothing that can be paused (tests): holding it does nothing. */
  static final ReadGate NONE = new ReadGate(null);

  private final Channel channel;
  private int holders;

  ReadGate(Channel channel) {
    this.channel = channel;
  }

  synchronized void hold() {
    if (holders++ == 0 && channel != null) {
      channel.config().setAutoRead(false);
    }
  }

  synchronized void release() {
    if (holders > 0 && --holders == 0 && channel != null) {
      channel.config().setAutoRead(true); // also asks for the next read
    }
  }

  synchronized boolean held() {
    return holders > 0;
  }
}
