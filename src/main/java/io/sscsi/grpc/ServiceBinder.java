package io.sscsi.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.sscsi.errors.GrpcErrors;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Serves implementations of pekko-grpc generated service interfaces (methods returning {@link
 * CompletionStage}) on a grpc-java server: one line per RPC. Failed stages are answered through
 * {@link GrpcErrors#toStatus}, so a failure we understand never reaches the caller as UNKNOWN.
 */
public final class ServiceBinder {
  private final ServerServiceDefinition.Builder builder;
  private final CallObserver observer;

  private ServiceBinder(String serviceName, CallObserver observer) {
    this.builder = ServerServiceDefinition.builder(serviceName);
    this.observer = observer;
  }

  /** Observes every call's outcome (for logging and metrics); must not block. */
  public interface CallObserver {
    CallObserver NONE = (method, request, nanos, failure) -> {};

    void completed(String method, Object request, long nanos, Throwable failure);
  }

  public static ServiceBinder service(String serviceName) {
    return new ServiceBinder(serviceName, CallObserver.NONE);
  }

  public static ServiceBinder service(String serviceName, CallObserver observer) {
    return new ServiceBinder(serviceName, observer);
  }

  public <Q, R> ServiceBinder unary(MethodDescriptor<Q, R> method, Function<Q, CompletionStage<R>> handler) {
    String name = method.getBareMethodName();
    builder.addMethod(
        method,
        ServerCalls.asyncUnaryCall(
            (Q request, StreamObserver<R> responses) -> {
              long start = System.nanoTime();
              if (responses instanceof ServerCallStreamObserver<R> server) {
                server.setOnCancelHandler(() -> {}); // a late answer to a cancelled call is dropped
              }
              CompletionStage<R> result;
              try {
                result = handler.apply(request);
              } catch (RuntimeException e) {
                observer.completed(name, request, System.nanoTime() - start, e);
                responses.onError(GrpcErrors.toStatus(e).asRuntimeException());
                return;
              }
              result.whenComplete(
                  (response, failure) -> {
                    observer.completed(name, request, System.nanoTime() - start, failure);
                    if (failure != null) {
                      responses.onError(GrpcErrors.toStatus(failure).asRuntimeException());
                    } else {
                      responses.onNext(response);
                      responses.onCompleted();
                    }
                  });
            }));
    return this;
  }

  public ServerServiceDefinition build() {
    return builder.build();
  }
}
