"""Operational properties of the rendered overlays (security, rollout, exposure, sizing), the
func.yaml <-> Knative Service agreement, the Containerfiles, and the eventing README."""
import fnmatch
import re
import shutil
import subprocess
import tomllib
from pathlib import Path, PurePosixPath

import pytest
import yaml

from manifests import (OVERLAYS, ROOT, container, env_of, find, ident, load_func_yaml, one,
                       pod_spec, render)


def _workloads(objs):
    return find(objs, "Deployment") + find(objs, "Service", api_version="serving.knative.dev/v1")


@pytest.mark.parametrize("target", OVERLAYS)
def test_every_container_runs_restricted(target):
    workloads = _workloads(render(target))
    assert len(workloads) == 2
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
    gw = one(render(target), "Deployment", "gateway")
    assert pod_spec(gw)["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


@pytest.mark.parametrize("target", OVERLAYS)
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


@pytest.mark.parametrize("target", OVERLAYS)
def test_route_is_edge_tls_with_redirect_and_a_websocket_timeout(target):
    objs = render(target)
    route = one(objs, "Route", "gateway")
    assert route["spec"]["tls"] == {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
    ann = route["metadata"]["annotations"]
    m = re.fullmatch(r"(\d+)([smh])", ann["haproxy.router.openshift.io/timeout"])
    assert m and int(m[1]) * {"s": 1, "m": 60, "h": 3600}[m[2]] >= 300, "idle WebSockets need > 5 min"
    svc = one(objs, "Service", route["spec"]["to"]["name"])
    port = next(p for p in svc["spec"]["ports"] if p["name"] == route["spec"]["port"]["targetPort"])
    assert port["port"] == 8080, "the Route must expose the public port, never the events port"
    origins = env_of(container(one(objs, "Deployment", "gateway")))["ALLOWED_ORIGINS"]["value"].split(",")
    assert f"https://{route['spec']['host']}" in origins, "the browser's origin must be allowed"


@pytest.mark.parametrize("target", OVERLAYS)
def test_events_port_is_reachable_only_from_knative_eventing(target):
    objs = render(target)
    np = one(objs, "NetworkPolicy", "gateway")
    c = container(one(objs, "Deployment", "gateway"))
    assert np["spec"]["policyTypes"] == ["Ingress"]

    def port_number(p):
        return p if isinstance(p, int) else next(x["containerPort"] for x in c["ports"] if x["name"] == p)

    rules_for_events = []
    for rule in np["spec"]["ingress"]:
        ports = {port_number(p["port"]) for p in rule.get("ports", [])}
        if not ports or 8081 in ports:
            rules_for_events.append(rule)
    assert rules_for_events, "no rule admits the events port: the broker could not deliver"
    for rule in rules_for_events:
        assert rule.get("from") == [
            {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "knative-eventing"}}}
        ], f"events port open to {rule.get('from')}"


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


@pytest.mark.parametrize("target", OVERLAYS)
def test_every_gateway_replica_spools_uploads_on_one_shared_claim(target):
    objs = render(target)
    gw = one(objs, "Deployment", "gateway")
    c = container(gw)
    results = PurePosixPath(env_of(c)["RESULTS_DIR"]["value"])
    mount = next(m for m in c["volumeMounts"] if results.is_relative_to(m["mountPath"]))
    assert not mount.get("readOnly", False)
    volume = next(v for v in pod_spec(gw)["volumes"] if v["name"] == mount["name"])
    claim = volume["persistentVolumeClaim"]["claimName"]
    assert one(objs, "PersistentVolumeClaim", claim)["spec"]["accessModes"] == ["ReadWriteMany"]


def test_prod_loads_the_engine_index_from_the_read_only_claim():
    objs = render("config/overlays/prod")
    ksvc = one(objs, "Service", "vep-function")
    c = container(ksvc)
    env = env_of(c)
    assert "VEP_DATA_DIR" not in env, "VEP_INDEX and VEP_DATA_DIR are alternatives"
    index = PurePosixPath(env["VEP_INDEX"]["value"])
    mount = next(m for m in c["volumeMounts"] if index.is_relative_to(m["mountPath"]))
    assert mount["readOnly"] is True
    volume = next(v for v in pod_spec(ksvc)["volumes"] if v["name"] == mount["name"])
    claim = volume["persistentVolumeClaim"]["claimName"]
    assert one(objs, "PersistentVolumeClaim", claim)["spec"]["accessModes"] == ["ReadOnlyMany"]


# ---------------------------------------------------------------------------------------------
# func.yaml


def test_func_yaml_describes_the_same_service_as_the_manifest():
    func = load_func_yaml()
    ksvc = one(render("config/base"), "Service", "vep-function")
    c = container(ksvc)
    assert func["specVersion"] == "0.36.0"
    assert (func["runtime"], func["invoke"]) == ("rust", "cloudevent")
    assert func["name"] == ksvc["metadata"]["name"]
    assert func["namespace"] == func["deploy"]["namespace"] == ksvc["metadata"]["namespace"]
    build = func["build"]
    assert build["builder"] == "pack"
    assert {"name": "BP_RUSTUP_ENABLED", "value": "false"} in build["buildEnvs"]
    kept = next(e["value"] for e in build["buildEnvs"] if e["name"] == "BP_INCLUDE_FILES").split(":")
    for f in (ROOT / "vep-function/data").rglob("*"):
        if f.is_file():
            rel = f.relative_to(ROOT / "vep-function").as_posix()
            assert any(fnmatch.fnmatchcase(rel, g) and rel.count("/") == g.count("/") for g in kept), \
                f"the pack build would delete {rel}"
    health = func["deploy"]["healthEndpoints"]
    assert health["liveness"] == c["livenessProbe"]["httpGet"]["path"]
    assert health["readiness"] == c["readinessProbe"]["httpGet"]["path"]
    ann = ksvc["spec"]["template"]["metadata"]["annotations"]
    scale = func["deploy"]["options"]["scale"]
    assert str(scale["min"]) == ann["autoscaling.knative.dev/min-scale"]
    assert str(scale["max"]) == ann["autoscaling.knative.dev/max-scale"]
    assert str(scale["target"]) == ann["autoscaling.knative.dev/target"]
    assert scale["metric"] == ann["autoscaling.knative.dev/metric"]
    res = func["deploy"]["options"]["resources"]
    assert res["limits"]["concurrency"] == pod_spec(ksvc)["containerConcurrency"]
    assert res["requests"] == c["resources"]["requests"]
    assert {k: v for k, v in res["limits"].items() if k != "concurrency"} == c["resources"]["limits"]
    ksvc_env = {k: v.get("value") for k, v in env_of(c).items()}
    for e in func["run"]["envs"]:
        assert ksvc_env.get(e["name"]) == e["value"], f"func.yaml env {e['name']} differs from the manifest"


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
    for t in ("dev.genomics.variants.submitted.v1", "dev.genomics.variants.annotated.v1",
              "dev.genomics.analysis.failed.v1"):
        assert t in readme
