package io.sscsi.cli;

import io.grpc.Status;

/**
 * A CLI command's failure: the gRPC status code the call ended with (or the code that best says
 * what is wrong when no call was made) and a message for the operator, printed as exactly one
 * line {@code sscsi <command>: <code>: <message>}. Messages never hold secret values or tokens.
 */
public final class CliFailure extends RuntimeException {
  private final Status.Code code;

  public CliFailure(Status.Code code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public Status.Code code() {
    return code;
  }

  /** The one line printed on stderr: newlines and runs of blanks in the message become one space. */
  public String line(String command) {
    String message = getMessage() == null ? "" : getMessage().replaceAll("\\s+", " ").strip();
    return "sscsi " + command + ": " + code + ": " + message;
  }
}
