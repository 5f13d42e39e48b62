package io.berth.cri.network.cni;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.berth.cri.error.UnavailableException;
import io.berth.cri.network.Condition;
import io.berth.cri.network.PodNetworkSettings;
import io.berth.cri.network.cni.FakePluginExecutor.Run;
import io.berth.cri.network.cni.PluginExecutor.Output;
import io.berth.proto.runtime.v1.DNSConfig;
import io.berth.proto.runtime.v1.PodSandboxConfig;
import io.berth.proto.runtime.v1.PodSandboxMetadata;
import io.berth.proto.runtime.v1.PortMapping;
import io.berth.proto.runtime.v1.Protocol;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * CniNetwork's config selection, chaining, cache and error reporting, with scripted plugins
 * (no root, no binaries): what the CNI specification asks of a runtime.
 */
class CniNetworkTest {
  private static final String ID = "0123abcd";
  private static final String NETNS = "/run/berth/netns/0123abcd";
  private static final String CHAIN = """
      {"cniVersion": "1.0.0", "name": "pods", "plugins": [
        {"type": "bridge", "bridge": "cni0"},
        {"type": "tuning"},
        {"type": "portmap", "capabilities": {"portMappings": true}}]}
      """;

  @TempDir Path dir;
  private Path confDir;
  private Path cacheDir;
  private final List<Path> binDirs = List.of(Path.of("/opt/cni/bin"), Path.of("/usr/lib/cni"));
  private final PodNetworkSettings podNetwork = new PodNetworkSettings();
  private final ManualScheduler scheduler = new ManualScheduler();
  private final FakePluginExecutor plugins = new FakePluginExecutor()
      .allocating("bridge", "fd00::5/64", "10.1.0.5/24")
      .passThrough("tuning")
      .passThrough("portmap")
      .passThrough("loopback");
  private CniNetwork network;

  @BeforeEach
  void dirs() throws IOException {
    confDir = Files.createDirectories(dir.resolve("net.d"));
    cacheDir = dir.resolve("cache");
  }

  @AfterEach
  void close() {
    if (network != null) {
      network.close();
    }
  }

  private CniNetwork network() {
    network = new CniNetwork(confDir, binDirs, Duration.ofSeconds(2), cacheDir, podNetwork, plugins, scheduler);
    return network;
  }

  private void config(String file, String json) throws IOException {
    Files.writeString(confDir.resolve(file), json);
  }

  private static PodSandboxConfig.Builder pod() {
    return PodSandboxConfig.newBuilder().setMetadata(PodSandboxMetadata.newBuilder()
        .setName("web-0").setNamespace("shop").setUid("6f1c").setAttempt(1));
  }

  private static String single(String name, String type) {
    return "{\"cniVersion\": \"1.0.0\", \"name\": \"" + name + "\", \"type\": \"" + type + "\"}";
  }

  // --- which configuration ---

  @Test
  void theFirstValidFileInLexicalOrderIsUsedWhicheverOfTheThreeExtensionsItHas() throws IOException {
    config("00-broken.conflist", "{not json");
    config("05-old.conf", "{\"cniVersion\": \"0.2.0\", \"name\": \"old\", \"type\": \"bridge\"}");
    config("07-other.conflist.bak", single("backup", "bridge"));
    config("08-notes.txt", single("notes", "bridge"));
    config("10-tuned.json", single("from-json", "tuning"));
    config("20-pods.conflist", CHAIN);
    network().setUp(ID, NETNS, pod().build());
    assertThat(plugins.chain()).containsExactly("tuning ADD");
    assertThat(plugins.runs().getFirst().stdin().path("name").asString()).isEqualTo("from-json");
  }

  @Test
  void aConfSortsBeforeTheConflistOfTheSameName() throws IOException {
    config("10-net.conflist", CHAIN);
    config("10-net.conf", single("single", "loopback"));
    network().setUp(ID, NETNS, pod().build());
    assertThat(plugins.chain()).containsExactly("loopback ADD");
  }

  @Test
  void theChosenNetworksNameAndVersionGoToEveryPluginAndItsNameIntoErrors() throws IOException {
    config("10-pods.conflist", CHAIN);
    plugins.failing("portmap", 1, "", "iptables: Resource temporarily unavailable.");
    assertThatThrownBy(() -> network().setUp(ID, NETNS, pod().build()))
        .isInstanceOf(UnavailableException.class)
        .hasMessageStartingWith("cannot set up the network of pod sandbox " + ID + " (pods): ");
    assertThat(plugins.runs()).allSatisfy(run -> {
      assertThat(run.stdin().path("name").asString()).isEqualTo("pods");
      assertThat(run.stdin().path("cniVersion").asString()).isEqualTo("1.0.0");
    });
  }

