package io.sscsi.synccontroller;

import io.fabric8.kubernetes.api.model.Secret;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pure: takes the secrets this controller holds for one sync (the tokens it sent, the values it last
 * applied, plain and base64) out of a text that comes from outside (a provider's error message)
 * before it goes into a condition or a log: a provider that quotes a value or a token back in its
 * error must not put it in the SecretSync's status. Each occurrence becomes {@value #MARK}. Strings
 * shorter than {@value #MIN_LENGTH} characters are left alone (they would match ordinary words).
 */
final class Redaction {
  static final String MARK = "[redacted]";
  static final int MIN_LENGTH = 4;
  private static final JsonMapper JSON = JsonMapper.builder().build();

  private Redaction() {}

  static String redact(String text, List<String> secrets) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = text;
    List<String> longestFirst = new ArrayList<>(secrets);
    longestFirst.sort(Comparator.comparingInt(String::length).reversed());
    for (String s : longestFirst) {
      if (s != null && s.length() >= MIN_LENGTH) {
        out = out.replace(s, MARK);
      }
    }
    return out;
  }

  /** The tokens in the provider's {@code serviceAccount.tokens} attribute, and the values in {@code applied}. */
  static List<String> secretsOf(Optional<String> tokensJson, Optional<Secret> applied) {
    List<String> all = new ArrayList<>();
    tokensJson.ifPresent(json -> {
      try {
        for (JsonNode t : JSON.readTree(json).values()) {
          JsonNode token = t.get("token");
          if (token != null && token.isString()) {
            all.add(token.asString());
          }
        }
      } catch (RuntimeException unreadable) {
        all.add(json);
      }
    });
    applied.map(Secret::getData).ifPresent(data -> data.values().forEach(b64 -> {
      all.add(b64);
      try {
        all.add(new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8));
      } catch (IllegalArgumentException notBase64) {
        // written by us: always base64
      }
    }));
    return all;
  }
}
