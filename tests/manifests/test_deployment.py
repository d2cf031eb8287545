"""Operational properties of the rendered overlays (security, rollout, exposure, sizing), the
func.yaml <-> Knative Service agreement, the Containerfiles, and the eventing README."""
import re
import shutil
import subprocess
import tomllib
from pathlib import Path, PurePosixPath

import pytest
import yaml

from manifests import (GENOME_OVERLAYS, HA_OVERLAYS, OVERLAYS, ROOT, container, env_of, find, ident,
                       k8s_duration_seconds, one, pod_spec, render)


def _workloads(objs):
    return find(objs, "Deployment") + find(objs, "Service", api_version="serving.knative.dev/v1") + find(objs, "Job")


@pytest.mark.parametrize("target", OVERLAYS)
def test_every_container_runs_restricted(target):
    workloads = _workloads(render(target))
    assert len(workloads) == (3 if target in GENOME_OVERLAYS else 2)
    for w in workloads:
        for c in pod_spec(w)["containers"]:
            sc = c.get("securityContext", {})
            assert sc.get("runAsNonRoot") is True, ident(w)
            assert sc.get("readOnlyRootFilesystem") is True, ident(w)
            assert sc.get("allowPrivilegeEscalation") is False, ident(w)
            assert sc.get("capabilities") == {"drop": ["ALL"]}, ident(w)
            assert sc.get("seccompProfile") == {"type": "RuntimeDefault"}, ident(w)
            assert "runAsUser" not in sc, f"{ident(w)}: OpenShift assigns the UID"
            res = c.get("resources", {})
            assert res.get("requests", {}).keys() >= {"cpu", "memory"}, ident(w)
            assert res.get("limits", {}).keys() >= {"cpu", "memory"}, ident(w)
            mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
            assert "/tmp" in mounts, f"{ident(w)}: read-only root needs a writable /tmp"
    for w in find(render(target), "Deployment") + find(render(target), "Job"):
        assert pod_spec(w)["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


@pytest.mark.parametrize("target", HA_OVERLAYS)
def test_gateway_rolls_one_at_a_time_and_drains_sockets_before_being_killed(target):
    gw = one(render(target), "Deployment", "gateway")
    assert gw["spec"]["replicas"] >= 2
    assert gw["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 1}}
    c = container(gw)
    pre_stop = c["lifecycle"]["preStop"]["sleep"]["seconds"]
    grace = pod_spec(gw)["terminationGracePeriodSeconds"]
    # preStop, then the gateway's own drain (close frames + in-flight deliveries, 30 s budget).
    assert pre_stop >= 5 and grace >= pre_stop + 30, (pre_stop, grace)
    pdb = one(render(target), "PodDisruptionBudget", "gateway")
    assert 1 <= pdb["spec"]["minAvailable"] < gw["spec"]["replicas"], "PDB must allow one eviction"


def test_prestop_sleep_documents_the_kubernetes_and_openshift_versions_it_needs():
    """The `sleep` action is refused by API servers before Kubernetes 1.30 / OpenShift 4.17."""
    gw = one(render("config/base"), "Deployment", "gateway")
    assert "sleep" in container(gw)["lifecycle"]["preStop"]
    for doc in (ROOT / "config/base/gateway.yaml", ROOT / "config/README.md"):
        text = doc.read_text()
        assert re.search(r"Kubernetes >= 1\.30", text) and re.search(r"OpenShift >= 4\.17", text), doc


@pytest.mark.parametrize("target", HA_OVERLAYS)
def test_gateway_replicas_never_share_a_node(target):
    gw = one(render(target), "Deployment", "gateway")
    labels = gw["spec"]["template"]["metadata"]["labels"]
    by_host = [t for t in pod_spec(gw)["topologySpreadConstraints"]
               if t["topologyKey"] == "kubernetes.io/hostname"]
    assert len(by_host) == 1, "one spread constraint per node"
    t = by_host[0]
    assert t["maxSkew"] == 1 and t["whenUnsatisfiable"] == "DoNotSchedule", t
    assert all(labels.get(k) == v for k, v in t["labelSelector"]["matchLabels"].items()), "selects the gateway pods"


@pytest.mark.parametrize("target", OVERLAYS)
def test_route_timeouts_are_short_for_http_and_long_only_for_websocket_tunnels(target):
    objs = render(target)
    route = one(objs, "Route", "gateway")
    assert route["spec"]["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
    ann = route["metadata"]["annotations"]
    http = k8s_duration_seconds(ann["haproxy.router.openshift.io/timeout"])
    tunnel = k8s_duration_seconds(ann["haproxy.router.openshift.io/timeout-tunnel"])
    # timeout-tunnel applies to upgraded (WebSocket) connections only; plain requests keep a
    # short inactivity timeout.
    assert 30 <= http <= 300, f"HTTP inactivity timeout {http}s"
    assert tunnel >= 900, "idle WebSockets between results need a long tunnel timeout"
    svc = one(objs, "Service", route["spec"]["to"]["name"])
    port = next(p for p in svc["spec"]["ports"] if p["name"] == route["spec"]["port"]["targetPort"])
    assert port["port"] == 8080, "the Route must expose the public port, never the events port"
    origins = env_of(container(one(objs, "Deployment", "gateway")))["PUBLIC_ORIGINS"]["value"].split(",")
    assert f"https://{route['spec']['host']}" in origins, "the browser's origin must be allowed"


def _rules_for_port(np, c, number):
    def port_number(p):
        return p if isinstance(p, int) else next(x["containerPort"] for x in c["ports"] if x["name"] == p)

    return [rule for rule in np["spec"]["ingress"]
            if not rule.get("ports") or number in {port_number(p["port"]) for p in rule["ports"]}]


@pytest.mark.parametrize("target", OVERLAYS)
def test_events_port_is_reachable_only_from_the_kafka_broker_dispatcher(target):
    objs = render(target)
    np = one(objs, "NetworkPolicy", "gateway")
    c = container(one(objs, "Deployment", "gateway"))
    assert np["spec"]["policyTypes"] == ["Ingress"]
    rules = _rules_for_port(np, c, 8081)
    assert rules, "no rule admits the events port: the broker could not deliver"
    for rule in rules:
        assert rule.get("from") == [{
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "knative-eventing"}},
            "podSelector": {"matchLabels": {"app": "kafka-broker-dispatcher"}},
        }], f"events port open to {rule.get('from')}"
    env = env_of(c)
    assert env["EVENTS_HOST"]["value"] == "0.0.0.0", "the events port binds to loopback unless told"
    assert int(env["EVENTS_PORT"]["value"]) == 8081


@pytest.mark.parametrize("target", OVERLAYS)
def test_public_port_admits_the_router_on_the_pod_and_on_the_host_network(target):
    objs = render(target)
    np = one(objs, "NetworkPolicy", "gateway")
    c = container(one(objs, "Deployment", "gateway"))
    peers = [p for rule in _rules_for_port(np, c, 8080) for p in rule["from"]]
    assert {"namespaceSelector": {"matchLabels": {"network.openshift.io/policy-group": "ingress"}}} in peers
    # Host-network routers (bare metal, vSphere) are matched only with podSelector {}.
    assert {"namespaceSelector": {"matchLabels": {"policy-group.network.openshift.io/ingress": ""}},
            "podSelector": {}} in peers
    assert all("ipBlock" not in p for p in peers)


def test_prod_has_more_replicas_resources_and_pinned_images_than_dev():
    dev, prod = render("config/overlays/dev"), render("config/overlays/prod")
    assert one(prod, "Deployment", "gateway")["spec"]["replicas"] > one(dev, "Deployment", "gateway")["spec"]["replicas"]

    def cpu(q):
        return float(q[:-1]) / 1000 if q.endswith("m") else float(q)

    for kind, name in [("Deployment", "gateway"), ("Service", "vep-function")]:
        d = container(one(dev, kind, name))["resources"]
        p = container(one(prod, kind, name))["resources"]
        assert cpu(p["requests"]["cpu"]) > cpu(d["requests"]["cpu"]), name
    for objs, pattern in [(dev, r".+/(gateway|vep-function):dev"),
                          (prod, r".+/(gateway|vep-function):\d+\.\d+\.\d+")]:
        for w in _workloads(objs):
            image = container(w)["image"]
            assert re.fullmatch(pattern, image), f"{ident(w)}: image {image}"
    assert {o["metadata"]["labels"]["environment"] for o in dev} == {"dev"}
    assert {o["metadata"]["labels"]["environment"] for o in prod} == {"prod"}
    assert {o["metadata"]["labels"]["environment"] for o in render("config/overlays/prod-oidc")} == {"prod"}


@pytest.mark.parametrize("target", OVERLAYS)
def test_every_object_carries_the_cost_labels(target):
    for o in render(target):
        labels = o["metadata"].get("labels", {})
        assert labels.get("cost-center") == "genomics-research", ident(o)
        assert labels.get("app.kubernetes.io/part-of") == "genomics-platform", ident(o)
    for w in _workloads(render(target)):
        pod_labels = w["spec"]["template"]["metadata"]["labels"]
        assert pod_labels.get("cost-center") == "genomics-research", f"{ident(w)} pods"
        assert pod_labels.get("app.kubernetes.io/part-of") == "genomics-platform", f"{ident(w)} pods"


def _results_volume(objs):
    gw = one(objs, "Deployment", "gateway")
    c = container(gw)
    results = PurePosixPath(env_of(c)["RESULTS_DIR"]["value"])
    mount = next(m for m in c["volumeMounts"] if results.is_relative_to(m["mountPath"]))
    assert not mount.get("readOnly", False)
    return next(v for v in pod_spec(gw)["volumes"] if v["name"] == mount["name"])


@pytest.mark.parametrize("target", HA_OVERLAYS)
def test_every_gateway_replica_spools_uploads_on_one_shared_claim_of_a_named_class(target):
    objs = render(target)
    claim = one(objs, "PersistentVolumeClaim", _results_volume(objs)["persistentVolumeClaim"]["claimName"])
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    # An overlay parameter: the cluster's RWX class, never the (often RWO-only) default.
    assert claim["spec"].get("storageClassName"), f"{target}: name the ReadWriteMany storage class"
    assert "storageClassName" not in one(render("config/base"), "PersistentVolumeClaim", "gateway-results")["spec"]


def test_minimal_overlay_runs_one_gateway_without_shared_storage_or_redis():
    """Without an RWX class the claim would never bind and the pods would sit Pending: the
    minimal overlay needs no claim at all, and its PDB lets the single pod be evicted."""
    objs = render("config/overlays/minimal")
    gw = one(objs, "Deployment", "gateway")
    assert gw["spec"]["replicas"] == 1
    assert gw["spec"]["strategy"]["rollingUpdate"] == {"maxUnavailable": 0, "maxSurge": 1}
    assert "emptyDir" in _results_volume(objs)
    assert not find(objs, "PersistentVolumeClaim"), "no claim may be left to bind"
    pdb = one(objs, "PodDisruptionBudget", "gateway")["spec"]
    assert "minAvailable" not in pdb and pdb["maxUnavailable"] == 1
    assert env_of(container(gw))["REDIS_URL"]["valueFrom"]["secretKeyRef"]["optional"] is True


@pytest.mark.parametrize("target", OVERLAYS)
def test_a_rollout_that_cannot_progress_is_reported_failed_within_minutes(target):
    gw = one(render(target), "Deployment", "gateway")
    assert gw["spec"]["progressDeadlineSeconds"] <= 300


@pytest.mark.parametrize("target", OVERLAYS)
def test_redis_is_optional_so_a_cluster_without_it_still_starts(target):
    env = env_of(container(one(render(target), "Deployment", "gateway")))
    ref = env["REDIS_URL"]["valueFrom"]["secretKeyRef"]
    assert (ref["name"], ref["key"], ref.get("optional")) == ("gateway-redis", "url", True)


# ---------------------------------------------------------------------------------------------
# func.yaml


def test_vep_function_folder_is_self_contained_for_func():
    """What `func deploy --path vep-function` sees: the folder alone must resolve with its lock."""
    manifest = tomllib.loads((ROOT / "vep-function/Cargo.toml").read_text())
    assert "workspace" in manifest, "vep-function must be its own workspace"
    for table in ("dependencies", "dev-dependencies", "build-dependencies"):
        for name, spec in manifest.get(table, {}).items():
            assert not (isinstance(spec, dict) and "path" in spec and ".." in spec["path"]), \
                f"{name} points outside the folder"
    cargo = shutil.which("cargo")
    assert cargo, "cargo is needed"
    tmp = ROOT / ".artifacts" / "vep-function-alone"
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(ROOT / "vep-function", tmp, ignore=shutil.ignore_patterns("target"))
    try:
        run = subprocess.run([cargo, "metadata", "--locked", "--format-version", "1"],
                             cwd=tmp, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr[-2000:]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Containerfiles


def _stages(containerfile: Path):
    stages, current = [], None
    for raw in containerfile.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        instr, _, rest = line.partition(" ")
        if instr.upper() == "FROM":
            current = {"from": rest, "lines": []}
            stages.append(current)
        else:
            current["lines"].append((instr.upper(), rest))
    return stages


CONTAINERFILES = {
    # image: (Containerfile, build context, binary, Kubernetes kind and name)
    "gateway": ("gateway/Containerfile", ".", "gateway", ("Deployment", "gateway")),
    "vep-function": ("vep-function/Containerfile", "vep-function", "vep-function", ("Service", "vep-function")),
}


@pytest.mark.parametrize("image", sorted(CONTAINERFILES))
def test_containerfile_is_multi_stage_minimal_and_non_root(image):
    path, context, binary, (kind, name) = CONTAINERFILES[image]
    stages = _stages(ROOT / path)
    assert len(stages) >= 2, "multi-stage: build and runtime"
    build, final = stages[0], stages[-1]
    assert any(i == "RUN" and "--locked" in r and "--release" in r for i, r in build["lines"])
    assert "distroless" in final["from"] or "ubi-micro" in final["from"] or final["from"] == "scratch"
    user = [r for i, r in final["lines"] if i == "USER"]
    assert user and re.fullmatch(r"[1-9]\d*(:\d+)?", user[-1]), f"numeric non-root USER, got {user}"
    entry = [r for i, r in final["lines"] if i == "ENTRYPOINT"][-1]
    assert yaml.safe_load(entry) == [f"/usr/local/bin/{binary}"]
    exposed = {int(p) for i, r in final["lines"] if i == "EXPOSE" for p in r.split()}
    c = container(one(render("config/base"), kind, name))
    assert exposed == {p["containerPort"] for p in c["ports"]}
    for instr, rest in build["lines"] + final["lines"]:
        if instr == "COPY" and not rest.startswith("--from"):
            *sources, _ = rest.split()
            for s in sources:
                assert (ROOT / context / s).exists(), f"{path}: COPY source {s} missing in context {context}"


@pytest.mark.parametrize("image", sorted(CONTAINERFILES))
def test_files_compiled_into_the_binary_are_in_the_build_stage(image):
    """include_str!/include_bytes! read files at compile time: the build stage must have them."""
    path, context, _, _ = CONTAINERFILES[image]
    crate = ROOT / Path(path).parent
    ctx = (ROOT / context).resolve()
    copied = [(ctx / s).resolve()
              for i, r in _stages(ROOT / path)[0]["lines"] if i == "COPY" for s in r.split()[:-1]]
    found = 0
    for src in (crate / "src").rglob("*.rs"):
        for rel in re.findall(r'include_(?:str|bytes)!\(\s*"([^"]+)"\s*\)', src.read_text()):
            target = (src.parent / rel).resolve()
            found += 1
            assert target.is_relative_to(ctx), f"{src}: {rel} is outside the build context"
            assert any(target == c or target.is_relative_to(c) for c in copied), \
                f"{path}: {target.relative_to(ctx)} (from {src.name}) is not copied into the build stage"
    if not found:
        pytest.skip(f"{crate} compiles in no files")


def test_gateway_image_copies_every_workspace_member():
    members = tomllib.loads((ROOT / "Cargo.toml").read_text())["workspace"]["members"]
    copied = " ".join(r for i, r in _stages(ROOT / "gateway/Containerfile")[0]["lines"] if i == "COPY")
    for m in members:
        assert re.search(rf"(^|\s){re.escape(m)}(/|\s)", copied), f"workspace member {m} not copied"


def test_vep_function_image_copies_everything_cargo_reads():
    copied = {s for i, r in _stages(ROOT / "vep-function/Containerfile")[0]["lines"] if i == "COPY" for s in r.split()[:-1]}
    for needed in ("Cargo.toml", "Cargo.lock", "src", "build.rs", "contract"):
        if (ROOT / "vep-function" / needed).exists():
            assert needed in copied, f"vep-function/Containerfile does not copy {needed}"


def test_vep_function_image_bakes_the_index_where_the_manifest_points():
    final = _stages(ROOT / "vep-function/Containerfile")[-1]
    copies = [r.split() for i, r in final["lines"] if i == "COPY" and not r.startswith("--from")]
    ksvc = one(render("config/base"), "Service", "vep-function")
    data_dir = env_of(container(ksvc))["VEP_DATA_DIR"]["value"]
    assert ["data", data_dir] in copies
    assert any((ROOT / "vep-function/data").rglob("*.fa.gz")), "no reference in the bundled data"


# ---------------------------------------------------------------------------------------------
# Documentation


def test_eventing_readme_names_every_hop():
    readme = (ROOT / "eventing/README.md").read_text()
    objs = render("eventing")
    for kind in ("Trigger", "KafkaSource", "SinkBinding", "KafkaSink", "Broker"):
        for o in find(objs, kind):
            assert o["metadata"]["name"] in readme, f"README does not mention {ident(o)}"
    for t in ("dev.genomics.variants.submitted.v1", "dev.genomics.variants.annotated.v2",
              "dev.genomics.analysis.failed.v1"):
        assert t in readme
