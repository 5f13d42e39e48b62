package io.berth.cri.server;

import com.google.protobuf.MessageLite;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A response marshaller that keeps the bytes of the last few responses it serialized and sends
 * them again when a call answers with the same message instance. The kubelet relists every pod
 * and container every second, and the list handlers answer an unchanged list with the same
 * response ({@code UnchangedList}); encoding it again (every ID, label and annotation) was most
 * of such a call under berthd's C1-only JIT. Status, asked every few seconds, answers an
 * unchanged readiness the same way ({@code StatusHandler}).
 */
final class LastResponseBytes<T> implements MethodDescriptor.Marshaller<T> {
  /** A few: the kubelet relists with one or two filters, and each slot holds one response per relist. */
  private static final int SLOTS = 4;

  private record Written(Object message, byte[] bytes) {}

  private final MethodDescriptor.Marshaller<T> proto;
  private final Written[] written = new Written[SLOTS];
  private int next;

  private LastResponseBytes(MethodDescriptor.Marshaller<T> proto) {
    this.proto = proto;
  }

  /** {@code service} with the response marshaller of {@code methods} (full names) replaced by one of these. */
  static ServerServiceDefinition wrap(ServerServiceDefinition service, Set<String> methods) {
    ServiceDescriptor original = service.getServiceDescriptor();
    if (original.getMethods().stream().noneMatch(method -> methods.contains(method.getFullMethodName()))) {
      return service;
    }
    List<ServerMethodDefinition<?, ?>> definitions = new ArrayList<>();
    // Reflection (grpcurl, grpc_cli) reads the schema descriptor: it stays the generated one.
    ServiceDescriptor.Builder descriptor =
        ServiceDescriptor.newBuilder(original.getName()).setSchemaDescriptor(original.getSchemaDescriptor());
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      ServerMethodDefinition<?, ?> definition =
          methods.contains(method.getMethodDescriptor().getFullMethodName()) ? remembering(method) : method;
      definitions.add(definition);
      descriptor.addMethod(definition.getMethodDescriptor());
    }
    ServerServiceDefinition.Builder wrapped = ServerServiceDefinition.builder(descriptor.build());
    definitions.forEach(wrapped::addMethod);
    return wrapped.build();
  }

  private static <Q, R> ServerMethodDefinition<Q, R> remembering(ServerMethodDefinition<Q, R> method) {
    MethodDescriptor<Q, R> descriptor = method.getMethodDescriptor();
    return ServerMethodDefinition.create(
        descriptor.toBuilder().setResponseMarshaller(new LastResponseBytes<>(descriptor.getResponseMarshaller()))
            .build(),
        method.getServerCallHandler());
  }

  @Override
  public InputStream stream(T value) {
    return new Bytes(bytesOf(value));
  }

  @Override
  public T parse(InputStream stream) {
    return proto.parse(stream);
  }

  private synchronized byte[] bytesOf(T value) {
    for (Written slot : written) {
      if (slot != null && slot.message() == value) {
        return slot.bytes();
      }
    }
    byte[] bytes = ((MessageLite) value).toByteArray();
    written[next] = new Written(value, bytes);
    next = (next + 1) % SLOTS;
    return bytes;
  }

  /** Bytes gRPC can size and copy into its frame in one go. */
  private static final class Bytes extends ByteArrayInputStream implements KnownLength, Drainable {
    Bytes(byte[] bytes) {
      super(bytes);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int length = count - pos;
      target.write(buf, pos, length);
      pos = count;
      return length;
    }
  }
}
