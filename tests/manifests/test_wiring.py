"""The rendered overlays are wired consistently: every reference resolves, event types and topics
match the Rust code and the event contract, no Trigger receives its own subscriber's output, and
ports / probe paths / env names are the ones the binaries serve and read."""
import json
import re
from urllib.parse import urlparse

import pytest

from manifests import (KAFKA_BROKER_INGRESS, OVERLAYS, ROOT, container, env_of, find, ident, one, pod_spec,
                       render, rust_mentions, rust_sources)

# Env names the manifests set for code being written on other branches. Each entry names its
# branch; test_pending_env_names_are_not_yet_read_by_the_code fails as soon as the code reads
# one, so the list only shrinks (remove the entry then).
PENDING_ENV: dict[str, dict[str, str]] = {
    "gateway": {},
    "vep-function": {},
}


def reads_env(crate: str, name: str, env: dict[str, dict]) -> bool:
    """The binary reads `name`, or it only feeds a $(name) expansion in another variable of the
    same container (Kubernetes dependent environment variables), or another branch adds it."""
    if rust_mentions(crate, name) or name in PENDING_ENV[crate]:
        return True
    return any(f"$({name})" in e.get("value", "") for other, e in env.items() if other != name)


def test_pending_env_names_are_not_yet_read_by_the_code():
    for crate, names in PENDING_ENV.items():
        for name, branch in names.items():
            assert not rust_mentions(crate, name), \
                f"{crate} reads {name} now (branch {branch} merged): remove it from PENDING_ENV"


def contract_types() -> set[str]:
    envelope = json.loads((ROOT / "eventing/schemas/cloudevent-envelope.v1.json").read_text())
    return set(envelope["properties"]["type"]["enum"])


def code_types(crate: str) -> set[str]:
    return set(re.findall(r'"(dev\.genomics\.[a-z.]+\.v\d+)"', rust_sources(crate)))


SUBMITTED = "dev.genomics.variants.submitted.v1"
ANNOTATED = "dev.genomics.variants.annotated.v2"
FAILED = "dev.genomics.analysis.failed.v1"

# What each workload does with the events it receives (the architecture, from the issue):
# the function turns a submission into results, sent to K_SINK (not as a reply); the gateway
# answers deliveries with 202 and no event. Checked against the code's literals below.
RECEIVES_AND_EMITS = {
    ("serving.knative.dev/v1", "Service", "vep-function"): ({SUBMITTED}, {ANNOTATED, FAILED}),
    ("v1", "Service", "gateway"): ({ANNOTATED, FAILED}, set()),
}


def test_contract_types_are_the_types_the_rust_code_uses():
    assert contract_types() == {SUBMITTED, ANNOTATED, FAILED}
    assert code_types("vep-function") == {SUBMITTED, ANNOTATED, FAILED}
    assert SUBMITTED in code_types("gateway"), "the gateway must emit the submitted type"


# ---------------------------------------------------------------------------------------------
# References


