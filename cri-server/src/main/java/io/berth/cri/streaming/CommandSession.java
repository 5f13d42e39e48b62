package io.berth.cri.streaming;

/**
 * A running command session as the protocol side sees it: input from the client arrives here.
 * Every method returns at once (they run on the connection's event loop).
 */
interface CommandSession {
  void stdin(byte[] data);

  /** The client half-closed stdin. */
  void stdinClosed();

  void resize(int width, int height);

  /** The client went away: an exec'd command is killed, an attach detaches. */
  void clientGone();
}
