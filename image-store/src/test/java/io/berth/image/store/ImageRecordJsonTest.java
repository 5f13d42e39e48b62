package io.berth.image.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.image.oci.ImageConfig;
import io.berth.snapshot.StoredJson;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.ObjectMapper;

class ImageRecordJsonTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aRecordWrittenByJacksonReadsBackEqual() {
    Map<String, Object> ports = new LinkedHashMap<>();
    ports.put("80/tcp", Map.of());
    ImageRecord record = new ImageRecord("sha256:aa", List.of("r/x:1", "r/x:latest"), List.of("r/x@sha256:bb"), 1234,
        List.of("sha256:bb"), List.of("sha256:cc"), List.of("sha256:dd"),
        new ImageConfig("amd64", "linux", "v8", "2024-01-02T03:04:05Z",
            new ImageConfig.Runtime("1000:1000", List.of("PATH=/bin"), List.of("/entry"), List.of("serve", "-v"),
                "/srv", Map.of("/data", Map.of()), "SIGQUIT", Map.of("a", "b"), ports),
            new ImageConfig.RootFs("layers", List.of("sha256:dd"))),
        true);

    assertThat(read(JSON.writeValueAsString(record))).isEqualTo(record);
  }

  @Test
  void nullAndMissingFieldsReadAsDataBindingReadThem() {
    ImageRecord record = new ImageRecord("sha256:aa", List.of(), List.of(), 0, List.of(), List.of(), List.of(),
        new ImageConfig(null, null, null, null, null, null), false);

    assertThat(read(JSON.writeValueAsString(record))).isEqualTo(record);
    assertThat(read("""
        {"id":"sha256:aa","repoTags":[],"repoDigests":[],"manifests":[],"layers":[],"chainIds":[]}""").config())
        .isNull();
  }

  @Test
  void aNullInAnArrayStaysAsDataBindingKeptIt() {
    List<String> env = Arrays.asList("A=1", null);
    ImageRecord record = new ImageRecord("sha256:aa", List.of(), List.of(), 0, List.of(), List.of(), List.of(),
        new ImageConfig(null, null, null, null,
            new ImageConfig.Runtime(null, env, null, null, null, null, null, null, null), null),
        false);

    assertThat(read(JSON.writeValueAsString(record)).config().runtime().env()).isEqualTo(env);
  }

  @Test
  void aValueOfTheWrongTypeNamesTheField() {
    assertThatThrownBy(() -> read("""
        {"id":"sha256:aa","repoTags":"r/x:1"}""")).hasMessage("field 'repoTags' is not an array");
    assertThatThrownBy(() -> read("[]")).isInstanceOf(IllegalArgumentException.class);
  }

  private static ImageRecord read(String text) {
    return ImageRecord.read(StoredJson.parse(JSON, text));
  }
}
