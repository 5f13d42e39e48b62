package io.berth.cri.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.berth.proto.runtime.v1.Container;
import io.berth.proto.runtime.v1.ListContainersResponse;
import io.berth.proto.runtime.v1.RuntimeServiceGrpc;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LastResponseBytesTest {
  private static final String LIST = RuntimeServiceGrpc.getListContainersMethod().getFullMethodName();
  private static final ServerServiceDefinition RUNTIME =
      LastResponseBytes.wrap(new RuntimeServiceGrpc.RuntimeServiceImplBase() {}.bindService(), Set.of(LIST));

  @SuppressWarnings("unchecked")
  private static MethodDescriptor.Marshaller<ListContainersResponse> marshaller() {
    return (MethodDescriptor.Marshaller<ListContainersResponse>) RUNTIME.getMethod(LIST).getMethodDescriptor()
        .getResponseMarshaller();
  }

  @Test
  void onlyTheNamedMethodsGetTheMarshallerAndEveryOtherMethodStays() {
    assertThat(marshaller()).isInstanceOf(LastResponseBytes.class);
    String version = RuntimeServiceGrpc.getVersionMethod().getFullMethodName();
    assertThat(RUNTIME.getMethod(version).getMethodDescriptor().getResponseMarshaller())
        .isNotInstanceOf(LastResponseBytes.class);
    assertThat(RUNTIME.getMethods()).hasSameSizeAs(new RuntimeServiceGrpc.RuntimeServiceImplBase() {}
        .bindService().getMethods());
  }

  @Test
  void theSchemaDescriptorStaysForReflectionAndAServiceWithoutTheMethodsIsReturnedAsItIs() {
    ServerServiceDefinition plain = new RuntimeServiceGrpc.RuntimeServiceImplBase() {}.bindService();
    assertThat(RUNTIME.getServiceDescriptor().getSchemaDescriptor())
        .isNotNull().isSameAs(plain.getServiceDescriptor().getSchemaDescriptor());
    assertThat(LastResponseBytes.wrap(plain, Set.of("runtime.v1.ImageService/ListImages"))).isSameAs(plain);
  }

  @Test
  void aResponseSentAgainIsTheSameBytesAndAnotherInstanceIsSerializedAfresh() throws Exception {
    MethodDescriptor.Marshaller<ListContainersResponse> marshaller = marshaller();
    ListContainersResponse one = response("c1");
    byte[] first = drain(marshaller.stream(one));
    assertThat(drain(marshaller.stream(one))).isEqualTo(first);
    assertThat(marshaller.parse(new ByteArrayInputStream(first))).isEqualTo(one);

    ListContainersResponse two = response("c2");
    assertThat(marshaller.parse(new ByteArrayInputStream(drain(marshaller.stream(two))))).isEqualTo(two);
    for (int i = 0; i < 10; i++) {
      ListContainersResponse other = response("x" + i);
      assertThat(drain(marshaller.stream(other))).isEqualTo(other.toByteArray());
    }
    assertThat(drain(marshaller.stream(one))).as("after its slot was reused").isEqualTo(one.toByteArray());
  }

  private static ListContainersResponse response(String id) {
    return ListContainersResponse.newBuilder().addContainers(Container.newBuilder().setId(id).putLabels("k", "v"))
        .build();
  }

  /** What gRPC does with the stream: its length, then drained into the frame. */
  private static byte[] drain(InputStream stream) throws Exception {
    assertThat(stream).isInstanceOf(KnownLength.class).isInstanceOf(Drainable.class);
    int length = stream.available();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(((Drainable) stream).drainTo(out)).isEqualTo(length);
    return out.toByteArray();
  }
}
