"""Who may put a result in front of a user (issue #17): the HMAC key both binaries mount from one
operator-made Secret, and Knative Eventing OIDC on the delivery to the gateway
(config/components/events-oidc, config/overlays/prod-oidc)."""
from pathlib import PurePosixPath

import pytest

from manifests import OVERLAYS, container, env_of, find, one, pod_spec, render

KEY_FILE = "/var/run/secrets/genomics/event-signing/key"


@pytest.mark.parametrize("target", OVERLAYS)
def test_gateway_and_function_read_the_signing_key_from_one_secret_read_only(target):
    objs = render(target)
    for w in (one(objs, "Deployment", "gateway"), one(objs, "Service", "vep-function")):
        c = container(w)
        assert env_of(c)["EVENT_SIGNING_KEY_FILE"]["value"] == KEY_FILE
        mount = next(m for m in c["volumeMounts"] if PurePosixPath(KEY_FILE).is_relative_to(m["mountPath"]))
        assert mount["readOnly"] is True
        secret = next(v for v in pod_spec(w)["volumes"] if v["name"] == mount["name"])["secret"]
        assert secret["secretName"] == "event-signing-key"
        assert secret["items"] == [{"key": "key", "path": PurePosixPath(KEY_FILE).name}]
        assert not secret.get("optional"), "fail closed: no key, no start"
        assert secret["defaultMode"] & 0o007 == 0, "not world-readable"
    # The operator creates it (config/README.md): never a Secret with a key in the repository.
    assert not find(objs, "Secret")


def test_prod_oidc_gives_the_trigger_an_audience_the_gateway_verifies():
    objs = render("config/overlays/prod-oidc")
    trigger = one(objs, "Trigger", "analysis-results-to-gateway")
    env = env_of(container(one(objs, "Deployment", "gateway")))
    assert trigger["spec"]["subscriber"]["audience"] == env["EVENTS_OIDC_AUDIENCE"]["value"]
    assert env["EVENTS_OIDC_ISSUER"]["value"].startswith("https://")
    assert env["EVENTS_OIDC_JWKS_URL"]["value"].startswith(env["EVENTS_OIDC_ISSUER"]["value"])
    # The Trigger's OIDC identity (knative/eventing pkg/auth GetOIDCServiceAccountNameForResource:
    # kmeta.ChildName(<trigger>, "-oidc-<group>-<kind>"), lower case; fits in 63 characters).
    sa = f"{trigger['metadata']['name']}-oidc-eventing.knative.dev-trigger"
    assert len(sa) <= 63
    subjects = env["EVENTS_OIDC_SUBJECTS"]["value"].split(",")
    assert subjects == [f"system:serviceaccount:{trigger['metadata']['namespace']}:{sa}"]
    # Other overlays: no audience (no token would be sent) and no verification configured.
    for target in OVERLAYS:
        if target.endswith("prod-oidc"):
            continue
        other = render(target)
        assert "audience" not in one(other, "Trigger", "analysis-results-to-gateway")["spec"]["subscriber"]
        assert not [k for k in env_of(container(one(other, "Deployment", "gateway"))) if k.startswith("EVENTS_OIDC_")]


def test_prod_oidc_lets_only_the_gateway_read_the_clusters_jwks():
    objs = render("config/overlays/prod-oidc")
    gw = one(objs, "Deployment", "gateway")
    binding = one(objs, "ClusterRoleBinding", "genomics-gateway-oidc-discovery")
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                                  "name": "system:service-account-issuer-discovery"}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": pod_spec(gw)["serviceAccountName"],
                                    "namespace": gw["metadata"]["namespace"]}]
    assert pod_spec(gw)["automountServiceAccountToken"] is True, "the token authenticates the JWKS read"
    assert one(objs, "ServiceAccount", "gateway")["automountServiceAccountToken"] is False
    assert len(find(objs, "ClusterRoleBinding")) == 1 and not find(objs, "RoleBinding")
    # Without OIDC the gateway carries no API token at all.
    assert pod_spec(one(render("config/overlays/prod"), "Deployment", "gateway"))["automountServiceAccountToken"] is False


def _audience(obj: dict) -> str:
    """knative/eventing pkg/auth GetAudience: <group>/<kind>/<namespace>/<name>, lower case."""
    group = obj["apiVersion"].split("/")[0]
    return f"{group}/{obj['kind']}/{obj['metadata']['namespace']}/{obj['metadata']['name']}".lower()


def _projected_token(workload: dict, env_name: str) -> dict:
    c = container(workload)
    path = PurePosixPath(env_of(c)[env_name]["value"])
    mount = next(m for m in c["volumeMounts"] if path.is_relative_to(m["mountPath"]))
    assert mount["readOnly"] is True
    volume = next(v for v in pod_spec(workload)["volumes"] if v["name"] == mount["name"])
    [source] = volume["projected"]["sources"]
    token = source["serviceAccountToken"]
    assert token["path"] == str(path.relative_to(mount["mountPath"]))
    assert 600 <= token["expirationSeconds"] <= 86400, "the kubelet refreshes it; not long-lived"
    return token


def test_prod_oidc_sends_carry_tokens_for_the_broker_and_the_kafkasink_they_reach():
    objs = render("config/overlays/prod-oidc")
    gateway = one(objs, "Deployment", "gateway")
    broker_url = env_of(container(gateway))["BROKER_URL"]["value"]
    namespace, name = broker_url.rstrip("/").split("/")[-2:]
    broker = next(o for o in find(objs, "Broker") if o["metadata"]["name"] == name
                  and o["metadata"]["namespace"] == namespace)
    assert _projected_token(gateway, "BROKER_TOKEN_FILE")["audience"] == _audience(broker)

    function = one(objs, "Service", "vep-function")
    sink_ref = one(objs, "SinkBinding", "vep-function-results")["spec"]["sink"]["ref"]
    sink = next(o for o in find(objs, sink_ref["kind"]) if o["metadata"]["name"] == sink_ref["name"])
    assert _projected_token(function, "SINK_TOKEN_FILE")["audience"] == _audience(sink)
    # Without the flag no token is mounted (the audiences would not exist to be checked).
    for target in OVERLAYS:
        if not target.endswith("prod-oidc"):
            other = render(target)
            assert "BROKER_TOKEN_FILE" not in env_of(container(one(other, "Deployment", "gateway")))
            assert "SINK_TOKEN_FILE" not in env_of(container(one(other, "Service", "vep-function")))
