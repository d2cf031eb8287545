"""Delivery budgets of the rendered wiring, recomputed from the YAML and the Rust sources:
- the gateway's chunk deadline outlasts the longest delivery that still succeeds (every hop
  using all its retries), so a late result is not refused while it is still on its way;
- each attempt at the function outlasts a cold start plus the function's own timeout;
- an idle function is gone within ~60 s;
- topics use Strimzi's current API, with a component for older operators.

Dispatch rules (eventing-kafka-broker, data-plane WebClientCloudEventSender): an attempt is cut
after delivery.timeout (600 s when unset); retry n (1-based) waits backoffDelay x 2^n
(exponential) or backoffDelay x n (linear); retry+1 attempts in all."""
import re

import pytest

from manifests import (GENOME_OVERLAYS, OVERLAYS, ROOT, container, env_of, find, ident, iso8601_seconds,
                       k8s_duration_seconds, one, pod_spec, render, render_with, rust_sources, schema_errors)

SUBMITTED = "dev.genomics.variants.submitted.v1"
DISPATCHER_DEFAULT_TIMEOUT_S = 600.0
# Scheduling plus pulling the ~20 MB distroless image before the container starts: not in any
# manifest, so stated here and in eventing/README.md.
POD_START_ALLOWANCE_S = 30.0
# Knative Serving defaults we rely on (pkg/autoscaler/config/config.go defaultConfig):
# scale-to-zero-grace-period is cluster-wide only, no per-revision annotation.
SCALE_TO_ZERO_GRACE_PERIOD_S = 30.0
AUTOSCALER_TICK_S = 2.0
ADR_IDLE_TO_ZERO_S = 60.0


def dispatch_budget(delivery: dict) -> float:
    retry = delivery["retry"]
    delay = iso8601_seconds(delivery["backoffDelay"])
    timeout = iso8601_seconds(delivery["timeout"]) if "timeout" in delivery else DISPATCHER_DEFAULT_TIMEOUT_S
    if delivery["backoffPolicy"] == "exponential":
        waits = sum(delay * 2 ** n for n in range(1, retry + 1))
    else:
        waits = sum(delay * n for n in range(1, retry + 1))
    return (retry + 1) * timeout + waits


def _rust_default(crate_file: str, key: str) -> int:
    src = (ROOT / crate_file).read_text()
    m = re.search(rf"\(\s*src,\s*{key},\s*(\w+),?\s*\)", src)
    assert m, f"no default for {key} in {crate_file}"
    value = m[1]
    if not value[0].isdigit():
        value = re.search(rf"const {value}: \w+ = ([\d_]+);", src)[1]
    return int(value.replace("_", ""))


def gateway_submit_budget(env: dict) -> float:
    """Hop 1, the gateway's own sends to the Broker: (BROKER_RETRIES + 1) attempts of
    BROKER_TIMEOUT_MS, backoff 100 ms doubling, capped at 2 s (the shared sender,
    vep-function/contract/src/delivery.rs)."""
    def setting(key):
        return int(env[key]["value"]) if key in env else _rust_default("gateway/src/config.rs", key)

    retries, timeout = setting("BROKER_RETRIES"), setting("BROKER_TIMEOUT_MS") / 1000
    broker = (ROOT / "vep-function/contract/src/delivery.rs").read_text()
    base = int(re.search(r"BACKOFF_BASE: Duration = Duration::from_millis\((\d+)\)", broker)[1]) / 1000
    cap = int(re.search(r"BACKOFF_CAP: Duration = Duration::from_secs\((\d+)\)", broker)[1])
    return (retries + 1) * timeout + sum(min(base * 2 ** (a - 1), cap) for a in range(1, retries + 1))


def _path_to_the_gateway(objs):
    """The four dispatched hops a chunk takes after the gateway's own send."""
    into_raw = next(t for t in find(objs, "Trigger") if t["spec"].get("filter", {}).get("attributes", {}).get("type") == SUBMITTED)
    raw_sink = one(objs, "KafkaSink", into_raw["spec"]["subscriber"]["ref"]["name"])
    to_function = next(s for s in find(objs, "KafkaSource") if raw_sink["spec"]["topic"] in s["spec"]["topics"])
    binding = find(objs, "SinkBinding")[0]
    results_sink = one(objs, "KafkaSink", binding["spec"]["sink"]["ref"]["name"])
    back = next(s for s in find(objs, "KafkaSource") if results_sink["spec"]["topic"] in s["spec"]["topics"])
    to_gateway = next(t for t in find(objs, "Trigger") if "gateway." in t["spec"]["subscriber"].get("uri", ""))
    return [into_raw, to_function, back, to_gateway]


def delivery_budget(objs) -> float:
    env = env_of(container(one(objs, "Deployment", "gateway")))
    return gateway_submit_budget(env) + sum(dispatch_budget(o["spec"]["delivery"]) for o in _path_to_the_gateway(objs))


