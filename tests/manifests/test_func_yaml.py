"""vep-function/func.yaml (the `func deploy` development path) against the Knative Service the
manifests deploy: the fields func can carry are equal, the ones it cannot are listed here and
present in the manifest, and the build is pinned and honest about its downloads.

What func's Knative deployer writes (knative/func pkg/knative/deployer.go, generateNewService):
deploy.labels on the Service and its template; deploy.annotations on BOTH (so no autoscaling
annotation: Knative refuses them on the Service, pkg/apis/serving/v1/service_validation.go);
scale options as template annotations; resources; containerConcurrency; run.envs; run.volumes;
the health paths (no timings); its own container securityContext (no readOnlyRootFilesystem)."""
import fnmatch
import re
from pathlib import PurePosixPath

from manifests import ROOT, container, env_of, load_func_yaml, one, pod_spec, render

# Set in config/base/vep-function.yaml, not expressible in func.yaml. Each: a check on the
# rendered Knative Service. config/README.md lists the same gap for people.
FUNC_CANNOT_CARRY = {
    "autoscaling window annotation":
        lambda ksvc: "autoscaling.knative.dev/window" in ksvc["spec"]["template"]["metadata"]["annotations"],
    "scale-to-zero retention annotation":
        lambda ksvc: "autoscaling.knative.dev/scale-to-zero-pod-retention-period"
        in ksvc["spec"]["template"]["metadata"]["annotations"],
    "timeoutSeconds": lambda ksvc: pod_spec(ksvc)["timeoutSeconds"] > 0,
    "startupProbe": lambda ksvc: "startupProbe" in container(ksvc),
    "probe timings": lambda ksvc: "periodSeconds" in container(ksvc)["readinessProbe"],
    "readOnlyRootFilesystem": lambda ksvc: container(ksvc)["securityContext"]["readOnlyRootFilesystem"] is True,
    "optional ConfigMap env": lambda ksvc: any(
        e.get("valueFrom", {}).get("configMapKeyRef", {}).get("optional") for e in container(ksvc)["env"]),
}


def _ksvc():
    return one(render("config/base"), "Service", "vep-function")


def test_func_yaml_carries_the_labels_scale_resources_env_and_health_of_the_manifest():
    func, ksvc = load_func_yaml(), _ksvc()
    c = container(ksvc)
    assert func["specVersion"] == "0.36.0"
    assert (func["runtime"], func["invoke"]) == ("rust", "cloudevent")
    assert func["name"] == ksvc["metadata"]["name"]
    assert func["namespace"] == func["deploy"]["namespace"] == ksvc["metadata"]["namespace"]
    labels = {label["key"]: label["value"] for label in func["deploy"]["labels"]}
    manifest_labels = {**ksvc["metadata"]["labels"], **ksvc["spec"]["template"]["metadata"]["labels"]}
    # The ones `func deploy` used to drop: the function would be public, K_SINK never injected.
    assert labels["networking.knative.dev/visibility"] == "cluster-local"
    assert labels["bindings.knative.dev/include"] == "true"
    for key, value in labels.items():
        assert manifest_labels.get(key) == value, f"label {key}: func.yaml {value!r}, manifest {manifest_labels.get(key)!r}"
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
    health = func["deploy"]["healthEndpoints"]
    assert health["liveness"] == c["livenessProbe"]["httpGet"]["path"]
    assert health["readiness"] == c["readinessProbe"]["httpGet"]["path"]
    ksvc_env = {k: v.get("value") for k, v in env_of(c).items()}
    for e in func["run"]["envs"]:
        assert ksvc_env.get(e["name"]) == e["value"], f"func.yaml env {e['name']} differs from the manifest"
    plain = {k for k, v in env_of(c).items() if "value" in v}
    assert plain <= {e["name"] for e in func["run"]["envs"]} | {"VEP_DATA_DIR"}, \
        "a plain env of the manifest is missing in func.yaml (VEP_DATA_DIR: the image's default)"


def test_func_yaml_mounts_the_same_tmp_and_signing_key_volumes():
    func, ksvc = load_func_yaml(), _ksvc()
    c = container(ksvc)
    volumes = {v["name"]: v for v in pod_spec(ksvc)["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in c["volumeMounts"]}
    func_volumes = {v["path"]: v for v in func["run"]["volumes"]}
    assert set(func_volumes) == set(mounts), "func.yaml and the manifest mount different paths"
    assert func_volumes["/tmp"]["emptyDir"]["sizeLimit"] == mounts["/tmp"]["emptyDir"]["sizeLimit"]
    key_dir = str(PurePosixPath(env_of(c)["EVENT_SIGNING_KEY_FILE"]["value"]).parent)
    assert func_volumes[key_dir]["secret"] == mounts[key_dir]["secret"]["secretName"] == "event-signing-key"


def test_func_yaml_has_no_autoscaling_annotation_knative_would_refuse():
    """func copies deploy.annotations onto the Service itself, where Knative rejects
    autoscaling.knative.dev/* (ValidateHasNoAutoscalingAnnotation): `func deploy` would fail."""
    annotations = load_func_yaml()["deploy"].get("annotations", {})
    assert not [k for k in annotations if k.startswith("autoscaling.knative.dev/")]


def test_what_func_cannot_carry_is_in_the_manifest_and_documented():
    ksvc = _ksvc()
    readme = (ROOT / "config/README.md").read_text()
    section = readme[readme.index("## func deploy"):]
    for what, present in FUNC_CANNOT_CARRY.items():
        assert present(ksvc), f"the manifest no longer sets {what}: update FUNC_CANNOT_CARRY"
        assert what in section, f"config/README.md 'func deploy' does not say func drops {what}"


def test_func_build_is_pinned_and_does_not_claim_to_be_offline():
    func = load_func_yaml()
    build = func["build"]
    assert build["builder"] == "pack"
    builder = build["builderImages"]["pack"]
    # func's rust default (DefaultBaseBuilder), pinned: a digest, or at least a release tag.
    assert re.fullmatch(r"ghcr\.io/knative/builder-jammy-base(@sha256:[0-9a-f]{64}|:\d+\.\d+\.\d+)", builder), builder
    for bp in build["buildpacks"]:
        assert re.fullmatch(r"docker\.io/paketocommunity/rust(:[\w.]+)?@sha256:[0-9a-f]{64}", bp), bp
    envs = {e["name"]: e["value"] for e in build["buildEnvs"]}
    containerfile = (ROOT / "vep-function/Containerfile").read_text()
    rust = re.search(r"FROM docker\.io/library/rust:(\d+\.\d+)", containerfile)[1]
    assert envs["BP_RUSTUP_ENABLED"] == "true" and envs["BP_RUST_TOOLCHAIN"].startswith(rust + "."), \
        "the buildpack must compile with the Containerfile's toolchain"
    text = (ROOT / "vep-function/func.yaml").read_text().lower()
    assert "not offline" in text and "download" in text, "func.yaml must say the build downloads"
    assert "disconnected build" not in text
    kept = envs["BP_INCLUDE_FILES"].split(":")
    for f in (ROOT / "vep-function/data").rglob("*"):
        if f.is_file():
            rel = f.relative_to(ROOT / "vep-function").as_posix()
            assert any(fnmatch.fnmatchcase(rel, g) and rel.count("/") == g.count("/") for g in kept), \
                f"the pack build would delete {rel}"
