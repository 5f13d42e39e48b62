package io.berth.cri.config;

import java.util.function.Supplier;

/**
 * The running configuration as JSON for verbose Status, rendered on first ask and after each
 * reload rather than at start: rendering builds a JSON mapper, which costs start-up time that
 * most nodes never ask for.
 */
public final class RenderedConfig implements Supplier<String> {
  private final ConfigLoader loader;
  private BerthConfig config;
  private String json;

  public RenderedConfig(ConfigLoader loader, BerthConfig config) {
    this.loader = loader;
    this.config = config;
  }

  /** The configuration now in force; rendered when next asked. */
  public synchronized void set(BerthConfig running) {
    config = running;
    json = null;
  }

  @Override
  public synchronized String get() {
    if (json == null) {
      json = loader.renderJson(config);
    }
    return json;
  }
}
