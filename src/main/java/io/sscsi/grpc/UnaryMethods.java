package io.sscsi.grpc;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;

/** Builds grpc-java method descriptors for unary RPCs from pekko-grpc generated messages. */
public final class UnaryMethods {
  private UnaryMethods() {}

  /**
   * The descriptor of {@code /<service>/<method>}.
   *
   * @param service fully-qualified service name, e.g. {@code csi.v1.Node}
   */
  public static <Q extends Message, R extends Message> MethodDescriptor<Q, R> of(
      String service, String method, Q requestPrototype, R responsePrototype) {
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(service, method))
        .setRequestMarshaller(ProtoUtils.marshaller(requestPrototype))
        .setResponseMarshaller(ProtoUtils.marshaller(responsePrototype))
        .build();
  }
}
