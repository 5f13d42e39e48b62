package io.berth.cri.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** berth's own version, stamped into the build from the Maven project version. */
public final class BerthVersion {
  public static final String RUNTIME_NAME = "berth";
  public static final String CRI_API_VERSION = "v1";
  private static final String VERSION = load();

  private BerthVersion() {}

  public static String version() {
    return VERSION;
  }

  private static String load() {
    try (InputStream in = BerthVersion.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
