package io.sscsi.fileprovider;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.sscsi.fileprovider.ObjectsParameter.ObjectSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Reads objects from files under one root directory. A name is a relative path below the root;
 * an absolute name, a {@code ..} element, or a symlink anywhere on the way that resolves outside
 * the root is refused (INVALID_ARGUMENT naming the object), and a missing file is NOT_FOUND. An
 * object's version is the first 16 hex digits of the SHA-256 of its bytes, so it changes exactly
 * when the content does; a class that pins {@code objectVersion} gets FAILED_PRECONDITION when the
 * file holds another version. Blocking. Messages name objects and paths, never content.
 */
public final class ObjectFiles {
  /** Larger files are refused rather than read into memory: the driver takes 4 MiB per volume by default. */
  static final long MAX_OBJECT_BYTES = 16L * 1024 * 1024;

  private final Path root;

  /** @param root an existing directory; resolved to its real path once */
  public ObjectFiles(Path root) throws IOException {
    this.root = root.toRealPath();
    if (!Files.isDirectory(this.root)) {
      throw new IOException(root + " is not a directory");
    }
  }

  public Path root() {
    return root;
  }

  /** One object read from disk. */
  public record Loaded(ObjectSpec spec, byte[] contents, String version) {}

  /** Pure: why {@code name} (an objectName or objectAlias) cannot be a path below a root, if it cannot. */
  static Optional<String> nameProblem(String name) {
    if (name.isEmpty()) {
      return Optional.of("is empty");
    }
    if (name.startsWith("/")) {
      return Optional.of("is absolute");
    }
    if (name.indexOf('\0') >= 0) {
      return Optional.of("contains a NUL character");
    }
    for (String element : name.split("/")) {
      if (element.equals("..")) {
        return Optional.of("contains a '..' element");
      }
    }
    return Optional.empty();
  }

  /** The object's version: first 16 hex digits of SHA-256 of its content. */
  public static String version(byte[] contents) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(contents)).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * Reads {@code spec}'s file.
   *
   * @throws StatusRuntimeException INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION or INTERNAL
   */
  public Loaded read(ObjectSpec spec) {
    String name = spec.objectName();
    nameProblem(name).ifPresent(p -> {
      throw refuse(Status.INVALID_ARGUMENT, "object " + name + " is refused: its name " + p
          + " (names are paths below the provider root)");
    });
    if (spec.objectAlias() != null) {
      nameProblem(spec.objectAlias()).ifPresent(p -> {
        throw refuse(Status.INVALID_ARGUMENT, "object " + name + " is refused: its objectAlias " + p);
      });
    }
    Path file;
    try {
      file = root.resolve(name).toRealPath();
    } catch (NoSuchFileException e) {
      throw refuse(Status.NOT_FOUND, "object " + name + " not found: no file " + root.resolve(name));
    } catch (IOException e) {
      throw refuse(Status.INTERNAL, "object " + name + " cannot be read: " + e.getClass().getSimpleName());
    }
    if (!file.startsWith(root) || file.equals(root)) {
      throw refuse(Status.INVALID_ARGUMENT, "object " + name + " is refused: it resolves outside the provider root "
          + root + " (through a symlink)");
    }
    if (!Files.isRegularFile(file)) {
      throw refuse(Status.INVALID_ARGUMENT, "object " + name + " is refused: " + file + " is not a regular file");
    }
    byte[] contents;
    try {
      if (Files.size(file) > MAX_OBJECT_BYTES) {
        throw refuse(Status.FAILED_PRECONDITION, "object " + name + " is larger than " + MAX_OBJECT_BYTES + " bytes");
      }
      contents = Files.readAllBytes(file);
    } catch (IOException e) {
      throw refuse(Status.INTERNAL, "object " + name + " cannot be read: " + e.getClass().getSimpleName());
    }
    String version = version(contents);
    if (spec.objectVersion() != null && !spec.objectVersion().equals(version)) {
      throw refuse(Status.FAILED_PRECONDITION, "object " + name + " is at version " + version
          + " but the class pins objectVersion " + spec.objectVersion());
    }
    return new Loaded(spec, contents, version);
  }

  private static StatusRuntimeException refuse(Status status, String message) {
    return status.withDescription(message).asRuntimeException();
  }
}
