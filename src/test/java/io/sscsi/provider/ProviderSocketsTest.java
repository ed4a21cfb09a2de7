package io.sscsi.provider;

import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProviderSocketsTest {
  @TempDir Path dir;

  @ParameterizedTest
  @CsvSource({"vault, true", "azure_kv-2, true", "'', true", "../etc, false", "a/b, false",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, false", "gcp.sock, false"})
  void upstreamNameRule(String name, boolean valid) {
    assertEquals(valid, ProviderSockets.validName(name));
  }

  @Test
  void additionalDirectoriesAreSearchedBeforeTheProviderVolume() throws Exception {
    Path additional = Files.createDirectories(dir.resolve("etc"));
    Path volume = Files.createDirectories(dir.resolve("run"));
    Files.createFile(volume.resolve("vault.sock"));
    assertEquals(volume.resolve("vault.sock"), ProviderSockets.locate("vault", List.of(additional, volume)));
    Files.createFile(additional.resolve("vault.sock"));
    assertEquals(additional.resolve("vault.sock"), ProviderSockets.locate("vault", List.of(additional, volume)));
  }

  @Test
  void missingSocketIsProviderNotFoundAndBadNameIsInvalidClass() {
    assertEquals(FailureKind.PROVIDER_NOT_FOUND,
        assertThrows(DriverException.class, () -> ProviderSockets.locate("aws", List.of(dir))).kind());
    assertEquals(FailureKind.SPC_INVALID,
        assertThrows(DriverException.class, () -> ProviderSockets.locate("../x", List.of(dir))).kind());
  }
}
