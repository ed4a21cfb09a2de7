package io.sscsi.volume;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.sscsi.retry.Backoff;
import io.sscsi.errors.DriverException;
import io.sscsi.errors.FailureKind;
import io.sscsi.fs.AtomicWriter;
import io.sscsi.fs.Mounter;
import io.sscsi.fs.PayloadFile;
import io.sscsi.provider.ProviderCalls;
import io.sscsi.provider.ProviderMountRequest;
import io.sscsi.provider.ProviderMountResult;
import io.sscsi.provider.ProviderName;
import io.sscsi.pods.NodePublishSecrets;
import io.sscsi.pods.PodEvents;
import io.sscsi.pods.PodRef;
import io.sscsi.status.PodStatus;
import io.sscsi.status.PodStatusStore;
import io.sscsi.spc.ProviderClass;
import io.sscsi.sync.SecretSync;
import io.sscsi.testkit.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;

/**
 * The outside world of volume actors, as plain recording fakes: a mounter that records mounts
 * instead of calling mount(2), a status store that can be told to fail, providers the test answers
 * by hand, classes in a map, SecretSync and pod events recorded, nodePublishSecretRef data set by
 * the test; the real AtomicWriter on a temporary directory. Time is the test's: a {@link TestClock}
 * moved together with pekko's ManualTime ({@link #advance}), a fixed jitter of 0.5 (the timer fires
 * after exactly the interval) and a 1 s doubling status retry. No root, no sockets, no sleeps.
 */
final class VolumeFixture {
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

  final ActorTestKit testKit;
  final ManualTime manualTime;
  final TestClock clock = new TestClock(T0);
  final RecordingMounter mounter = new RecordingMounter();
  final RecordingStatuses statuses = new RecordingStatuses();
  final ScriptedProviders providers = new ScriptedProviders();
  final Map<String, ProviderClass> classes = new ConcurrentHashMap<>();
  final RecordingSync sync = new RecordingSync();
  final List<String> events = new CopyOnWriteArrayList<>();
  final FakePublishSecrets publishSecrets = new FakePublishSecrets();

  VolumeFixture(ActorTestKit testKit) {
    this.testKit = testKit;
    this.manualTime = ManualTime.get(testKit.system());
    classes.put("ns/spc", new ProviderClass("ns", "spc", "vault", Map.of("role", "r"), List.of()));
  }

  VolumeDeps deps(VolumeSettings settings) {
    return new VolumeDeps(
        (ns, name) -> {
          ProviderClass spc = classes.get(ns + "/" + name);
          if (spc == null) {
            throw new DriverException(FailureKind.SPC_NOT_FOUND, "SecretProviderClass " + name + " not found");
          }
          return spc;
        },
        statuses, mounter, new AtomicWriter(), providers, testKit.system().executionContext(), settings, sync,
        (pod, reason, message) -> events.add(pod.name() + ": " + reason + ": " + message), publishSecrets,
        new VolumeTime(clock, () -> 0.5, new Backoff(Duration.ofSeconds(1), Duration.ofSeconds(60), 2)));
  }

  /** Rotation off (upstream's default). */
  static VolumeSettings rotationOff() {
    return new VolumeSettings("node-1", 0, Duration.ofSeconds(30));
  }

  /** Rotation on, every {@code interval}, with or without the volume's own timer. */
  static VolumeSettings rotationOn(Duration interval, boolean timer) {
    return new VolumeSettings("node-1", 0, Duration.ofSeconds(30), true, interval, timer, null);
  }

  /** Moves the clock and fires the timers due. */
  void advance(Duration d) {
    clock.advance(d);
    manualTime.timePasses(d);
  }

  Instant deadline() {
    return clock.instant().plusSeconds(60);
  }

  static PublishRequest request(Path target, Map<String, String> secrets) {
    return new PublishRequest("vol", target, "spc", "pod", "ns", "uid-1", Map.of("secretProviderClass", "spc"), secrets);
  }

  static PublishRequest request(Path target) {
    return request(target, Map.of());
  }

  /** One file {@code key} holding {@code value}, object version {@code value}. */
  static ProviderMountResult content(String value) {
    return ProviderMountResult.of(List.of(new PayloadFile("key", 0644, value.getBytes())), Map.of("secret/key", value),
        io.sscsi.fs.PayloadRules.Policy.UPSTREAM);
  }

  /** Records mounts instead of calling mount(2); unmounts fail (EBUSY) while {@link #unmountFails} is set. */
  static final class RecordingMounter implements Mounter {
    final Set<Path> mounted = ConcurrentHashMap.newKeySet();
    final List<String> log = new CopyOnWriteArrayList<>();
    final java.util.concurrent.atomic.AtomicBoolean unmountFails = new java.util.concurrent.atomic.AtomicBoolean();

    @Override public void mountTmpfs(Path target, long sizeLimitBytes) {
      mounted.add(target);
      log.add("mount");
    }

