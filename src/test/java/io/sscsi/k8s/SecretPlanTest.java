package io.sscsi.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The one write (or none) that makes a Secret what a SecretWrite asks for: table tests, no server. */
class SecretPlanTest {

  static final String MANAGED = SecretProjection.MANAGED_LABEL;
  static final SecretOwner A = new SecretOwner("web-a-app-db", "uid-a");
  static final SecretOwner B = new SecretOwner("web-b-app-db", "uid-b");
  static final SecretOwner C_OTHER_NODE = new SecretOwner("web-c-app-db", "uid-c");

  static DesiredSecret desired(String password) {
    return new DesiredSecret("app", "db", "Opaque", Map.of("password", password.getBytes(StandardCharsets.UTF_8)),
        Map.of(MANAGED, "true", "team", "db"), Map.of("note", "x"));
  }

  static OwnerReference ref(SecretOwner o) {
    return SecretPlan.ownerReference(o);
  }

  static OwnerReference deployment() {
    return new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("ReplicaSet").withName("web-7d")
        .withUid("uid-rs").withController(true).build();
  }

  /** A Secret on the server, as the desired one with password "v1", owned by {@code owners}. */
  static SecretBuilder server(OwnerReference... owners) {
    return new SecretBuilder()
        .withNewMetadata().withNamespace("app").withName("db").withResourceVersion("42")
        .withLabels(new HashMap<>(Map.of(MANAGED, "true", "team", "db")))
        .withAnnotations(new HashMap<>(Map.of("note", "x")))
        .withOwnerReferences(new ArrayList<>(List.of(owners)))
        .endMetadata()
        .withType("Opaque")
        .withData(new HashMap<>(Map.of("password", b64("v1"))));
  }