  @Test
  void withOnlyInvalidFilesTheNodeIsNotReadyWithEveryReasonAndPodsGetLoopbackOnly() throws IOException {
    config("00-broken.conflist", "{not json");
    config("10-noname.conflist", "{\"cniVersion\": \"1.0.0\", \"plugins\": [{\"type\": \"bridge\"}]}");
    config("20-empty.conflist", "{\"cniVersion\": \"1.0.0\", \"name\": \"n\", \"plugins\": []}");
    config("30-notype.conf", "{\"cniVersion\": \"1.0.0\", \"name\": \"n\"}");
    Condition readiness = network().readiness();
    assertThat(readiness.ready()).isFalse();
    assertThat(readiness.reason()).isEqualTo("NetworkPluginNotReady");
    assertThat(readiness.message()).startsWith("cni config uninitialized: ")
        .contains("00-broken.conflist: ")
        .contains("10-noname.conflist: no network name")
        .contains("20-empty.conflist: 'plugins' must be a non-empty list")
        .contains("30-notype.conf: a single-plugin config needs a 'type'");
    assertThat(network.setUp(ID, NETNS, pod().build())).isEmpty();
    assertThat(plugins.runs()).isEmpty();
  }

  @Test
  void withoutAnyConfigTheReasonNamesTheDirectory() {
    Condition readiness = network().readiness();
    assertThat(readiness.ready()).isFalse();
    assertThat(readiness.message()).contains("no network config").contains(confDir.toString());
  }

  @Test
  void reloadPicksUpAConfigAtOnceAndNoticesItsRemoval() throws IOException {
    network();
    assertThat(network.readiness().ready()).isFalse();
    config("10-pods.conflist", CHAIN);
    network.reload();
    assertThat(network.readiness()).isEqualTo(Condition.met(Condition.NETWORK_READY));
    Files.delete(confDir.resolve("10-pods.conflist"));
    network.reload();
    assertThat(network.readiness().ready()).isFalse();
  }

  @Test
  void aReconfiguredConfDirIsReadAtOnceAndItsPluginsSoughtInTheNewBinDirs() throws IOException {
    config("10-pods.conflist", CHAIN);
    network();
    Path otherConf = Files.createDirectories(dir.resolve("other.d"));
    Files.writeString(otherConf.resolve("10-single.conf"), single("single", "loopback"));

    network.reconfigure(otherConf, List.of(Path.of("/srv/cni")), Duration.ofSeconds(7));
    network.setUp(ID, NETNS, pod().build());

    assertThat(plugins.chain()).containsExactly("loopback ADD");
    assertThat(plugins.runs().getFirst().env()).containsEntry("CNI_PATH", "/srv/cni");
    network.reconfigure(dir.resolve("absent.d"), binDirs, Duration.ofSeconds(2));
    assertThat(network.readiness().message()).contains(dir.resolve("absent.d").toString());
  }

  @Test
  void theWatcherReloadsEverySecond() throws IOException {
    network();
    assertThat(scheduler.periodic()).singleElement().satisfies(p ->
        assertThat(p.unit().toMillis(p.delay())).isEqualTo(1000));
    config("10-pods.conflist", CHAIN);
    scheduler.tick();
    assertThat(network.readiness().ready()).isTrue();
  }

  @Test
  void closingStopsTheWatcher() {
    network().close();
    assertThat(scheduler.isShutdown()).isTrue();
  }

  // --- chaining ---

  @Test
  void addRunsThePluginsInOrderEachGettingThePreviousResult() throws IOException {
    config("10-pods.conflist", CHAIN);
    plugins.install("tuning", run -> FakePluginExecutor.ok("")); // prints nothing: the result passes on
    List<String> ips = network().setUp(ID, NETNS, pod().build());
    assertThat(plugins.chain()).containsExactly("bridge ADD", "tuning ADD", "portmap ADD");
    List<Run> runs = plugins.runs();
    assertThat(runs.get(0).prevResult()).as("the first plugin has no prevResult").isNull();
    JsonNode bridgeResult = runs.get(1).prevResult();
    assertThat(bridgeResult.path("ips")).hasSize(2);
    assertThat(runs.get(2).prevResult()).isEqualTo(bridgeResult);
    assertThat(ips).as("IPv4 first").containsExactly("10.1.0.5", "fd00::5");
    assertThat(runs.get(0).stdin().path("bridge").asString()).as("the plugin's own keys").isEqualTo("cni0");
  }

