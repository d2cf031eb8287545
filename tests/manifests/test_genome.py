"""Whole-genome annotation in the cluster (config/reference, config/components/whole-genome):
one ConfigMap of reference parameters feeds the fetch Job, the function and the gateway; the Job
writes a ReadWriteOnce claim the function mounts read-only; RWO pins the function to one node;
the startupProbe and the memory settings follow the genome-scale measurement in
config/sizing/function-genome.json."""
import json
import math
import re
from pathlib import PurePosixPath

import pytest

from manifests import (GENOME_OVERLAYS, ROOT, container, env_of, find, one, pod_spec, render, render_with)

SIZING = json.loads((ROOT / "config/sizing/function-genome.json").read_text())
PARAMETERS = {"REFERENCE_SOURCE": "source", "REFERENCE_ASSEMBLY": "assembly", "REFERENCE_RELEASE": "release"}


def _mebibytes(q: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(Ki|Mi|Gi)", q)
    assert m, f"memory quantity {q!r}"
    return float(m[1]) * {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024}[m[2]]


def _cpus(q: str) -> float:
    return float(q[:-1]) / 1000 if q.endswith("m") else float(q)


def _expand(value: str, env: dict[str, str]) -> str:
    """Kubernetes dependent environment variables: $(NAME) of an earlier variable."""
    return re.sub(r"\$\((\w+)\)", lambda m: env.get(m[1], m[0]), value)


def _reference_env(c, configmap) -> dict[str, str]:
    """The container's REFERENCE_* variables, resolved from the ConfigMap they point at."""
    out = {}
    for name, key in PARAMETERS.items():
        ref = env_of(c)[name]["valueFrom"]["configMapKeyRef"]
        assert (ref["name"], ref["key"]) == (configmap["metadata"]["name"], key), name
        assert not ref.get("optional"), f"{name}: the reference parameters are required"
        out[name] = configmap["data"][key]
    return out


@pytest.mark.parametrize("target", GENOME_OVERLAYS)
def test_one_configmap_drives_the_job_the_function_and_the_gateway(target):
    objs = render(target)
    cm = one(objs, "ConfigMap", "reference")
    assert cm["data"]["source"] in {"ensembl", "refseq"}
    assert cm["data"]["assembly"] in {"GRCh38", "GRCh37"}
    assert re.fullmatch(r"\d+", cm["data"]["release"])
    job = one(objs, "Job", "reference-fetch")
    for w in (job, one(objs, "Service", "vep-function"), one(objs, "Deployment", "gateway")):
        _reference_env(container(w), cm)


@pytest.mark.parametrize("target", GENOME_OVERLAYS)
def test_the_job_fetches_into_the_rwo_claim_the_function_serves_read_only(target):
    objs = render(target)
    cm = one(objs, "ConfigMap", "reference")
    job = one(objs, "Job", "reference-fetch")
    jc = container(job)
    job_env = _reference_env(jc, cm)
    args = [_expand(a, job_env) for a in jc["args"]]
    assert args[:2] == ["reference", "fetch"], args
    flags = dict(zip(args[2::2], args[3::2]))
    assert flags["--source"] == cm["data"]["source"] and flags["--assembly"] == cm["data"]["assembly"]
    assert flags["--release"] == cm["data"]["release"]
    out = PurePosixPath(flags["--out"])
    job_mount = next(m for m in jc["volumeMounts"] if out.is_relative_to(m["mountPath"]))
    assert not job_mount.get("readOnly", False), "the Job writes the claim"
    job_claim = next(v for v in pod_spec(job)["volumes"] if v["name"] == job_mount["name"])["persistentVolumeClaim"]
    claim = one(objs, "PersistentVolumeClaim", job_claim["claimName"])
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"], "RWO: offered by every storage class"
    # Restarts continue in the same pod on the same node, where the RWO volume is attached.
    assert pod_spec(job)["restartPolicy"] == "OnFailure" and job["spec"]["backoffLimit"] >= 1
    assert job["spec"]["activeDeadlineSeconds"] >= 3600

    ksvc = one(objs, "Service", "vep-function")
    c = container(ksvc)
    env = env_of(c)
    assert "VEP_DATA_DIR" not in env, "VEP_INDEX and VEP_DATA_DIR are alternatives"
    names = [e["name"] for e in c["env"]]
    assert all(names.index(p) < names.index("VEP_INDEX") for p in PARAMETERS), \
        "Kubernetes expands only variables defined earlier"
    index = PurePosixPath(_expand(env["VEP_INDEX"]["value"], _reference_env(c, cm)))
    mount = next(m for m in c["volumeMounts"] if index.is_relative_to(m["mountPath"]))
    assert mount["readOnly"] is True
    volume = next(v for v in pod_spec(ksvc)["volumes"] if v["name"] == mount["name"])["persistentVolumeClaim"]
    assert volume["claimName"] == claim["metadata"]["name"] and volume["readOnly"] is True
    # The directory the function serves is exactly the Job's --out, seen through each mount.
    assert index.relative_to(mount["mountPath"]) == out.relative_to(job_mount["mountPath"])


@pytest.mark.parametrize("target", GENOME_OVERLAYS)
def test_rwo_keeps_every_function_pod_on_the_claims_node(target):
    ksvc = one(render(target), "Service", "vep-function")
    terms = pod_spec(ksvc)["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    pod_labels = ksvc["spec"]["template"]["metadata"]["labels"]
    assert any(t["topologyKey"] == "kubernetes.io/hostname"
               and all(pod_labels.get(k) == v for k, v in t["labelSelector"]["matchLabels"].items())
               for t in terms)
    # What one node holds: max-scale x requested CPU stays within a common 8-CPU worker.
    max_scale = int(ksvc["spec"]["template"]["metadata"]["annotations"]["autoscaling.knative.dev/max-scale"])
    assert max_scale * _cpus(container(ksvc)["resources"]["requests"]["cpu"]) <= 8


def test_rwx_component_lifts_the_node_pinning_and_scales_out():
    objs = render_with("config/overlays/prod", "config/components/whole-genome-rwx")
    assert one(objs, "PersistentVolumeClaim", "vep-reference")["spec"]["accessModes"] == ["ReadWriteMany"]
    ksvc = one(objs, "Service", "vep-function")
    assert "affinity" not in pod_spec(ksvc)
    assert int(ksvc["spec"]["template"]["metadata"]["annotations"]["autoscaling.knative.dev/max-scale"]) > 4


def test_the_reference_applies_alone_before_the_function():
    """Step 1 of config/README.md: the claim and the Job exist before any function revision
    could start without its reference."""
    objs = render("config/reference")
    assert sorted(o["kind"] for o in objs) == ["ConfigMap", "Job", "PersistentVolumeClaim"]
    assert not find(objs, "Service")


def test_sizing_figures_name_the_build_and_the_world_they_were_measured_on():
    assert SIZING["build"]["binary"] == "release" and re.fullmatch(r"[0-9a-f]{7,}", SIZING["build"]["commit"])
    assert SIZING["world"]["index_bytes"] > 10_000_000, "measured on a genome-scale index"
    assert SIZING["max_concurrency"] >= 1 and SIZING["runs"]


@pytest.mark.parametrize("target", GENOME_OVERLAYS)
def test_startup_probe_is_sized_from_the_measured_genome_load(target):
    c = container(one(render(target), "Service", "vep-function"))
    probe = c["startupProbe"]
    budget = probe.get("initialDelaySeconds", 0) + probe["periodSeconds"] * probe["failureThreshold"]
    # At least 10x the slowest measured start (a node busier than this machine, a cold page
    # cache on network storage), at most a minute: a broken pod must not wait long to restart.
    assert 10 * SIZING["ready_max_s"] <= budget <= 60, (budget, SIZING["ready_max_s"])
    assert probe["periodSeconds"] <= 2, "the pod is ready within ~1 s: probe often"
    assert probe["httpGet"]["path"] == c["livenessProbe"]["httpGet"]["path"], \
        "started = serving (liveness); readiness may stay down (no K_SINK) without restarts"


@pytest.mark.parametrize("target", GENOME_OVERLAYS)
def test_function_memory_is_sized_from_the_measured_genome_rss(target):
    res = container(one(render(target), "Service", "vep-function"))["resources"]
    request, limit = _mebibytes(res["requests"]["memory"]), _mebibytes(res["limits"]["memory"])
    peak = SIZING["peak_rss_concurrent_kib"] / 1024
    # The function annotates 2 x CPUs chunks at once: the measurement covered that many.
    assert 2 * math.ceil(_cpus(res["limits"]["cpu"])) <= SIZING["max_concurrency"], "re-measure with more chunks"
    assert request >= peak, f"request {request} MiB below the measured peak {peak:.0f} MiB"
    assert limit >= 1.5 * peak, f"limit {limit} MiB leaves no room over the measured peak {peak:.0f} MiB"
    assert limit <= 1024, "issue #17: the function stays within 1 GiB"
    job = container(one(render(target), "Job", "reference-fetch"))["resources"]
    assert _mebibytes(job["limits"]["memory"]) >= 1.5 * SIZING["world"]["index_build_peak_rss_kib"] / 1024


def test_config_readme_goes_from_an_empty_cluster_to_whole_genome_annotation():
    readme = (ROOT / "config/README.md").read_text()
    section = readme[readme.index("## From an empty cluster to whole-genome annotation"):]
    for step in ("kubectl apply -k config/reference", "wait --for=condition=complete", "job/reference-fetch",
                 "event-signing-key", "kubectl apply -k config/overlays/prod", "openssl rand",
                 "kubernetes.podspec-persistent-volume-claim", "kubernetes.podspec-affinity"):
        assert step in section, f"config/README.md step missing: {step}"
