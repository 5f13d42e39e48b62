package io.berth.oci.spec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Golden files: a value's JSON must equal {@code src/test/resources/golden/NAME.json}. Run with
 * {@code -Dberth.golden.update=true} to rewrite them after an intended change, then review the diff.
 */
final class Golden {
  private static final Path DIR = Path.of("src/test/resources/golden");

  private Golden() {}

  static void assertMatches(String name, Object value) {
    String actual = SpecJson.write(value) + "\n";
    Path file = DIR.resolve(name + ".json");
    try {
      if (Boolean.getBoolean("berth.golden.update")) {
        Files.createDirectories(DIR);
        Files.writeString(file, actual);
      }
      assertThat(file).as("golden file %s (create it with -Dberth.golden.update=true)", file).exists();
      assertThat(actual).as("golden %s", name).isEqualTo(Files.readString(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
