package io.sscsi.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code sscsi volumes}: the volumes a running driver has mounted, from its admin endpoint
 * ({@code GET /volumes}), as a table or as the endpoint's JSON. Shows object ids and versions,
 * never a secret value (the endpoint has none).
 */
@Command(name = "volumes", mixinStandardHelpOptions = true,
    description = "List the volumes a running driver has mounted (from its admin endpoint)")
public final class VolumesCommand implements Callable<Integer> {
  /** Built on first use: picocli creates every subcommand, and the driver should not pay for this one's Jackson. */
  private static final class Json {
    static final JsonMapper MAPPER = JsonMapper.builder().build();
  }

  @Option(names = "--admin-addr", defaultValue = "127.0.0.1:8096", description = "the driver's admin endpoint (default ${DEFAULT-VALUE})")
  String adminAddr;

  @Option(names = "--json", description = "print the endpoint's JSON")
  boolean json;

  @Spec
  CommandSpec spec;

  @Override
  public Integer call() {
    String body;
    try {
      HttpResponse<String> response = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(3)).build()
          .send(HttpRequest.newBuilder(URI.create("http://" + adminAddr + "/volumes"))
              .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        spec.commandLine().getErr().println("sscsi volumes: the admin endpoint answered HTTP " + response.statusCode());
        return 1;
      }
      body = response.body();
    } catch (IOException | InterruptedException | IllegalArgumentException e) {
      spec.commandLine().getErr().println("sscsi volumes: no driver admin endpoint at " + adminAddr + " ("
          + e.getClass().getSimpleName() + "); is the driver running with --admin-addr?");
      return 1;
    }
    spec.commandLine().getOut().print(json ? body : table(Json.MAPPER.readTree(body)));
    spec.commandLine().getOut().flush();
    return 0;
  }

  /** One row per volume: pod, class, provider, objects, last refresh and its result, next refresh. */
  static String table(JsonNode volumes) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NAMESPACE", "POD", "VOLUME", "CLASS", "PROVIDER", "STATE", "OBJECTS", "LAST REFRESH",
        "RESULT", "NEXT REFRESH"});
    for (JsonNode v : volumes) {
      List<String> objects = new ArrayList<>();
      for (Map.Entry<String, JsonNode> o : v.path("objects").properties()) {
        objects.add(o.getKey() + "@" + o.getValue().asString(""));
      }
      String result = v.path("lastResult").asString("");
      if (!v.path("lastError").asString("").isEmpty()) {
        result += ": " + v.path("lastError").asString("");
      }
      rows.add(new String[] {v.path("namespace").asString(""), v.path("podName").asString(""),
          v.path("volumeName").asString(""), v.path("secretProviderClass").asString(""),
          v.path("provider").asString(""), v.path("state").asString(""), String.join(",", objects),
          v.path("lastRefresh").asString("-"), result, v.path("nextRefresh").asString("-")});
    }
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    StringBuilder out = new StringBuilder();
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        out.append(i == row.length - 1 ? row[i] : String.format("%-" + (widths[i] + 2) + "s", row[i]));
      }
      out.append('\n');
    }
    return out.toString();
  }
}
