package io.berth.cri.events;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches conmon's exit directory (inotify) and reports each container ID whose exit file
 * appears, so that exits are noticed (and STOPPED events sent) at once, not at the next poll.
 */
public final class ExitWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ExitWatcher.class);

  private final WatchService watcher;
  private final Thread thread;

  public ExitWatcher(Path exitDir, Consumer<String> onExit) throws IOException {
    Files.createDirectories(exitDir);
    this.watcher = FileSystems.getDefault().newWatchService();
    exitDir.register(watcher, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
    this.thread = Thread.ofPlatform().daemon().name("exit-watcher").start(() -> {
      try {
        while (true) {
          WatchKey key = watcher.take();
          for (var event : key.pollEvents()) {
            if (event.context() instanceof Path name && !name.toString().contains(".")) {
              try {
                onExit.accept(name.toString());
              } catch (RuntimeException e) {
                log.warn("cannot handle exit of container={} error={}", name, e.getMessage());
              }
            }
          }
          key.reset();
        }
      } catch (InterruptedException | ClosedWatchServiceException e) {
        // closing
      }
    });
  }

  @Override
  public void close() throws IOException {
    watcher.close();
    thread.interrupt();
  }
}
