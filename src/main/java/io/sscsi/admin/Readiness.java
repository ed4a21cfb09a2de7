package io.sscsi.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What {@code /readyz} checks: named checks, each either fine or naming its problem. The driver is
 * ready when all are fine (CSI socket bound, API server reachable, providers healthy when
 * {@code --provider-health-check} is on).
 */
public final class Readiness {
  /** One check: empty when fine, else the problem in one line. Must be cheap (cache slow probes). */
  public record Check(String name, Supplier<Optional<String>> problem) {}

  private final List<Check> checks = new ArrayList<>();

  public Readiness add(String name, Supplier<Optional<String>> problem) {
    checks.add(new Check(name, problem));
    return this;
  }

  /** The report: one line per check. */
  public Report check() {
    StringBuilder text = new StringBuilder();
    boolean ready = true;
    for (Check c : checks) {
      Optional<String> problem;
      try {
        problem = c.problem().get();
      } catch (RuntimeException e) {
        problem = Optional.of(e.getClass().getSimpleName() + ": " + e.getMessage());
      }
      ready &= problem.isEmpty();
      text.append(c.name()).append(": ").append(problem.orElse("ok")).append('\n');
    }
    return new Report(ready, text.toString());
  }

  public record Report(boolean ready, String text) {}
}