    @Override public void unmount(Path target) {
      if (unmountFails.get()) {
        log.add("unmount failed");
        throw new DriverException(FailureKind.MOUNT_FAILED, "umount2 " + target + ": Device or resource busy");
      }
      mounted.remove(target);
      log.add("unmount");
    }

    @Override public boolean isMountPoint(Path target) {
      return mounted.contains(target);
    }

    @Override public io.sscsi.fs.TargetOwnership inspect(Path target) {
      return mounted.contains(target) ? new io.sscsi.fs.TargetOwnership.OurTmpfs(
          new io.sscsi.fs.MountEntry(1, 0, "0:1", "/", target, "rw", "tmpfs", "tmpfs", "rw"))
          : new io.sscsi.fs.TargetOwnership.Absent();
    }
  }

  /** Records status writes; fails the next {@code failuresLeft} upserts as an API server outage would. */
  static final class RecordingStatuses implements PodStatusStore {
    final List<PodStatus> upserts = new CopyOnWriteArrayList<>();
    final BlockingQueue<String> attempts = new LinkedBlockingQueue<>();
    final List<String> deletes = new CopyOnWriteArrayList<>();
    final AtomicInteger failuresLeft = new AtomicInteger();
    /** Writes and deletes in the order the API server saw them. */
    final List<String> order = new CopyOnWriteArrayList<>();
    /** When set, each upsert announces itself in {@link #held} and waits for the latch, as a slow API server would. */
    volatile CountDownLatch hold;
    final BlockingQueue<PodStatus> held = new LinkedBlockingQueue<>();

    @Override public void upsert(PodStatus status) {
      CountDownLatch gate = hold;
      if (gate != null) {
        held.add(status);
        try {
          assertTrue(gate.await(10, TimeUnit.SECONDS), "the test releases the held write");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new DriverException(FailureKind.API_UNAVAILABLE, "interrupted");
        }
      }
      if (failuresLeft.getAndDecrement() > 0) {
        attempts.add("failed");
        throw new DriverException(FailureKind.API_UNAVAILABLE, "API server answered 500");
      }
      upserts.add(status);
      order.add("upsert " + status.objectName());
      attempts.add("written");
    }

    @Override public void delete(String ns, String name) {
      deletes.add(ns + "/" + name);
      order.add("delete " + name);
    }
  }

  /** Provider calls the test answers by hand, in arrival order. */
  static final class ScriptedProviders implements ProviderCalls {
    record Call(ProviderName provider, ProviderMountRequest request, Instant deadline,
        CompletableFuture<ProviderMountResult> result) {
      void answer(ProviderMountResult r) {
        result.complete(r);
      }

      void fail(DriverException e) {
        result.completeExceptionally(e);
      }
    }

    final BlockingQueue<Call> calls = new LinkedBlockingQueue<>();

    @Override
    public CompletableFuture<ProviderMountResult> mount(ProviderName provider, ProviderMountRequest request,
        Instant deadline) {
      Call call = new Call(provider, request, deadline, new CompletableFuture<>());
      calls.add(call);
      // as ProviderCalls promises: completed on a pool thread (the driver's blocking dispatcher), never on
      // the test's thread that answers, nor on an actor's
      return call.result().whenCompleteAsync((r, f) -> { }, java.util.concurrent.ForkJoinPool.commonPool());
    }

    /** The next call; waits for it to arrive. */
    Call next() throws InterruptedException {
      Call call = calls.poll(10, TimeUnit.SECONDS);
      assertNotNull(call, "a provider call");
      return call;
    }
  }

  static final class RecordingSync implements SecretSync {
    final BlockingQueue<String> calls = new LinkedBlockingQueue<>();
    /** A broken SecretSync (a bug): its calls throw, and the volume actor calling it fails. */
    final java.util.concurrent.atomic.AtomicBoolean broken = new java.util.concurrent.atomic.AtomicBoolean();

    @Override public void published(ProviderClass spc, PodRef pod, Path targetPath) {
      if (broken.get()) {
        throw new IllegalStateException("a bug in SecretSync");
      }
      calls.add("published " + spc.name() + " " + spc.secretObjects().size() + " " + pod.name());
    }

    @Override public void unpublished(ProviderClass spc, PodRef pod) {
      calls.add("unpublished " + spc.name() + " " + spc.secretObjects().size() + " " + pod.name());
    }
  }

  static final class FakePublishSecrets implements NodePublishSecrets {
    final Map<String, String> refs = new ConcurrentHashMap<>();
    final Map<String, Map<String, String>> data = new ConcurrentHashMap<>();

    @Override public Optional<String> refOf(String namespace, String podName, String className) {
      return Optional.ofNullable(refs.get(namespace + "/" + podName));
    }

    @Override public Optional<Map<String, String>> data(String namespace, String name) {
      return Optional.ofNullable(data.get(namespace + "/" + name));
    }

    @Override public void subscribe(Listener listener) {}
  }
}
