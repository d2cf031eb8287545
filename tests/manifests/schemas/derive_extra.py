"""Writes the schemas for the kinds that ../shared/schemas/knative does not carry.

Run once by hand (`python3 derive_extra.py`); its outputs are committed beside it.

* Namespace, ConfigMap, PodDisruptionBudget (policy/v1), NetworkPolicy (networking.k8s.io/v1):
  their `spec`/`data` shapes are transcribed from ricoberger/kubernetes-json-schema
  (schemas/{namespace-v1,configmap-v1,poddisruptionbudget-policy-v1,networkpolicy-networking-v1}.json,
  commits 3bdac58 / 11e0501, generated from the Kubernetes OpenAPI, Apache-2.0). ObjectMeta and
  LabelSelector are taken verbatim from k8s/deployment-apps-v1.json (same generator, v1.34.0),
  and the strict rule (additionalProperties: false on every object with properties) is kept.
* PersistentVolumeClaim (v1): spec transcribed from schemas/persistentvolumeclaim-v1.json
  (commit 11e0501) of the same repository, same rules.
* KafkaTopic (kafka.strimzi.io/v1beta2): the openAPIV3Schema of strimzi/strimzi-kafka-operator
  packaging/install/cluster-operator/043-Crd-kafkatopic.yaml (commit 0d780a37, Apache-2.0),
  converted with the rules of ../shared/schemas/knative/README.md section 3.
* KafkaTopic (kafka.strimzi.io/v1, Strimzi >= 0.49): the same spec (the v1 API of 0.49 kept the
  KafkaTopic spec fields partitions, replicas, config, topicName; release notes of 0.49.0).
* Job (batch/v1): the JobSpec fields of the Kubernetes v1.34 API (batch/v1 JobSpec), typed as
  there; podFailurePolicy and successPolicy are left open. Its `template` (PodTemplateSpec) is
  taken verbatim from k8s/deployment-apps-v1.json, so pod specs are checked as strictly as a
  Deployment's.
* ServiceAccount (v1) and ClusterRoleBinding (rbac.authorization.k8s.io/v1): their fields as in
  the Kubernetes v1.34 API (ServiceAccount, ClusterRoleBinding, RoleRef, Subject), same rules.
"""
import json
from pathlib import Path

HERE = Path(__file__).parent
deployment = json.loads((HERE / "k8s/deployment-apps-v1.json").read_text())
META = deployment["properties"]["metadata"]
SELECTOR = deployment["properties"]["spec"]["properties"]["selector"]


def nullable(t):
    return {"type": [t, "null"]}


def int_or_string():
    return {"oneOf": [nullable("string"), nullable("integer")]}


def strings():
    return {"type": ["array", "null"], "items": nullable("string")}


def obj(props, required=None):
    o = {"type": ["object", "null"], "properties": props, "additionalProperties": False}
    if required:
        o["required"] = required
    return o


def k8s_kind(api_version, kind, body):
    props = {
        "apiVersion": {"type": "string", "enum": [api_version]},
        "kind": {"type": "string", "enum": [kind]},
        "metadata": META,
    }
    props.update(body)
    return {
        "$schema": "http://json-schema.org/schema#",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata"],
        "properties": props,
        "additionalProperties": False,
    }


string_map = {"type": "object", "additionalProperties": nullable("string")}

namespace = k8s_kind("v1", "Namespace", {"spec": obj({"finalizers": strings()})})
configmap = k8s_kind("v1", "ConfigMap", {
    "data": string_map,
    "binaryData": string_map,
    "immutable": {"type": "boolean"},
})
pdb = k8s_kind("policy/v1", "PodDisruptionBudget", {"spec": obj({
    "maxUnavailable": int_or_string(),
    "minAvailable": int_or_string(),
    "selector": SELECTOR,
    "unhealthyPodEvictionPolicy": {"type": ["string", "null"], "enum": ["AlwaysAllow", "IfHealthyBudget"]},
})})
port = obj({
    "endPort": nullable("integer"),
    "port": int_or_string(),
    "protocol": {"type": ["string", "null"], "enum": ["SCTP", "TCP", "UDP"]},
})
peer = obj({
    "ipBlock": obj({"cidr": {"type": "string"}, "except": strings()}, required=["cidr"]),
    "namespaceSelector": SELECTOR,
    "podSelector": SELECTOR,
})
ports = {"type": ["array", "null"], "items": port}
peers = {"type": ["array", "null"], "items": peer}
netpol = k8s_kind("networking.k8s.io/v1", "NetworkPolicy", {"spec": obj({
    "egress": {"type": ["array", "null"], "items": obj({"ports": ports, "to": peers})},
    "ingress": {"type": ["array", "null"], "items": obj({"from": peers, "ports": ports})},
    "podSelector": SELECTOR,
    "policyTypes": {"type": ["array", "null"], "items": {"type": ["string", "null"], "enum": ["Egress", "Ingress"]}},
})})

