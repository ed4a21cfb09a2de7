package io.sscsi.errors;

import io.grpc.Status;
import io.grpc.StatusException;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.grpc.GrpcServiceException;

/** Turns any failure into the gRPC status a caller receives; the only place that does. */
public final class GrpcErrors {
  private GrpcErrors() {}

  public static Status toStatus(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof StatusRuntimeException sre) {
      return sre.getStatus();
    }
    if (t instanceof StatusException se) {
      return se.getStatus();
    }
    if (t instanceof GrpcServiceException gse) {
      return gse.getStatus();
    }
    return DriverException.of(t).toStatus();
  }
}