  @Test
  void delRunsThePluginsInReverseWithTheCachedResultAndThenForgetsIt() throws IOException {
    config("10-pods.conflist", CHAIN);
    network().setUp(ID, NETNS, pod().build());
    JsonNode result = plugins.runs().getLast().prevResult();
    assertThat(cacheDir.resolve(ID + ".json")).exists();
    plugins.clearRuns();
    network.tearDown(ID, NETNS, pod().build());
    assertThat(plugins.chain()).containsExactly("portmap DEL", "tuning DEL", "bridge DEL");
    assertThat(plugins.runs()).allSatisfy(run -> assertThat(run.prevResult()).isEqualTo(result));
    assertThat(cacheDir.resolve(ID + ".json")).doesNotExist();
    assertThat(plugins.held()).isEmpty();
    plugins.clearRuns();
    network.tearDown(ID, NETNS, pod().build());
    assertThat(plugins.runs()).as("a second DEL has nothing to do").isEmpty();
  }

  @Test
  void everyPluginGetsTheCniEnvironmentWithThePodsKubernetesArgs() throws IOException {
    config("10-pods.conflist", CHAIN);
    network().setUp(ID, NETNS, pod().build());
    network.tearDown(ID, NETNS, pod().build());
    assertThat(plugins.runs()).hasSize(6).allSatisfy(run -> assertThat(run.env()).containsAllEntriesOf(Map.of(
        "CNI_CONTAINERID", ID,
        "CNI_NETNS", NETNS,
        "CNI_IFNAME", "eth0",
        "CNI_PATH", "/opt/cni/bin:/usr/lib/cni",
        "CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=" + ID
            + ";K8S_POD_UID=6f1c")));
    assertThat(plugins.runs()).extracting(Run::command).containsExactly("ADD", "ADD", "ADD", "DEL", "DEL", "DEL");
  }

  @Test
  void aPluginGetsTheRuntimeConfigOfTheCapabilitiesItDeclaresAndNoOther() throws IOException {
    config("10-pods.conflist", """
        {"cniVersion": "1.0.0", "name": "pods", "plugins": [
          {"type": "bridge", "capabilities": {"ipRanges": true, "dns": true}},
          {"type": "tuning", "capabilities": {"bandwidth": true, "portMappings": false}},
          {"type": "portmap", "capabilities": {"portMappings": true}},
          {"type": "loopback"}]}
        """);
    podNetwork.setPodCidrs(List.of("10.244.1.0/24"));
    var config = pod()
        .addPortMappings(PortMapping.newBuilder().setContainerPort(80).setHostPort(8080).setHostIp("127.0.0.1"))
        .addPortMappings(PortMapping.newBuilder().setContainerPort(53).setHostPort(5353).setProtocol(Protocol.UDP))
        .addPortMappings(PortMapping.newBuilder().setContainerPort(9000)) // no host port: not mapped
        .setDnsConfig(DNSConfig.newBuilder().addServers("10.96.0.10").addSearches("shop.svc.cluster.local"))
        .putAnnotations("kubernetes.io/ingress-bandwidth", "10M")
        .build();
    network().setUp(ID, NETNS, config);
    List<Run> runs = plugins.runs();
    assertThat(runs.get(0).stdin().path("runtimeConfig").toString()).isEqualTo(
        "{\"ipRanges\":[[{\"subnet\":\"10.244.1.0/24\"}]],"
            + "\"dns\":{\"servers\":[\"10.96.0.10\"],\"searches\":[\"shop.svc.cluster.local\"],\"options\":[]}}");
    assertThat(runs.get(1).stdin().path("runtimeConfig").toString()).isEqualTo(
        "{\"bandwidth\":{\"ingressRate\":10000000,\"ingressBurst\":2147483647}}");
    assertThat(runs.get(2).stdin().path("runtimeConfig").toString()).isEqualTo(
        "{\"portMappings\":[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\",\"hostIP\":\"127.0.0.1\"},"
            + "{\"hostPort\":5353,\"containerPort\":53,\"protocol\":\"udp\"}]}");
    assertThat(runs.get(3).stdin().has("runtimeConfig")).isFalse();
  }