def _refs(obj):
    """(field, ref dict) for every object reference an object holds."""
    spec = obj.get("spec", {})
    ns = obj["metadata"].get("namespace")
    kind = obj["kind"]
    out = []

    def add(field, ref):
        if ref:
            out.append((field, {**ref, "namespace": ref.get("namespace", ns)}))

    def delivery(prefix, d):
        if d:
            add(prefix + ".deadLetterSink.ref", d.get("deadLetterSink", {}).get("ref"))

    if kind == "Trigger":
        add("spec.broker", {"apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "name": spec["broker"]})
        add("spec.subscriber.ref", spec["subscriber"].get("ref"))
        delivery("spec.delivery", spec.get("delivery"))
    elif kind == "Broker":
        add("spec.config", spec.get("config"))
        delivery("spec.delivery", spec.get("delivery"))
    elif kind == "KafkaSource":
        add("spec.sink.ref", spec["sink"].get("ref"))
        delivery("spec.delivery", spec.get("delivery"))
    elif kind == "SinkBinding":
        add("spec.subject", spec["subject"])
        add("spec.sink.ref", spec["sink"].get("ref"))
    elif kind == "Route":
        add("spec.to", {"apiVersion": "v1", **spec["to"]})
    return out


def resolve(objs, ref):
    return [
        o for o in objs
        if o["apiVersion"] == ref["apiVersion"] and o["kind"] == ref["kind"]
        and o["metadata"]["name"] == ref["name"] and o["metadata"].get("namespace") == ref["namespace"]
    ]


@pytest.mark.parametrize("target", OVERLAYS)
def test_every_reference_resolves_to_an_object_in_the_render(target):
    objs = render(target)
    checked = 0
    for o in objs:
        for field, ref in _refs(o):
            assert len(resolve(objs, ref)) == 1, f"{ident(o)} {field} -> {ref} does not resolve"
            checked += 1
    assert checked >= 14, f"only {checked} references found: the wiring is incomplete"


@pytest.mark.parametrize("target", OVERLAYS)
def test_dead_letter_sinks_are_a_kafka_sink_on_a_dedicated_topic(target):
    objs = render(target)
    holders = find(objs, "Trigger") + find(objs, "KafkaSource") + find(objs, "Broker")
    assert len(holders) >= 5
    for o in holders:
        ref = o["spec"]["delivery"]["deadLetterSink"]["ref"]
        assert ref["kind"] == "KafkaSink", ident(o)
        sink = resolve(objs, {**ref, "namespace": ref.get("namespace", o["metadata"]["namespace"])})[0]
        assert sink["spec"]["topic"] == "genetic-data-dead-letter", ident(o)


@pytest.mark.parametrize("target", OVERLAYS)
def test_label_selectors_select_the_gateway_pods(target):
    objs = render(target)
    gw = one(objs, "Deployment", "gateway")
    pod_labels = gw["spec"]["template"]["metadata"]["labels"]
    selectors = {
        "Deployment": gw["spec"]["selector"]["matchLabels"],
        "Service": one(objs, "Service", "gateway")["spec"]["selector"],
        "PodDisruptionBudget": one(objs, "PodDisruptionBudget", "gateway")["spec"]["selector"]["matchLabels"],
        "NetworkPolicy": one(objs, "NetworkPolicy", "gateway")["spec"]["podSelector"]["matchLabels"],
    }
    for kind, sel in selectors.items():
        assert sel and all(pod_labels.get(k) == v for k, v in sel.items()), f"{kind} selector {sel}"


# ---------------------------------------------------------------------------------------------
# Kafka: brokers, topics, consumer groups


@pytest.mark.parametrize("target", OVERLAYS)
def test_kafka_topics_exist_for_every_sink_and_source_with_replication_3(target):
    objs = render(target)
    topics = {t["spec"].get("topicName", t["metadata"]["name"]): t for t in find(objs, "KafkaTopic")}
    assert {"genetic-data-raw", "genetic-data-annotated"} <= set(topics)
    used = {s["spec"]["topic"] for s in find(objs, "KafkaSink")}
    for s in find(objs, "KafkaSource"):
        used |= set(s["spec"]["topics"])
    assert used == set(topics), f"topics used {used} vs declared {set(topics)}"
    for name, t in topics.items():
        assert t["spec"]["replicas"] == 3, name
        assert t["spec"]["partitions"] >= 3, name
        assert int(t["spec"]["config"]["retention.ms"]) > 0, name
        assert int(t["spec"]["config"]["min.insync.replicas"]) == 2, name
        assert t["metadata"]["labels"]["strimzi.io/cluster"], name


@pytest.mark.parametrize("target", OVERLAYS)
def test_all_kafka_clients_use_the_broker_configs_bootstrap_servers(target):
    objs = render(target)
    broker = one(objs, "Broker", "genomics")
    cfg_ref = broker["spec"]["config"]
    cfg = one(objs, cfg_ref["kind"], cfg_ref["name"])
    servers = cfg["data"]["bootstrap.servers"]
    cluster = servers.split("-kafka-bootstrap.")[0]
    for o in find(objs, "KafkaSink") + find(objs, "KafkaSource"):
        assert o["spec"]["bootstrapServers"] == [servers], ident(o)
    for t in find(objs, "KafkaTopic"):
        assert t["metadata"]["labels"]["strimzi.io/cluster"] == cluster, ident(t)
        assert servers.split(".")[1] == t["metadata"]["namespace"], f"{ident(t)} not in the Kafka namespace"
    assert int(cfg["data"]["default.topic.replication.factor"]) == 3


@pytest.mark.parametrize("target", OVERLAYS)
def test_broker_is_kafka_class_with_retries_backoff_and_dead_letter(target):
    b = one(render(target), "Broker", "genomics")
    assert b["metadata"]["annotations"]["eventing.knative.dev/broker.class"] == "Kafka"
    assert b["spec"]["config"]["name"] == "kafka-broker-config"
    d = b["spec"]["delivery"]
    assert d["retry"] >= 3 and d["backoffPolicy"] == "exponential" and d["deadLetterSink"]


@pytest.mark.parametrize("target", OVERLAYS)
def test_kafka_sources_are_ordered_with_explicit_unique_consumer_groups(target):
    sources = find(render(target), "KafkaSource")
    assert len(sources) == 2
    groups = [s["spec"]["consumerGroup"] for s in sources]
    assert all(groups) and len(set(groups)) == len(groups)
    for s in sources:
        assert s["spec"]["ordering"] == "ordered", ident(s)


# ---------------------------------------------------------------------------------------------
# Event flow: types, loops


def _trigger_types(trigger) -> set[str] | None:
    """Types a Trigger lets through (None = all; only exact type filters are understood)."""
    spec = trigger["spec"]
    if "filters" in spec:
        assert len(spec["filters"]) == 1, f"{ident(trigger)}: one filter expression expected"
        f = spec["filters"][0]
        alternatives = f["any"] if "any" in f else [f]
        types = set()
        for alt in alternatives:
            assert set(alt) == {"exact"} and set(alt["exact"]) == {"type"}, f"{ident(trigger)}: {alt}"
            types.add(alt["exact"]["type"])
        return types
    attrs = spec.get("filter", {}).get("attributes", {})
    return {attrs["type"]} if "type" in attrs else None


def _uri_target(objs, uri: str):
    """The (Service, port) a cluster-local URI points at."""
    u = urlparse(uri)
    m = re.fullmatch(r"([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local", u.hostname or "")
    assert m and u.scheme == "http", f"not a cluster-local service URI: {uri}"
    svc = resolve(objs, {"apiVersion": "v1", "kind": "Service", "name": m[1], "namespace": m[2]})
    assert svc, f"{uri}: no Service {m[2]}/{m[1]}"
    port = next((p for p in svc[0]["spec"]["ports"] if p["port"] == (u.port or 80)), None)
    assert port, f"{uri}: Service {m[1]} has no port {u.port or 80}"
    return svc[0], port


def _key(o):
    return (o["apiVersion"], o["kind"], o["metadata"]["name"])


class Flow:
    """Where an event of a given type goes from each object of the render."""

    def __init__(self, objs):
        self.objs = objs
        self.bindings = {}
        for sb in find(objs, "SinkBinding"):
            subject = sb["spec"]["subject"]
            self.bindings[(subject["apiVersion"], subject["kind"], subject["name"])] = \
                resolve(objs, {**sb["spec"]["sink"]["ref"]})[0]

    def subscriber(self, trigger):
        sub = trigger["spec"]["subscriber"]
        if "ref" in sub:
            ref = {**sub["ref"], "namespace": sub["ref"].get("namespace", trigger["metadata"]["namespace"])}
            return resolve(self.objs, ref)[0]
        return _uri_target(self.objs, sub["uri"])[0]

    def deliver(self, obj, types: set[str], seen=()) -> list[tuple[dict, set[str]]]:
        """(Broker, types) pairs that `types` sent to `obj` eventually reach."""
        if not types or _key(obj) in seen:
            return []
        seen = (*seen, _key(obj))
        kind = obj["kind"]
        if kind == "Broker":
            return [(obj, types)]
        if kind == "KafkaSink":
            topic = obj["spec"]["topic"]
            out = []
            for src in find(self.objs, "KafkaSource"):
                if topic in src["spec"]["topics"]:
                    out += self.deliver(resolve(self.objs, {**src["spec"]["sink"]["ref"]})[0], types, seen)
            return out
        behaviour = RECEIVES_AND_EMITS.get(_key(obj))
        assert behaviour is not None, f"no known behaviour for {ident(obj)}"
        accepted, emitted = behaviour
        assert types <= accepted, f"{ident(obj)} receives {types - accepted} it does not handle"
        sink = self.bindings.get(_key(obj))
        if not emitted:
            return []
        assert sink is not None, f"{ident(obj)} emits {emitted} but has no SinkBinding (K_SINK)"
        return self.deliver(sink, emitted, seen)


@pytest.mark.parametrize("target", OVERLAYS)
def test_trigger_filters_are_exactly_the_contract_types(target):
    triggers = find(render(target), "Trigger")
    filtered = set()
    for t in triggers:
        types = _trigger_types(t)
        assert types is not None, f"{ident(t)} has no type filter: it would receive everything"
        filtered |= types
    assert filtered == contract_types() == code_types("vep-function")


@pytest.mark.parametrize("target", OVERLAYS)
def test_no_trigger_receives_what_its_own_subscriber_produces(target):
    objs = render(target)
    flow = Flow(objs)
    for t in find(objs, "Trigger"):
        own_broker = t["spec"]["broker"]
        for broker, types in flow.deliver(flow.subscriber(t), _trigger_types(t)):
            if broker["metadata"]["name"] == own_broker:
                assert not (types & _trigger_types(t)), f"loop: {ident(t)} gets back {types}"


@pytest.mark.parametrize("target", OVERLAYS)
def test_a_submission_reaches_the_gateway_as_annotated_or_failed(target):
    """Follows the whole path: gateway -> Broker -> raw topic -> vep-function -> K_SINK ->
    annotated topic -> Broker -> gateway."""
    objs = render(target)
    flow = Flow(objs)
    gateway = one(objs, "Deployment", "gateway")
    broker_url = env_of(container(gateway))["BROKER_URL"]["value"]
    ns, name = urlparse(broker_url).path.strip("/").split("/")
    assert broker_url == f"{KAFKA_BROKER_INGRESS}/{ns}/{name}"
    broker = resolve(objs, {"apiVersion": "eventing.knative.dev/v1", "kind": "Broker", "name": name, "namespace": ns})
    assert broker, f"BROKER_URL {broker_url} names no Broker"
    pending, arrived = [(broker[0], {SUBMITTED})], set()
    for _ in range(10):
        nxt = []
        for b, types in pending:
            for t in find(objs, "Trigger"):
                if t["spec"]["broker"] != b["metadata"]["name"]:
                    continue
                matched = types & _trigger_types(t)
                sub = flow.subscriber(t)
                if matched and _key(sub) == ("v1", "Service", "gateway"):
                    arrived |= matched
                elif matched:
                    nxt += flow.deliver(sub, matched)
        pending = nxt
    assert arrived == {ANNOTATED, FAILED}


# ---------------------------------------------------------------------------------------------
# Ports, probes, env: what the binaries serve and read


def _named_port(c, name_or_number):
    if isinstance(name_or_number, int):
        return name_or_number
    return next(p["containerPort"] for p in c["ports"] if p["name"] == name_or_number)


@pytest.mark.parametrize("target", OVERLAYS)
def test_gateway_ports_probes_and_env_match_the_gateway_binary(target):
    objs = render(target)
    gw = one(objs, "Deployment", "gateway")
    c = container(gw)
    env = env_of(c)
    assert int(env["PORT"]["value"]) == _named_port(c, "http") == 8080
    assert int(env["EVENTS_PORT"]["value"]) == _named_port(c, "events") == 8081
    assert c["readinessProbe"]["httpGet"]["path"] == "/q/health/ready"
    assert c["livenessProbe"]["httpGet"]["path"] == "/q/health/live"
    for probe in ("readinessProbe", "livenessProbe"):
        assert rust_mentions("gateway", c[probe]["httpGet"]["path"]), f"gateway does not serve {probe} path"
        assert _named_port(c, c[probe]["httpGet"]["port"]) == 8080
    assert env["REPLICA_ID"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    for name in env:
        assert reads_env("gateway", name, env), f"gateway never reads env {name}"
    svc = one(objs, "Service", "gateway")
    for p in svc["spec"]["ports"]:
        assert _named_port(c, p["targetPort"]) == p["port"]
    trigger = one(objs, "Trigger", "analysis-results-to-gateway")
    _, port = _uri_target(objs, trigger["spec"]["subscriber"]["uri"])
    assert _named_port(c, port["targetPort"]) == 8081, "results must reach the internal events port"
    assert urlparse(trigger["spec"]["subscriber"]["uri"]).path == "/"


@pytest.mark.parametrize("target", OVERLAYS)
def test_vep_function_port_probes_and_env_match_the_function_binary(target):
    ksvc = one(render(target), "Service", "vep-function")
    c = container(ksvc)
    assert [p["containerPort"] for p in c["ports"]] == [8080]
    assert re.search(r"\(env, PORT, 8080\)|PORT.*8080", rust_sources("vep-function")), \
        "vep-function's default port is not 8080"
    assert c["readinessProbe"]["httpGet"]["path"] == "/health/readiness"
    assert c["livenessProbe"]["httpGet"]["path"] == "/health/liveness"
    for probe in ("readinessProbe", "livenessProbe"):
        assert rust_mentions("vep-function", c[probe]["httpGet"]["path"]), f"vep-function does not serve {probe} path"
        assert "port" not in c[probe]["httpGet"], "Knative probes use the serving port"
    reserved = {"PORT", "K_SERVICE", "K_CONFIGURATION", "K_REVISION", "K_SINK"}
    for name in env_of(c):
        assert name not in reserved, f"{name} is set by Knative / the SinkBinding"
        assert reads_env("vep-function", name, env_of(c)), f"vep-function never reads env {name}"
    assert env_of(c)["VEP_BACKEND"]["value"] in {"local", "ensembl", "local+ensembl"}


@pytest.mark.parametrize("target", OVERLAYS)
def test_vep_function_is_scale_to_zero_with_kebab_case_autoscaling(target):
    ksvc = one(render(target), "Service", "vep-function")
    ann = ksvc["spec"]["template"]["metadata"]["annotations"]
    scaling = {k.split("/", 1)[1]: v for k, v in ann.items() if k.startswith("autoscaling.knative.dev/")}
    assert set(scaling) >= {"min-scale", "max-scale", "target", "window", "scale-to-zero-pod-retention-period"}
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*", k) for k in scaling), f"not kebab-case: {scaling}"
    assert scaling["min-scale"] == "0"
    assert 1 <= int(scaling["target"]) <= pod_spec(ksvc)["containerConcurrency"] <= 100
    assert int(scaling["max-scale"]) >= 1
    assert ksvc["metadata"]["labels"]["networking.knative.dev/visibility"] == "cluster-local"
    assert 0 < pod_spec(ksvc)["timeoutSeconds"] <= 600


def test_both_binaries_key_every_event_by_its_chunk_and_the_sinks_keep_binary_mode():
    """KafkaSinks key each record by the `partitionkey` extension. Both services set it to
    `<analysis id>:<chunk index>` (contract::event::partition_key): the chunks of one upload
    spread over partitions and function pods instead of queueing behind each other on one
    partition; the gateway's bookkeeping takes chunks and parts in any order (eventing/README.md,
    "Order"). Binary content mode keeps attributes in record headers and the signed data bytes
    as the record value, unchanged."""
    contract = (ROOT / "vep-function/contract/src/event.rs").read_text()
    assert re.search(r'fn partition_key\(analysis_id: &str, chunk_index: u32\) -> String \{\s*'
                     r'format!\("\{analysis_id\}:\{chunk_index\}"\)', contract), "key by chunk"
    for crate, src in (("gateway", "gateway/src"), ("vep-function", "vep-function/src")):
        assert rust_mentions(crate, "partitionkey"), f"{crate} never sets partitionkey"
        own = "\n".join(f.read_text() for f in (ROOT / src).rglob("*.rs"))
        assert re.search(r"EXT_PARTITION,\s*partition_key\(", own), f"{crate} does not key by chunk"
    for s in find(render("eventing"), "KafkaSink"):
        assert s["spec"]["contentMode"] == "binary", f"{ident(s)}: extensions as record headers"


@pytest.mark.parametrize("target", OVERLAYS)
def test_triggers_deliver_in_order_and_the_sink_binding_namespace_opts_in(target):
    objs = render(target)
    for t in find(objs, "Trigger"):
        assert t["metadata"]["annotations"]["kafka.eventing.knative.dev/delivery.order"] == "ordered", ident(t)
    for sb in find(objs, "SinkBinding"):
        subject = sb["spec"]["subject"]
        ns = one(objs, "Namespace", subject.get("namespace", sb["metadata"]["namespace"]))
        # OpenShift Serverless runs the SinkBinding webhook in inclusion mode: the namespace
        # and the subject itself opt in, or K_SINK is never injected.
        assert ns["metadata"]["labels"]["bindings.knative.dev/include"] == "true"
        target = resolve(objs, {**subject, "namespace": ns["metadata"]["name"]})[0]
        assert target["metadata"]["labels"]["bindings.knative.dev/include"] == "true", ident(target)


def test_both_cloudevents_receivers_accept_post_on_the_path_eventing_delivers_to():
    """Triggers and KafkaSources POST to the subscriber URI's path: `/` for both binaries."""
    trigger = one(render("eventing"), "Trigger", "analysis-results-to-gateway")
    path = urlparse(trigger["spec"]["subscriber"]["uri"]).path
    for crate in ("gateway", "vep-function"):
        # `.route("/", web::post()...)`, or a `web::resource("/")` (with middleware) whose
        # route is `web::post()`.
        pattern = (rf'route\(\s*"{re.escape(path)}"\s*,\s*web::post\(\)'
                   rf'|web::resource\(\s*"{re.escape(path)}"\s*\)[^;]*?\.route\(\s*web::post\(\)')
        assert re.search(pattern, rust_sources(crate), re.S), f"{crate} does not accept POST {path}"
