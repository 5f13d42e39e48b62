package io.berth.cri.streaming;

/**
 * The client's end of a command session (exec or attach), whatever protocol carries it (SPDY
 * streams or WebSocket channels). Output methods may block briefly for flow control and are
 * called from the session's own threads, never from an event loop.
 */
interface ClientStreams {
  void stdout(byte[] data, int length);

  void stderr(byte[] data, int length);

  /** Reports how the session ended, then closes every stream and the connection. */
  void finish(SessionResult result);

  /** Holds off reading the client while the session's stdin queue is full (see InputPump). */
  ReadGate readGate();
}