  // --- the cache ---

  @Test
  void delUsesWhatAddUsedEvenAfterTheConfigChanged() throws IOException {
    config("10-pods.conflist", CHAIN);
    podNetwork.setPodCidrs(List.of("10.244.1.0/24"));
    network().setUp(ID, NETNS, pod().build());
    config("10-pods.conflist", single("other", "loopback"));
    podNetwork.setPodCidrs(List.of("10.250.0.0/24"));
    network.reload();
    plugins.clearRuns();
    network.tearDown(ID, NETNS, pod().build());
    assertThat(plugins.chain()).containsExactly("portmap DEL", "tuning DEL", "bridge DEL");
    assertThat(plugins.runs()).allSatisfy(run -> assertThat(run.stdin().path("name").asString()).isEqualTo("pods"));
    plugins.clearRuns();
    network.setUp("new", NETNS, pod().build());
    assertThat(plugins.chain()).as("new pods get the new config").containsExactly("loopback ADD");
  }

  @Test
  void aCorruptCacheIsReportedNotIgnored() throws IOException {
    config("10-pods.conflist", CHAIN);
    Files.createDirectories(cacheDir);
    Files.writeString(cacheDir.resolve(ID + ".json"), "{\"config\": 42");
    assertThatThrownBy(() -> network().tearDown(ID, NETNS, pod().build()))
        .isInstanceOf(UnavailableException.class)
        .hasMessageContaining("cannot read the network cache of pod sandbox " + ID);
    assertThat(plugins.runs()).isEmpty();
  }

  // --- the record written before ADD (a crash inside the chain) ---

  private JsonNode record(String id) throws IOException {
    return CniConfigList.JSON.readTree(Files.readString(cacheDir.resolve(id + ".json")));
  }

  private static PodSandboxConfig.Builder withHostPort() {
    return pod().addPortMappings(PortMapping.newBuilder().setContainerPort(80).setHostPort(8080));
  }

  @Test
  void whatDelNeedsIsRecordedBeforeTheFirstPluginRunsAndTheResultAfterTheLast() throws IOException {
    config("10-pods.conflist", CHAIN);
    AtomicReference<JsonNode> atFirstAdd = new AtomicReference<>();
    plugins.install("bridge", run -> {
      atFirstAdd.set(record(ID));
      return FakePluginExecutor.ok("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.1.0.5/24\"}]}");
    });
    network().setUp(ID, NETNS, withHostPort().build());

    JsonNode before = atFirstAdd.get();
    assertThat(before.path("config").path("name").asString()).isEqualTo("pods");
    assertThat(before.path("config").path("plugins")).hasSize(3);
    assertThat(before.path("containerId").asString()).isEqualTo(ID);
    assertThat(before.path("netns").asString()).isEqualTo(NETNS);
    assertThat(before.path("ifName").asString()).isEqualTo("eth0");
    assertThat(before.path("cniArgs").asString()).isEqualTo("IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-0"
        + ";K8S_POD_INFRA_CONTAINER_ID=" + ID + ";K8S_POD_UID=6f1c");
    assertThat(before.path("runtimeConfig").path("portMappings").toString())
        .isEqualTo("[{\"hostPort\":8080,\"containerPort\":80,\"protocol\":\"tcp\"}]");
    assertThat(before.has("result")).as("no result before ADD").isFalse();
    assertThat(record(ID).path("result").path("ips").get(0).path("address").asString()).isEqualTo("10.1.0.5/24");
    try (var files = Files.list(cacheDir)) {
      assertThat(files.map(f -> f.getFileName().toString())).containsExactly(ID + ".json");
    }
  }

