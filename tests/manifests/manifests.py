"""Shared helpers of the manifest tests: rendering with the real kustomize (kubectl kustomize),
schema lookup in the kubeconform layout, and small accessors over rendered objects."""
from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = Path(__file__).resolve().parent / "schemas"

# Every kustomization the project ships, rendered as a whole.
OVERLAYS = ["config/overlays/dev", "config/overlays/prod", "config/overlays/prod-oidc",
            "config/overlays/minimal"]
# Overlays that run several gateway replicas (shared uploads claim, Redis, spread, PDB).
HA_OVERLAYS = [o for o in OVERLAYS if not o.endswith("/minimal")]
# Overlays that serve the whole genome (config/components/whole-genome).
GENOME_OVERLAYS = ["config/overlays/prod", "config/overlays/prod-oidc"]
RENDER_TARGETS = ["eventing", "config/base", "config/reference", *OVERLAYS]
# Kinds without a namespace.
CLUSTER_SCOPED = {"Namespace", "ClusterRoleBinding", "ClusterRole"}

KAFKA_BROKER_INGRESS = "http://kafka-broker-ingress.knative-eventing.svc.cluster.local"


def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        raise RuntimeError("kubectl not on PATH: run tests/manifests/run.sh (it installs one)")
    return path


@functools.cache
def render(target: str) -> tuple[dict, ...]:
    """Objects of `kubectl kustomize <target>` (kustomize v5, as embedded in kubectl)."""
    out = subprocess.run(
        [kubectl(), "kustomize", str(ROOT / target)],
        check=True, capture_output=True, text=True,
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


@functools.cache
def render_with(target: str, *components: str) -> tuple[dict, ...]:
    """`target` plus optional components (ones no overlay includes), rendered through a
    throw-away kustomization under .artifacts/ (components are referenced by relative path)."""
    work = ROOT / ".artifacts" / "manifests-render" / "-".join(p.rsplit("/", 1)[-1] for p in (target, *components))
    work.mkdir(parents=True, exist_ok=True)
    up = "../../.."
    (work / "kustomization.yaml").write_text(yaml.safe_dump({
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [f"{up}/{target}"],
        "components": [f"{up}/{c}" for c in components],
    }))
    out = subprocess.run([kubectl(), "kustomize", str(work)], check=True, capture_output=True, text=True).stdout
    return tuple(doc for doc in yaml.safe_load_all(out) if doc)


def load_yaml_docs(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def schema_path(obj: dict) -> Path:
    api_version, kind = obj["apiVersion"], obj["kind"]
    group, _, version = api_version.rpartition("/")
    if group in ("", "apps", "policy", "networking.k8s.io", "batch", "rbac.authorization.k8s.io"):
        name = f"{kind.lower()}-{group.split('.')[0] + '-' if group else ''}{version}.json"
        return SCHEMAS / "k8s" / name
    return SCHEMAS / group / f"{kind.lower()}_{version}.json"


@functools.cache
def _load_schema(path: Path) -> dict:
    return json.loads(path.read_text())


def validator_for(obj: dict) -> jsonschema.protocols.Validator:
    path = schema_path(obj)
    if not path.exists():
        raise LookupError(f"no schema for {obj['apiVersion']} {obj['kind']} (looked for {path})")
    schema = _load_schema(path)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema)


def schema_errors(obj: dict) -> list[str]:
    errors = sorted(validator_for(obj).iter_errors(obj), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


def ident(obj: dict) -> str:
    meta = obj.get("metadata", {})
    return f"{obj['kind']} {meta.get('namespace', '')}/{meta.get('name')}"


def find(objs, kind: str, name: str | None = None, api_version: str | None = None,
         namespace: str | None = None) -> list[dict]:
    return [
        o for o in objs
        if o["kind"] == kind
        and (name is None or o["metadata"]["name"] == name)
        and (api_version is None or o["apiVersion"] == api_version)
        and (namespace is None or o["metadata"].get("namespace") == namespace)
    ]


def one(objs, kind: str, name: str) -> dict:
    found = find(objs, kind, name)
    assert len(found) == 1, f"expected exactly one {kind} {name}, found {len(found)}"
    return found[0]


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def container(obj: dict, name: str | None = None) -> dict:
    containers = pod_spec(obj)["containers"]
    if name is None:
        assert len(containers) == 1, f"{ident(obj)}: expected one container"
        return containers[0]
    return next(c for c in containers if c["name"] == name)


def env_of(c: dict) -> dict[str, dict]:
    return {e["name"]: e for e in c.get("env", [])}


def iso8601_seconds(value: str) -> float:
    """PT6M, PT0.5S, PT1H2M3S -> seconds (the subset Knative's delivery durations use)."""
    m = re.fullmatch(r"PT(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?", value)
    if not m or not any(m.groups()):
        raise ValueError(f"not an ISO-8601 duration of the PTnHnMnS form: {value!r}")
    h, mi, s = (float(g) if g else 0.0 for g in m.groups())
    return h * 3600 + mi * 60 + s


def k8s_duration_seconds(value: str) -> float:
    """30s, 2m, 1h, 0s (Go durations as Knative and the OpenShift router read them)."""
    m = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)", value)
    if not m:
        raise ValueError(f"not a duration: {value!r}")
    return float(m[1]) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[m[2]]


def _source_dirs(crate: Path) -> list[Path]:
    """The crate's src/ and those of its path dependencies (the shared `contract` crate)."""
    manifest = tomllib.loads((crate / "Cargo.toml").read_text())
    dirs = [crate / "src"]
    for dep in manifest.get("dependencies", {}).values():
        if isinstance(dep, dict) and "path" in dep:
            dirs += _source_dirs((crate / dep["path"]).resolve())
    return dirs


def rust_sources(crate: str) -> str:
    """All Rust source text the crate's binary is built from: its src/ and its path
    dependencies' (the event contract lives in `vep-function/contract`, shared by both)."""
    files = sorted(f for d in _source_dirs(ROOT / crate) for f in d.rglob("*.rs"))
    return "\n".join(f.read_text() for f in files)


def rust_mentions(crate: str, text: str) -> bool:
    """Whether `text` appears as a whole string literal in the crate's sources."""
    return f'"{text}"' in rust_sources(crate)


class _StringTimestampLoader(yaml.SafeLoader):
    """YAML as func reads it into JSON terms: timestamps stay strings (`created`)."""


_StringTimestampLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_func_yaml() -> dict:
    return yaml.load((ROOT / "vep-function/func.yaml").read_text(), Loader=_StringTimestampLoader)
