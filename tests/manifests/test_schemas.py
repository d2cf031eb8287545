"""Every manifest, as rendered by the real kustomize, is valid against the real CRD / Kubernetes
schemas (strict: unknown fields are errors wherever the schema is not preserve-unknown), and the
opaque parts of Trigger and Broker are checked field by field."""
import copy
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from manifests import (CLUSTER_SCOPED, OVERLAYS, load_func_yaml, RENDER_TARGETS, ROOT, SCHEMAS, find, ident,
                       iso8601_seconds, load_yaml_docs, render, schema_errors)


@pytest.mark.parametrize("target", RENDER_TARGETS)
def test_rendered_kustomization_is_valid_against_the_kind_schemas(target):
    objs = render(target)
    assert objs, f"{target} renders nothing"
    problems = {ident(o): errs for o in objs if (errs := schema_errors(o))}
    assert not problems, problems


@pytest.mark.parametrize("target", RENDER_TARGETS)
def test_rendered_objects_are_unique_and_namespaced(target):
    seen = set()
    for o in render(target):
        key = (o["apiVersion"], o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
        assert key not in seen, f"duplicate {key}"
        seen.add(key)
        if o["kind"] in CLUSTER_SCOPED:
            assert "namespace" not in o["metadata"], f"{ident(o)} is cluster-scoped"
        else:
            assert o["metadata"].get("namespace"), f"{ident(o)} has no namespace"


def _kustomization_resources(folder: Path) -> set[Path]:
    k = yaml.safe_load((folder / "kustomization.yaml").read_text())
    return {(folder / r).resolve() for r in k.get("resources", [])}


def test_every_manifest_file_is_part_of_a_rendered_kustomization():
    listed = set()
    for target in ["eventing", "config/base", "config/reference", *OVERLAYS]:
        listed |= _kustomization_resources(ROOT / target)
    for folder in ["eventing", "config/base", "config/reference"]:
        for f in (ROOT / folder).glob("*.yaml"):
            if f.name == "kustomization.yaml":
                continue
            assert f.resolve() in listed, f"{f} is in no kustomization's resources"
    for path in listed:
        assert path.exists(), f"kustomization lists missing {path}"


def test_overlays_include_base_and_base_includes_eventing():
    base = (ROOT / "config/base").resolve()
    overlays = {(ROOT / o).resolve() for o in OVERLAYS}
    for overlay in OVERLAYS:
        parents = _kustomization_resources(ROOT / overlay)
        assert base in parents or parents & overlays, f"{overlay} builds on neither base nor an overlay"
    assert (ROOT / "eventing").resolve() in _kustomization_resources(ROOT / "config/base")


def test_schemas_are_strict_so_a_misspelled_field_is_rejected():
    """Guards the guard: the validation above would pass anything if the schemas were open."""
    objs = render("config/overlays/prod-oidc")
    cases = [
        (("Service", "serving.knative.dev/v1"), lambda o: o["spec"]["template"]["spec"].update(containerConcurency=1)),
        (("Deployment", "apps/v1"), lambda o: o["spec"]["template"]["spec"]["containers"][0].update(readinesProbe={})),
        (("KafkaSource", "sources.knative.dev/v1"), lambda o: o["spec"].update(bootstrapServer=["x:9092"])),
        (("KafkaSink", "eventing.knative.dev/v1alpha1"), lambda o: o["spec"].update(contentMode="json")),
        (("Route", "route.openshift.io/v1"), lambda o: o["spec"]["tls"].update(termination="edgy")),
        (("NetworkPolicy", "networking.k8s.io/v1"), lambda o: o["spec"].update(podSelectr={})),
        (("PodDisruptionBudget", "policy/v1"), lambda o: o["spec"].update(minAvailble=1)),
        (("KafkaTopic", "kafka.strimzi.io/v1"), lambda o: o["spec"].update(replicationFactor=3)),
        (("Job", "batch/v1"), lambda o: o["spec"]["template"]["spec"]["containers"][0].update(arg=[])),
        (("Job", "batch/v1"), lambda o: o["spec"].update(backofLimit=1)),
        (("ClusterRoleBinding", "rbac.authorization.k8s.io/v1"), lambda o: o["roleRef"].update(nam="x")),
        (("ServiceAccount", "v1"), lambda o: o.update(automountServiceAccountTokens=True)),
        (("SinkBinding", "sources.knative.dev/v1"), lambda o: o["spec"]["subject"].update(nam="x")),
        (("PersistentVolumeClaim", "v1"), lambda o: o["spec"].update(acessModes=[])),
    ]
    for (kind, api_version), spoil in cases:
        original = find(objs, kind, api_version=api_version)[0]
        assert not schema_errors(original)
        broken = copy.deepcopy(original)
        spoil(broken)
        assert schema_errors(broken), f"{kind}: a misspelled/invalid field passed validation"


# Trigger `.spec` and Broker `.spec.delivery` are preserve-unknown in the CRDs: their keys are
# checked here against the Knative API (eventing.knative.dev/v1 TriggerSpec, DeliverySpec).
TRIGGER_SPEC_KEYS = {"broker", "filter", "filters", "subscriber", "delivery", "brokerRef"}
DELIVERY_KEYS = {"deadLetterSink", "retry", "backoffPolicy", "backoffDelay", "timeout",
                 "retryAfterMax", "format"}
DESTINATION_KEYS = {"ref", "uri", "CACerts", "audience"}
REF_KEYS = {"apiVersion", "kind", "name", "namespace"}
FILTER_DIALECTS = {"exact", "prefix", "suffix", "all", "any", "not", "cesql"}


def _check_delivery(owner: str, delivery: dict):
    assert set(delivery) <= DELIVERY_KEYS, f"{owner}: unknown delivery keys {set(delivery) - DELIVERY_KEYS}"
    assert isinstance(delivery.get("retry"), int) and delivery["retry"] >= 1, f"{owner}: retry"
    assert delivery.get("backoffPolicy") in ("linear", "exponential"), f"{owner}: backoffPolicy"
    iso8601_seconds(delivery["backoffDelay"])
    if "timeout" in delivery:
        iso8601_seconds(delivery["timeout"])
    dls = delivery.get("deadLetterSink")
    assert dls, f"{owner}: no deadLetterSink"
    assert set(dls) <= DESTINATION_KEYS and set(dls.get("ref", {})) <= REF_KEYS, f"{owner}: deadLetterSink keys"


def _check_filter(owner: str, f: dict):
    assert len(f) == 1 and set(f) <= FILTER_DIALECTS, f"{owner}: filter {f}"
    (dialect, body), = f.items()
    if dialect in ("all", "any"):
        for sub in body:
            _check_filter(owner, sub)
    elif dialect == "not":
        _check_filter(owner, body)
    elif dialect != "cesql":
        assert isinstance(body, dict) and all(isinstance(v, str) for v in body.values()), f"{owner}: {f}"


@pytest.mark.parametrize("target", OVERLAYS)
def test_trigger_and_broker_opaque_fields_use_only_known_keys(target):
    objs = render(target)
    triggers = find(objs, "Trigger")
    assert triggers
    for t in triggers:
        spec = t["spec"]
        assert set(spec) <= TRIGGER_SPEC_KEYS, f"{ident(t)}: unknown spec keys {set(spec) - TRIGGER_SPEC_KEYS}"
        assert isinstance(spec["broker"], str)
        assert set(spec["subscriber"]) <= DESTINATION_KEYS
        assert set(spec["subscriber"].get("ref", {})) <= REF_KEYS
        if "filter" in spec:
            assert set(spec["filter"]) == {"attributes"}, f"{ident(t)}: filter"
        for f in spec.get("filters", []):
            _check_filter(ident(t), f)
        _check_delivery(ident(t), spec["delivery"])
    for b in find(objs, "Broker"):
        _check_delivery(ident(b), b["spec"]["delivery"])
    for s in find(objs, "KafkaSource"):
        _check_delivery(ident(s), s["spec"]["delivery"])


def test_func_yaml_is_valid_against_the_func_schema():
    schema = json.loads((SCHEMAS / "func_yaml-schema.json").read_text())
    func = load_func_yaml()
    validator = jsonschema.Draft4Validator(schema)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(func)]
    assert not errors, errors
    broken = copy.deepcopy(func)
    broken["deploy"]["options"]["scale"]["minScale"] = 0
    assert list(validator.iter_errors(broken)), "func schema accepted an unknown scale option"


def test_every_yaml_file_in_the_deployment_folders_parses():
    for folder in ["eventing", "config"]:
        for f in (ROOT / folder).rglob("*.yaml"):
            assert load_yaml_docs(f), f"{f} is empty"


def test_copied_schemas_are_identical_to_the_shared_originals():
    """The repo carries copies (CI and func builds see no shared/); they must not drift."""
    shared = ROOT.parent / "shared" / "schemas" / "knative"
    if not shared.is_dir():
        pytest.skip(f"no shared schema set beside the repository ({shared})")
    pairs = [(SCHEMAS / "func_yaml-schema.json", shared / "func/func_yaml-schema.json")]
    for p in (SCHEMAS / "k8s").glob("*.json"):
        original = shared / "k8s/v1.34.0-standalone-strict" / p.name
        if original.exists():
            pairs.append((p, original))
    for p in SCHEMAS.glob("*.*/*.json"):
        if p.parent.name != "kafka.strimzi.io":
            pairs.append((p, shared / "jsonschema" / p.parent.name / p.name))
    assert len(pairs) >= 11
    for copy_, original in pairs:
        assert copy_.read_bytes() == original.read_bytes(), f"{copy_} differs from {original}"