  @Test
  void afterACrashInsideAddTheNextStartDeletesEveryPluginWithoutAPrevResultAndWithoutTheNamespace()
      throws IOException {
    config("10-pods.conflist", CHAIN);
    // berthd killed while tuning runs: bridge has reserved its address, nothing after tuning happens.
    plugins.install("tuning", run -> {
      throw new IllegalStateException("berthd killed");
    });
    assertThatThrownBy(() -> network().setUp(ID, NETNS, withHostPort().build())).hasMessage("berthd killed");
    network.close();
    assertThat(plugins.held()).containsExactly("bridge:" + ID);

    // The next start, with another network configured meanwhile and the namespace gone.
    config("10-pods.conflist", single("other", "loopback"));
    plugins.passThrough("tuning").clearRuns();
    network = new CniNetwork(confDir, binDirs, Duration.ofSeconds(2), cacheDir, podNetwork, plugins,
        new ManualScheduler());
    assertThat(network.recorded()).containsExactly(ID);
    network.tearDown(ID, "", PodSandboxConfig.getDefaultInstance());

    assertThat(plugins.chain()).containsExactly("portmap DEL", "tuning DEL", "bridge DEL");
    assertThat(plugins.runs()).allSatisfy(run -> {
      assertThat(run.prevResult()).as("ADD never finished: no prevResult").isNull();
      assertThat(run.stdin().path("name").asString()).isEqualTo("pods");
      assertThat(run.env()).containsEntry("CNI_NETNS", "").containsEntry("CNI_IFNAME", "eth0")
          .containsEntry("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-0"
              + ";K8S_POD_INFRA_CONTAINER_ID=" + ID + ";K8S_POD_UID=6f1c");
    });
    assertThat(plugins.runs().getFirst().stdin().path("runtimeConfig").path("portMappings").get(0)
        .path("hostPort").asInt()).as("portmap finds its rules by the recorded mappings").isEqualTo(8080);
    assertThat(plugins.held()).isEmpty();
    assertThat(network.recorded()).isEmpty();
    assertThat(cacheDir.resolve(ID + ".json")).doesNotExist();
  }

  @Test
  void aFailedAddWhoseUndoFailedKeepsItsRecordForTheSandboxsTeardown() throws IOException {
    config("10-pods.conflist", CHAIN);
    plugins.failing("tuning", 1, "{\"code\":11,\"msg\":\"no addresses left\"}", "");
    plugins.install("bridge", run -> run.command().equals("ADD")
        ? FakePluginExecutor.ok("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.1.0.5/24\"}]}")
        : new Output(1, "{\"code\":999,\"msg\":\"iptables is locked\"}", ""));
    assertThatThrownBy(() -> network().setUp(ID, NETNS, pod().build())).isInstanceOf(UnavailableException.class);
    assertThat(network.recorded()).containsExactly(ID);
    assertThat(record(ID).has("result")).isFalse();

    plugins.passThrough("tuning").allocating("bridge", "10.1.0.5/24").clearRuns();
    network.tearDown(ID, NETNS, pod().build());
    assertThat(plugins.chain()).containsExactly("portmap DEL", "tuning DEL", "bridge DEL");
    assertThat(network.recorded()).isEmpty();
  }

  @Test
  void aRecordOfAnOlderBerthdWithoutCniValuesIsDeletedWithThePodsOwnArguments() throws IOException {
    Files.createDirectories(cacheDir);
    Files.writeString(cacheDir.resolve(ID + ".json"), "{\"config\": {\"cniVersion\": \"1.0.0\", \"name\": \"pods\","
        + " \"plugins\": [{\"type\": \"bridge\"}]}, \"result\": {\"cniVersion\": \"1.0.0\", \"ips\": []},"
        + " \"runtimeConfig\": {}}");
    network().tearDown(ID, NETNS, pod().build());
    assertThat(plugins.runs()).singleElement().satisfies(run -> {
      assertThat(run.prevResult().path("cniVersion").asString()).isEqualTo("1.0.0");
      assertThat(run.env()).containsEntry("CNI_NETNS", NETNS).containsEntry("CNI_IFNAME", "eth0")
          .containsEntry("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-0"
              + ";K8S_POD_INFRA_CONTAINER_ID=" + ID + ";K8S_POD_UID=6f1c");
    });
    assertThat(cacheDir.resolve(ID + ".json")).doesNotExist();
  }

  @Test
  void recordedNamesEveryRecordAndAStartRemovesWritesACrashCutShort() throws IOException {
    config("10-pods.conflist", CHAIN);
    Files.createDirectories(cacheDir);
    Files.writeString(cacheDir.resolve(".cut-short.tmp"), "{\"config\"");
    network().setUp("a1", NETNS, pod().build());
    network.setUp("b2", NETNS, pod().build());
    assertThat(network.recorded()).containsExactlyInAnyOrder("a1", "b2");
    assertThat(cacheDir.resolve(".cut-short.tmp")).doesNotExist();
    network.tearDown("a1", NETNS, pod().build());
    assertThat(network.recorded()).containsExactly("b2");
  }

  // --- errors ---

