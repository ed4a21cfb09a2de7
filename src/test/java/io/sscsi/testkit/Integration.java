package io.sscsi.testkit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * The integration tier: tests that need root and the real machine (tmpfs mounts, child processes,
 * the whole driver on real sockets). Maven's failsafe runs them in {@code mvn verify}; {@code mvn
 * test} runs everything else, without root, in seconds.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@Tag(Integration.TAG)
public @interface Integration {
  String TAG = "integration";
}
