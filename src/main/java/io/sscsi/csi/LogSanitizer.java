package io.sscsi.csi;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import io.sscsi.csi.v1.NodePublishVolumeRequest;
import io.sscsi.errors.ForeignText;
import java.util.Locale;
import java.util.Map;

/**
 * Renders CSI requests for logs with every secret removed: the {@code secrets} field (node-publish
 * secrets, and with KEP-5538 service-account tokens) is replaced by its key count, and volume
 * context values whose key mentions a token, secret or password are replaced by {@code
 * ***stripped***} (CVE-2023-2878 class). Every string is cut as {@link ForeignText} cuts a
 * provider's text (a pod author picks the class name and namespace). Nothing else may log a request.
 */
public final class LogSanitizer {
  static final String STRIPPED = "***stripped***";
  /** A request is rendered to at most this many characters: a huge request must not flood the log. */
  static final int MAX_CHARS = 4096;

  private LogSanitizer() {}

  public static String describe(Object request) {
    if (!(request instanceof Message message)) {
      return String.valueOf(request == null ? "" : request.getClass().getSimpleName());
    }
    Message.Builder b = message.toBuilder();
    int secretKeys = 0;
    FieldDescriptor secrets = message.getDescriptorForType().findFieldByName("secrets");
    if (secrets != null) {
      secretKeys = message.getRepeatedFieldCount(secrets);
      b.clearField(secrets);
    }
    for (FieldDescriptor f : message.getDescriptorForType().getFields()) {
      if (f.getType() == FieldDescriptor.Type.STRING && !f.isRepeated()) {
        b.setField(f, ForeignText.bounded((String) message.getField(f))); // kubelet's and pod authors' text
      }
    }
    if (b instanceof NodePublishVolumeRequest.Builder publish) {
      for (Map.Entry<String, String> e : message instanceof NodePublishVolumeRequest p
          ? p.getVolumeContextMap().entrySet() : Map.<String, String>of().entrySet()) {
        publish.putVolumeContext(ForeignText.bounded(e.getKey()),
            sensitiveKey(e.getKey()) ? STRIPPED : ForeignText.bounded(e.getValue()));
        if (e.getKey().length() > ForeignText.MAX_CHARS) {
          publish.removeVolumeContext(e.getKey());
        }
      }
    }
    String text = TextFormat.shortDebugString(b.build());
    if (text.length() > MAX_CHARS) {
      text = text.substring(0, MAX_CHARS) + "...(" + text.length() + " characters)";
    }
    return secrets == null ? text : text + " secrets: <" + secretKeys + " keys>";
  }

  static boolean sensitiveKey(String key) {
    String k = key.toLowerCase(Locale.ROOT);
    return k.contains("token") || k.contains("secret") && !k.equals("secretproviderclass")
        || k.contains("password");
  }
}
