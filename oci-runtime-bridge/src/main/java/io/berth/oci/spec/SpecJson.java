package io.berth.oci.spec;

import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;

/** Writes a {@link RuntimeSpec} as config.json. */
public final class SpecJson {
  private static final ObjectMapper JSON = new ObjectMapper()
      .rebuild().enable(SerializationFeature.INDENT_OUTPUT).build();

  private SpecJson() {}

  public static String write(Object specOrPart) {
    return JSON.writeValueAsString(specOrPart);
  }
}