@pytest.mark.parametrize("target", OVERLAYS)
def test_chunk_deadline_outlasts_every_delivery_that_still_succeeds(target):
    objs = render(target)
    budget = delivery_budget(objs)
    env = env_of(container(one(objs, "Deployment", "gateway")))
    configured = int(env["CHUNK_TIMEOUT_SECS"]["value"])
    default = _rust_default("gateway/src/config.rs", "CHUNK_TIMEOUT_SECS")
    for name, deadline in [("CHUNK_TIMEOUT_SECS", configured), ("gateway default", default)]:
        assert deadline > budget, f"{name} {deadline}s <= delivery budget {budget:.1f}s: late results would be refused"
        # ...but not so long that a lost chunk keeps the user waiting for nothing.
        assert deadline <= 1.2 * budget, f"{name} {deadline}s is far above the budget {budget:.1f}s"


def test_eventing_readme_shows_the_deadline_arithmetic_of_the_manifests():
    objs = render("config/overlays/prod")
    readme = (ROOT / "eventing/README.md").read_text()
    section = readme[readme.index("## Chunk deadline"):]
    env = env_of(container(one(objs, "Deployment", "gateway")))
    for figure in [gateway_submit_budget(env), *(dispatch_budget(o["spec"]["delivery"]) for o in _path_to_the_gateway(objs)),
                   delivery_budget(objs)]:
        assert f"{figure:.1f} s" in section, f"eventing/README.md does not show {figure:.1f} s"
    assert env["CHUNK_TIMEOUT_SECS"]["value"] in section
    assert "chunk_timeout" in section and "dead letter" in section, "say what happens to a result after the deadline"


@pytest.mark.parametrize("target", OVERLAYS)
def test_each_attempt_at_the_function_outlasts_a_cold_start_plus_its_timeout(target):
    objs = render(target)
    ksvc = one(objs, "Service", "vep-function")
    src = next(s for s in find(objs, "KafkaSource") if s["spec"]["sink"]["ref"]["kind"] == "Service")
    probe = container(ksvc)["startupProbe"]
    startup = probe.get("initialDelaySeconds", 0) + probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)
    cold_start = POD_START_ALLOWANCE_S + startup
    attempt = iso8601_seconds(src["spec"]["delivery"]["timeout"])
    assert attempt >= cold_start + pod_spec(ksvc)["timeoutSeconds"], \
        f"{ident(src)}: {attempt}s < cold start {cold_start}s + timeoutSeconds {pod_spec(ksvc)['timeoutSeconds']}s"
    assert src["spec"]["delivery"]["retry"] >= 1, "a pod killed mid-chunk or a missing K_SINK needs one retry"


@pytest.mark.parametrize("target", OVERLAYS)
def test_an_idle_function_is_gone_within_about_60_seconds(target):
    ann = one(render(target), "Service", "vep-function")["spec"]["template"]["metadata"]["annotations"]
    window = k8s_duration_seconds(ann["autoscaling.knative.dev/window"])
    retention = k8s_duration_seconds(ann["autoscaling.knative.dev/scale-to-zero-pod-retention-period"])
    assert 6 <= window, "Knative's minimum stable window is 6 s"
    # Zero once the window's average is 0, then inactive for max(grace period, retention).
    idle_to_zero = window + max(SCALE_TO_ZERO_GRACE_PERIOD_S, retention) + AUTOSCALER_TICK_S
    assert idle_to_zero <= ADR_IDLE_TO_ZERO_S + AUTOSCALER_TICK_S, f"idle pod kept {idle_to_zero}s"
    yaml_text = (ROOT / "config/base/vep-function.yaml").read_text()
    for cited in ("scaler.go", "config.go", "stable-window 60 s", "grace period 30 s"):
        assert cited in yaml_text, f"the scale-to-zero arithmetic must cite {cited}"


@pytest.mark.parametrize("target", OVERLAYS)
def test_kafka_topics_use_the_strimzi_v1_api(target):
    topics = find(render(target), "KafkaTopic")
    assert topics and {t["apiVersion"] for t in topics} == {"kafka.strimzi.io/v1"}


def test_older_strimzi_gets_v1beta2_topics_from_a_component():
    objs = render_with("config/overlays/prod", "config/components/strimzi-v1beta2")
    topics = find(objs, "KafkaTopic")
    assert len(topics) == 3 and {t["apiVersion"] for t in topics} == {"kafka.strimzi.io/v1beta2"}
    assert all(not schema_errors(t) for t in topics)
    v1 = {t["metadata"]["name"]: t["spec"] for t in find(render("config/overlays/prod"), "KafkaTopic")}
    assert {t["metadata"]["name"]: t["spec"] for t in topics} == v1, "only the API version may differ"


def test_the_function_refuses_work_under_knative_without_k_sink():
    """The code side of the SinkBinding label: K_SERVICE without K_SINK is a typed refusal
    (tests/tests/delivery.rs runs it for real)."""
    src = rust_sources("vep-function")
    assert '"K_SERVICE"' in src and '"sink_missing"' in src


@pytest.mark.parametrize("target", GENOME_OVERLAYS)
def test_genome_overlays_keep_the_same_delivery_budget(target):
    assert delivery_budget(render(target)) == delivery_budget(render("config/overlays/dev"))