typed_ref = obj({"apiGroup": nullable("string"), "kind": {"type": "string"}, "name": {"type": "string"}},
                required=["kind", "name"])
quantities = {"type": ["object", "null"],
              "additionalProperties": {"oneOf": [nullable("string"), nullable("number")]}}
pvc = k8s_kind("v1", "PersistentVolumeClaim", {"spec": obj({
    "accessModes": {"type": ["array", "null"], "items": {"type": ["string", "null"], "enum": [
        "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]}},
    "dataSource": typed_ref,
    "dataSourceRef": obj({"apiGroup": nullable("string"), "kind": {"type": "string"},
                          "name": {"type": "string"}, "namespace": nullable("string")},
                         required=["kind", "name"]),
    "resources": obj({"limits": quantities, "requests": quantities}),
    "selector": SELECTOR,
    "storageClassName": nullable("string"),
    "volumeAttributesClassName": nullable("string"),
    "volumeMode": {"type": ["string", "null"], "enum": ["Block", "Filesystem"]},
    "volumeName": nullable("string"),
})})

TEMPLATE = deployment["properties"]["spec"]["properties"]["template"]
open_object = {"type": ["object", "null"]}
job = k8s_kind("batch/v1", "Job", {"spec": obj({
    "activeDeadlineSeconds": nullable("integer"),
    "backoffLimit": nullable("integer"),
    "backoffLimitPerIndex": nullable("integer"),
    "completionMode": {"type": ["string", "null"], "enum": ["Indexed", "NonIndexed"]},
    "completions": nullable("integer"),
    "managedBy": nullable("string"),
    "manualSelector": nullable("boolean"),
    "maxFailedIndexes": nullable("integer"),
    "parallelism": nullable("integer"),
    "podFailurePolicy": open_object,
    "podReplacementPolicy": {"type": ["string", "null"], "enum": ["TerminatingOrFailed", "Failed"]},
    "selector": SELECTOR,
    "successPolicy": open_object,
    "suspend": nullable("boolean"),
    "template": TEMPLATE,
    "ttlSecondsAfterFinished": nullable("integer"),
}, required=["template"])})
name_ref = obj({"name": nullable("string")})
serviceaccount = k8s_kind("v1", "ServiceAccount", {
    "automountServiceAccountToken": nullable("boolean"),
    "imagePullSecrets": {"type": ["array", "null"], "items": name_ref},
    "secrets": {"type": ["array", "null"], "items": obj({
        "apiVersion": nullable("string"), "fieldPath": nullable("string"), "kind": nullable("string"),
        "name": nullable("string"), "namespace": nullable("string"),
        "resourceVersion": nullable("string"), "uid": nullable("string")})},
})
clusterrolebinding = k8s_kind("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", {
    "roleRef": obj({"apiGroup": {"type": "string"}, "kind": {"type": "string"},
                    "name": {"type": "string"}}, required=["apiGroup", "kind", "name"]),
    "subjects": {"type": ["array", "null"], "items": obj({
        "apiGroup": nullable("string"), "kind": {"type": "string"}, "name": {"type": "string"},
        "namespace": nullable("string")}, required=["kind", "name"])},
})
clusterrolebinding["required"] = ["apiVersion", "kind", "metadata", "roleRef"]

kafkatopic = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {
        "apiVersion": {"type": "string", "enum": ["kafka.strimzi.io/v1beta2"]},
        "kind": {"type": "string", "enum": ["KafkaTopic"]},
        "metadata": {"type": "object"},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "partitions": {"type": "integer", "minimum": 1},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 32767},
                "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                "topicName": {"type": "string"},
            },
        },
        "status": {"type": "object"},
    },
}

kafkatopic_v1 = json.loads(json.dumps(kafkatopic))
kafkatopic_v1["properties"]["apiVersion"]["enum"] = ["kafka.strimzi.io/v1"]

out = {
    "k8s/namespace-v1.json": namespace,
    "k8s/configmap-v1.json": configmap,
    "k8s/poddisruptionbudget-policy-v1.json": pdb,
    "k8s/networkpolicy-networking-v1.json": netpol,
    "k8s/persistentvolumeclaim-v1.json": pvc,
    "kafka.strimzi.io/kafkatopic_v1beta2.json": kafkatopic,
    "kafka.strimzi.io/kafkatopic_v1.json": kafkatopic_v1,
    "k8s/job-batch-v1.json": job,
    "k8s/serviceaccount-v1.json": serviceaccount,
    "k8s/clusterrolebinding-rbac-v1.json": clusterrolebinding,
}
for name, schema in out.items():
    path = HERE / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema, indent=1) + "\n")
    print("wrote", path)