  @Test
  void aFailingPluginsCniErrorIsReportedAndTheChainIsUndoneNewestFirst() throws IOException {
    config("10-pods.conflist", CHAIN);
    plugins.failing("tuning", 1,
        "{\"cniVersion\":\"1.0.0\",\"code\":11,\"msg\":\"no addresses left\",\"details\":\"pool exhausted\"}", "");
    assertThatThrownBy(() -> network().setUp(ID, NETNS, pod().build()))
        .isInstanceOf(UnavailableException.class)
        .hasMessage("cannot set up the network of pod sandbox " + ID + " (pods): tuning ADD failed: no addresses left"
            + " (pool exhausted) [code 11]");
    assertThat(plugins.chain()).containsExactly("bridge ADD", "tuning ADD", "tuning DEL", "bridge DEL");
    assertThat(plugins.held()).isEmpty();
    assertThat(cacheDir.resolve(ID + ".json")).doesNotExist();
  }

  @Test
  void withoutACniErrorThePluginsOwnWordsOrItsExitStatusAreReported() throws IOException {
    config("10-pods.conflist", CHAIN);
    network();
    plugins.failing("bridge", 2, "", "failed to create bridge \"cni0\": operation not permitted\n");
    assertThatThrownBy(() -> network.setUp(ID, NETNS, pod().build()))
        .hasMessageEndingWith("bridge ADD failed: failed to create bridge \"cni0\": operation not permitted");
    plugins.failing("bridge", 3, "", "");
    assertThatThrownBy(() -> network.setUp(ID, NETNS, pod().build()))
        .hasMessageEndingWith("bridge ADD failed: exit status 3");
    plugins.failing("bridge", 1, "{\"cniVersion\":\"1.0.0\",\"code\":7}", "");
    assertThatThrownBy(() -> network.setUp(ID, NETNS, pod().build()))
        .as("an error object without msg is shown as printed")
        .hasMessageEndingWith("bridge ADD failed: {\"cniVersion\":\"1.0.0\",\"code\":7}");
  }

  @Test
  void aMissingPluginATimeoutAResultThatIsNotJsonAndAnUnstartablePluginAreNamed() throws IOException {
    config("10-pods.conflist", """
        {"cniVersion": "1.0.0", "name": "pods", "plugins": [{"type": "bridge"}, {"type": "nope"}]}
        """);
    network();
    assertThatThrownBy(() -> network.setUp(ID, NETNS, pod().build()))
        .hasMessageEndingWith("plugin 'nope' not found in [/opt/cni/bin, /usr/lib/cni]");
    plugins.install("nope", run -> {
      throw new TimeoutException();
    });
    assertThatThrownBy(() -> network.setUp(ID, NETNS, pod().build()))
        .hasMessageEndingWith("nope ADD timed out after 2 s");
    plugins.install("nope", run -> FakePluginExecutor.ok("IP: 10.1.0.5"));
    assertThatThrownBy(() -> network.setUp(ID, NETNS, pod().build()))
        .hasMessageContaining("nope ADD printed a result that is not JSON");
    plugins.install("nope", run -> {
      throw new IOException("Exec format error");
    });
    assertThatThrownBy(() -> network.setUp(ID, NETNS, pod().build()))
        .hasMessageEndingWith("cannot run /opt/cni/bin/nope: Exec format error");
    assertThat(plugins.held()).as("every failed ADD was undone").isEmpty();
  }

  @Test
  void aFailedDelStillRunsTheRestAndKeepsTheCacheForTheNextTry() throws IOException {
    config("10-pods.conflist", CHAIN);
    network().setUp(ID, NETNS, pod().build());
    plugins.clearRuns();
    plugins.install("portmap", run -> new Output(1, "{\"code\":999,\"msg\":\"iptables is locked\"}", ""));
    assertThatThrownBy(() -> network.tearDown(ID, NETNS, pod().build()))
        .isInstanceOf(UnavailableException.class)
        .hasMessage("cannot tear down the network of pod sandbox " + ID + ": portmap DEL failed: iptables is locked"
            + " [code 999]");
    assertThat(plugins.chain()).containsExactly("portmap DEL", "tuning DEL", "bridge DEL");
    assertThat(cacheDir.resolve(ID + ".json")).exists();
    plugins.passThrough("portmap");
    plugins.clearRuns();
    network.tearDown(ID, NETNS, pod().build());
    assertThat(plugins.chain()).containsExactly("portmap DEL", "tuning DEL", "bridge DEL");
    assertThat(cacheDir.resolve(ID + ".json")).doesNotExist();
  }
}