  /** The plan under the opt-in {@link SecretOwnerPolicy#POD_STATUS} these tables were written for. */
  static SecretPlan.Step podStatusPlan(Secret existing, SecretWrite want) {
    return SecretPlan.plan(existing, want, SecretOwnerPolicy.POD_STATUS);
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  static SecretWrite want(Optional<DesiredSecret> d, Set<SecretOwner> owners, Set<SecretOwner> gone, boolean keep) {
    return new SecretWrite("app", "db", d, owners, gone, keep);
  }

  static SecretWrite content(String password, SecretOwner... owners) {
    return want(Optional.of(desired(password)), Set.of(owners), Set.of(), false);
  }

  @Test
  void anAbsentSecretIsCreatedWithBase64DataLabelsAndSortedOwners() {
    SecretPlan.Step step = podStatusPlan(null, content("v1", B, A));
    Secret s = assertInstanceOf(SecretPlan.Create.class, step).secret();
    assertEquals("Opaque", s.getType());
    assertEquals(Map.of("password", b64("v1")), s.getData());
    assertTrue(s.getStringData() == null || s.getStringData().isEmpty());
    assertEquals(Map.of(MANAGED, "true", "team", "db"), s.getMetadata().getLabels());
    assertEquals(Map.of("note", "x"), s.getMetadata().getAnnotations());
    assertEquals(List.of(ref(A), ref(B)), s.getMetadata().getOwnerReferences());
    OwnerReference owner = s.getMetadata().getOwnerReferences().get(0);
    assertEquals("secrets-store.csi.x-k8s.io/v1", owner.getApiVersion());
    assertEquals("SecretProviderClassPodStatus", owner.getKind());
    assertEquals(null, owner.getController());
    assertEquals(null, owner.getBlockOwnerDeletion());
  }

  static Stream<Arguments> nothingToWrite() {
    return Stream.of(
        Arguments.of("absent, no owner known yet", null, want(Optional.of(desired("v1")), Set.of(), Set.of(), true),
            KubeSecretWriter.Outcome.ABSENT),
        Arguments.of("absent, only owners change", null, want(Optional.empty(), Set.of(A), Set.of(B), false),
            KubeSecretWriter.Outcome.ABSENT),
        Arguments.of("same content and owners", server(ref(A)).build(), content("v1", A),
            KubeSecretWriter.Outcome.UNCHANGED),
        Arguments.of("foreign labels and annotations are left alone", server(ref(A))
            .editMetadata().addToLabels("argocd", "x").addToAnnotations("reloader", "y").endMetadata().build(),
            content("v1", A), KubeSecretWriter.Outcome.UNCHANGED),
        Arguments.of("owners of other nodes and kinds are kept", server(ref(A), ref(C_OTHER_NODE), deployment()).build(),
            content("v1", A), KubeSecretWriter.Outcome.UNCHANGED),
        Arguments.of("gone owner already off", server(ref(A)).build(),
            want(Optional.of(desired("v1")), Set.of(A), Set.of(B), false), KubeSecretWriter.Outcome.UNCHANGED),
        Arguments.of("last owner kept while a pod waits for its owner", server(ref(A)).build(),
            want(Optional.empty(), Set.of(), Set.of(A), true), KubeSecretWriter.Outcome.UNCHANGED),
        Arguments.of("no owner left on the server, but a pod waits for its owner", server().build(),
            want(Optional.empty(), Set.of(), Set.of(A), true), KubeSecretWriter.Outcome.UNCHANGED),
        Arguments.of("not managed, owners only", server(ref(A)).editMetadata().withLabels(Map.of()).endMetadata().build(),
            want(Optional.empty(), Set.of(), Set.of(A), false), KubeSecretWriter.Outcome.NOT_MANAGED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nothingToWrite")
  void noWrite(String name, Secret existing, SecretWrite want, KubeSecretWriter.Outcome outcome) {
    assertEquals(new SecretPlan.Nothing(outcome), podStatusPlan(existing, want));
  }

  static final String RV = "{\"op\":\"replace\",\"path\":\"/metadata/resourceVersion\",\"value\":\"42\"}";

  static String add(String path, String jsonValue) {
    return "{\"op\":\"add\",\"path\":\"" + path + "\",\"value\":" + jsonValue + "}";
  }

  static String owners(String... refs) {
    return add("/metadata/ownerReferences", "[" + String.join(",", refs) + "]");
  }

  static String ops(String... ops) {
    return "[" + RV + "," + String.join(",", ops) + "]";
  }

  static Stream<Arguments> patches() {
    return Stream.of(
        Arguments.of("rotated value", server(ref(A)).build(), content("v2", A),
            ops(add("/data/password", "\"" + b64("v2") + "\""))),
        Arguments.of("a key no longer wanted is removed", server(ref(A)).addToData("old", b64("o")).build(),
            content("v1", A), ops("{\"op\":\"remove\",\"path\":\"/data/old\"}")),
        Arguments.of("no data on the server yet", server(ref(A)).withData(null).build(), content("v1", A),
            ops(add("/data", "{\"password\":\"" + b64("v1") + "\"}"))),
        Arguments.of("our label and annotation values are set, others kept", server(ref(A))
            .editMetadata().addToLabels("team", "web").addToLabels("argocd", "x").addToAnnotations("note", "old")
            .endMetadata().build(), content("v1", A),
            ops(add("/metadata/labels/team", "\"db\""), add("/metadata/annotations/note", "\"x\""))),
        Arguments.of("no annotations on the server yet", server(ref(A)).editMetadata().withAnnotations(null)
            .endMetadata().build(), content("v1", A), ops(add("/metadata/annotations", "{\"note\":\"x\"}"))),
        Arguments.of("a second pod is added after the first", server(ref(A)).build(), content("v1", A, B),
            ops(owners(json(A), json(B)))),
        Arguments.of("new pod added and old pod gone in one write (#2051)", server(ref(A)).build(),
            want(Optional.of(desired("v1")), Set.of(B), Set.of(A), false), ops(owners(json(B)))),
        Arguments.of("gone by name when its uid is unknown", server(ref(A), ref(B)).build(),
            want(Optional.empty(), Set.of(B), Set.of(new SecretOwner(A.name(), null)), false), ops(owners(json(B)))),
        Arguments.of("a stale reference to an earlier object of the same name is replaced",
            server(ref(new SecretOwner(A.name(), "uid-old")), deployment()).build(), content("v1", A),
            ops(owners("{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"web-7d\","
                + "\"uid\":\"uid-rs\",\"controller\":true}", json(A)))),
        Arguments.of("other owners keep the Secret when ours goes", server(ref(A), ref(C_OTHER_NODE)).build(),
            want(Optional.empty(), Set.of(), Set.of(A), false), ops(owners(json(C_OTHER_NODE)))),
        Arguments.of("rotation and a new owner in one patch", server(ref(A)).build(), content("v2", A, B),
            ops(add("/data/password", "\"" + b64("v2") + "\""), owners(json(A), json(B)))));
  }

  static String json(SecretOwner o) {
    return "{\"apiVersion\":\"secrets-store.csi.x-k8s.io/v1\",\"kind\":\"SecretProviderClassPodStatus\",\"name\":\""
        + o.name() + "\",\"uid\":\"" + o.uid() + "\"}";
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("patches")
  void patchSetsOnlyWhatDiffers(String name, Secret existing, SecretWrite want, String patch) {
    SecretPlan.Patch p = assertInstanceOf(SecretPlan.Patch.class, podStatusPlan(existing, want));
    assertEquals(patch, p.patch().toString());
  }

  @Test
  void theLastOwnerGoingDeletesTheSecretLockedToItsVersion() {
    assertEquals(new SecretPlan.Delete("42"),
        podStatusPlan(server(ref(A)).build(), want(Optional.empty(), Set.of(), Set.of(A), false)));
    // GC already took the dangling reference off: still ours to delete
    assertEquals(new SecretPlan.Delete("42"),
        podStatusPlan(server().build(), want(Optional.empty(), Set.of(), Set.of(A), false)));
  }

  static final SecretOwner RS = new SecretOwner("apps/v1", "ReplicaSet", "web-7d", "uid-rs");

  static String rsJson(String uid) {
    return "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"web-7d\",\"uid\":\"" + uid + "\"}";
  }

  static Stream<Arguments> workloadOwners() {
    OwnerReference staleRs = SecretPlan.ownerReference(new SecretOwner("apps/v1", "ReplicaSet", "web-7d", "uid-old"));
    OwnerReference sameNameOtherKind = SecretPlan.ownerReference(new SecretOwner("apps/v1", "StatefulSet", "web-7d", "u"));
    return Stream.of(
        Arguments.of("listed already: nothing", server(ref(RS)).build(), content("v1", RS), null),
        Arguments.of("listed by name with another kind: nothing (upstream dedupes by name)",
            server(sameNameOtherKind).build(), content("v1", RS), null),
        Arguments.of("gone owners are never taken off", server(ref(RS), ref(A)).build(),
            want(Optional.empty(), Set.of(), Set.of(A, RS), false), null),
        Arguments.of("gone last owner: no delete", server(ref(RS)).build(),
            want(Optional.empty(), Set.of(), Set.of(RS), false), null),
        Arguments.of("added after the owners there", server(deployment()).build(), content("v1", RS, A),
            ops(owners("{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"web-7d\","
                + "\"uid\":\"uid-rs\",\"controller\":true}", json(A)))),
        Arguments.of("an earlier object of the same kind and name is replaced", server(ref(A), staleRs).build(),
            content("v1", RS), ops(owners(json(A), rsJson("uid-rs")))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("workloadOwners")
  void workloadOwnersAreOnlyAdded(String name, Secret existing, SecretWrite want, String patch) {
    SecretPlan.Step step = SecretPlan.plan(existing, want, SecretOwnerPolicy.WORKLOAD);
    if (patch == null) {
      assertEquals(new SecretPlan.Nothing(KubeSecretWriter.Outcome.UNCHANGED), step);
    } else {
      assertEquals(patch, assertInstanceOf(SecretPlan.Patch.class, step).patch().toString());
    }
  }

  @Test
  void aWorkloadOwnedSecretIsCreatedWithTheWorkloadAsOwner() {
    Secret s = assertInstanceOf(SecretPlan.Create.class,
        SecretPlan.plan(null, content("v1", RS), SecretOwnerPolicy.WORKLOAD)).secret();
    assertEquals(List.of(ref(RS)), s.getMetadata().getOwnerReferences());
    assertEquals("ReplicaSet", s.getMetadata().getOwnerReferences().get(0).getKind());
  }

  @Test
  void aSecretWithoutTheManagedLabelIsNotOverwritten() {
    Secret foreign = server().editMetadata().withLabels(new LinkedHashMap<>(Map.of("team", "db"))).endMetadata().build();
    SecretPlan.Refuse r = assertInstanceOf(SecretPlan.Refuse.class, podStatusPlan(foreign, content("v1", A)));
    assertTrue(r.reason().contains("not managed by the driver"), r.reason());
  }

  @Test
  void mapKeysAreEscapedAsJsonPointers() {
    assertEquals("example.com~1tier~0x", SecretPlan.pointer("example.com/tier~x"));
  }

  @Test
  void aTypeChangeIsRefused() {
    Secret basic = server(ref(A)).withType("kubernetes.io/basic-auth").build();
    SecretPlan.Refuse r = assertInstanceOf(SecretPlan.Refuse.class, podStatusPlan(basic, content("v1", A)));
    assertTrue(r.reason().contains("type cannot change"), r.reason());
  }

  @Test
  void aSecretBeingDeletedIsWaitedFor() {
    Secret dying = server(ref(A)).editMetadata().withDeletionTimestamp("2026-01-01T00:00:00Z").endMetadata().build();
    assertInstanceOf(SecretPlan.Wait.class, podStatusPlan(dying, content("v1", A)));
  }
}
