package io.sscsi.provider;

import static org.junit.jupiter.api.Assertions.*;

import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.spc.ProviderClass;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
    assertEquals(valid, ProviderName.valid(name));
    ProviderClass spc = new ProviderClass("ns", "spc", name, Map.of(), List.of());
    if (valid) {
      assertEquals(name, ProviderName.of(spc).value());
    } else {
      DriverException e = assertThrows(DriverException.class, () -> ProviderName.of(spc));
      assertEquals(FailureKind.SPC_INVALID, e.kind());
      assertTrue(e.getMessage().contains("SecretProviderClass ns/spc"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> new ProviderName(name));
    }
  }

  @Test
  void additionalDirectoriesAreSearchedBeforeTheProviderVolume() throws Exception {
    Path additional = Files.createDirectories(dir.resolve("etc"));
    Path volume = Files.createDirectories(dir.resolve("run"));
    ProviderName vault = new ProviderName("vault");
    Files.createFile(volume.resolve("vault.sock"));
    assertEquals(volume.resolve("vault.sock"), ProviderSockets.locate(vault, List.of(additional, volume)));
    Files.createFile(additional.resolve("vault.sock"));
    assertEquals(additional.resolve("vault.sock"), ProviderSockets.locate(vault, List.of(additional, volume)));
  }

  @Test
  void missingSocketIsProviderNotFound() {
    DriverException e = assertThrows(DriverException.class,
        () -> ProviderSockets.locate(new ProviderName("aws"), List.of(dir)));
    assertEquals(FailureKind.PROVIDER_NOT_FOUND, e.kind());
    assertTrue(ProviderSockets.find(new ProviderName("aws"), List.of(dir)).isEmpty());
  }
}
