package io.sscsi.errors;

import static org.junit.jupiter.api.Assertions.*;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class FailureKindTest {

  @ParameterizedTest
  @EnumSource(FailureKind.class)
  void everyKindHasAKnownCodeAndALabel(FailureKind kind) {
    assertNotEquals(Status.Code.UNKNOWN, kind.code(), "never Unknown for a failure we understand");
    assertNotEquals(Status.Code.OK, kind.code());
    assertFalse(kind.errorType().isBlank());
  }

  @Test
  void providerCodePassesThroughAndUnknownFallsBackToTheTable() {
    var denied = DriverException.fromProvider("vault", Status.PERMISSION_DENIED.withDescription("no").asRuntimeException());
    assertEquals(Status.Code.PERMISSION_DENIED, denied.code());
    assertEquals("GRPCProviderError", denied.errorType());
    var unknown = DriverException.fromProvider("vault", new StatusRuntimeException(Status.UNKNOWN));
    assertEquals(Status.Code.UNAVAILABLE, unknown.code());
    var deadline = DriverException.fromProvider("vault", new StatusRuntimeException(Status.DEADLINE_EXCEEDED));
    assertEquals(FailureKind.PROVIDER_TIMEOUT, deadline.kind());
    var tooBig = DriverException.fromProvider("vault",
        Status.RESOURCE_EXHAUSTED.withDescription("grpc: received message larger than max").asRuntimeException());
    assertTrue(tooBig.getMessage().contains("--max-call-recv-msg-size"));
  }

  @Test
  void anAnswerGrpcJavaCouldNotParseIsABadResponseNotTheProvidersCancel() {
    // what grpc-java's ClientCallImpl reports when the response marshaller throws
    var parse = Status.INTERNAL.withDescription("Invalid protobuf byte sequence")
        .withCause(new com.google.protobuf.InvalidProtocolBufferException("truncated")).asRuntimeException();
    var unreadable = DriverException.fromProvider("vault",
        Status.CANCELLED.withDescription("Failed to read message.").withCause(parse).asRuntimeException());
    assertEquals(FailureKind.PROVIDER_BAD_RESPONSE, unreadable.kind());
    assertEquals(Status.Code.INTERNAL, unreadable.code());
    assertTrue(unreadable.getMessage().contains("not a valid MountResponse"), unreadable.getMessage());
    var cancelledByProvider = DriverException.fromProvider("vault", Status.CANCELLED.asRuntimeException());
    assertEquals(Status.Code.CANCELLED, cancelledByProvider.code(), "a status from the wire passes through");
  }

  @Test
  void providerReportedCodeBecomesTheMetricLabel() {
    assertEquals("AuthFailed", DriverException.providerReported("vault", "AuthFailed").errorType());
  }

  @Test
  void wrappersAreSeenThrough() {
    DriverException inner = new DriverException(FailureKind.SPC_NOT_FOUND, "x");
    assertSame(inner, DriverException.of(new CompletionException(inner)));
    assertEquals(Status.Code.NOT_FOUND, GrpcErrors.toStatus(new CompletionException(inner)).getCode());
    assertEquals(FailureKind.TIMEOUT, DriverException.of(new CompletionException(new TimeoutException())).kind());
    assertEquals(Status.Code.INTERNAL, GrpcErrors.toStatus(new IllegalStateException("bug")).getCode());
  }
}
