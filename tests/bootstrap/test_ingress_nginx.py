"""ingress-nginx behind the ingress CLB: every object validates, the Service claims the planned NodePorts, the
DaemonSet runs on the selected pools, images come from a registry the region reaches, and the webhook's
certificate is the stack's own (ClusterAddons under the mocks)."""

from __future__ import annotations

import base64

import kubernetes_validate
import pytest
from cryptography import x509

from kubecvm.offline.runner import SECRET, run_program
from kubecvm.planning import build_plan
from kubecvm.planning.addons import ingress_nginx as nginx
from kubecvm.planning.mirrors import for_region
from tests.conftest import make_spec, stack_config

POOLS = [
    {"name": "general", "slot": 1, "instanceType": "S5.2XLARGE32", "countPerZone": 1},
    {
        "name": "edge",
        "slot": 2,
        "instanceType": "S5.LARGE8",
        "countPerZone": 1,
        "taints": [{"key": "dedicated", "value": "edge", "effect": "NoSchedule"}],
    },
]
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def objects(plan, status="--publish-status-address=10.0.64.12"):
    return nginx.objects(nginx.settings_from_plan(plan), ca_pem=PEM, cert_pem=PEM, key_pem="k", status_arg=status)


def one(objs, kind, name=None):
    return next(o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name))


PROD = build_plan(make_spec("prod"))
OBJS = objects(PROD)


@pytest.mark.parametrize("version", ["1.28", "1.29", "1.30", "1.31", "1.32"])
def test_every_object_validates_strictly(version):
    for obj in OBJS:
        assert kubernetes_validate.validate(obj, version, strict=True) == version, obj["kind"]


def test_kinds_are_upstreams_without_the_certgen_jobs():
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in OBJS)
    assert kinds == sorted(
        [
            ("Namespace", "ingress-nginx"),
            ("ServiceAccount", "ingress-nginx"),
            ("Role", "ingress-nginx"),
            ("ClusterRole", "ingress-nginx"),
            ("RoleBinding", "ingress-nginx"),
            ("ClusterRoleBinding", "ingress-nginx"),
            ("ConfigMap", "ingress-nginx-controller"),
            ("Secret", "ingress-nginx-admission"),
            ("Service", "ingress-nginx-controller"),
            ("Service", "ingress-nginx-controller-admission"),
            ("DaemonSet", "ingress-nginx-controller"),
            ("IngressClass", "nginx"),
            ("ValidatingWebhookConfiguration", "ingress-nginx-admission"),
        ]
    )
    assert not [o for o in OBJS if o["kind"] == "Job" or "cert-manager" in str(o)]


def test_service_claims_exactly_the_planned_node_ports_with_local_traffic_policy():
    spec = one(OBJS, "Service", "ingress-nginx-controller")["spec"]
    assert (spec["type"], spec["externalTrafficPolicy"]) == ("NodePort", "Local")
    assert [(p["name"], p["port"], p["targetPort"], p["nodePort"]) for p in spec["ports"]] == [
        ("http", 80, "http", 30080),
        ("https", 443, "https", 30081),
    ]
    assert [(li.key, li.node_port) for li in PROD.ingress.listeners] == [("http", 30080), ("https", 30081)]
    assert spec["selector"] == one(OBJS, "DaemonSet")["spec"]["template"]["metadata"]["labels"]


def test_daemonset_runs_on_the_selected_pools_and_tolerates_their_taints():
    plan = build_plan(make_spec("prod", {"nodePools": POOLS, "ingress": {"pools": ["edge"]}}))
    pod = one(objects(plan), "DaemonSet")["spec"]["template"]["spec"]
    term = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert term == [{"matchExpressions": [{"key": "kubecvm/pool", "operator": "In", "values": ["edge"]}]}]
    assert pod["tolerations"] == [{"key": "dedicated", "operator": "Equal", "value": "edge", "effect": "NoSchedule"}]
    # Every worker carries the label the affinity selects on.
    assert {w.labels["kubecvm/pool"] for w in plan.workers} == {"general", "edge"}
    assert "tolerations" not in one(OBJS, "DaemonSet")["spec"]["template"]["spec"]


def test_controller_is_upstreams_and_meets_pod_security_restricted():
    c = one(OBJS, "DaemonSet")["spec"]["template"]["spec"]["containers"][0]
    assert c["args"] == [
        "/nginx-ingress-controller",
        "--election-id=ingress-nginx-leader",
        "--controller-class=k8s.io/ingress-nginx",
        "--ingress-class=nginx",
        "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller",
        "--validating-webhook=:8443",
        "--validating-webhook-certificate=/usr/local/certificates/cert",
        "--validating-webhook-key=/usr/local/certificates/key",
        "--publish-status-address=10.0.64.12",
    ]
    sc = c["securityContext"]
    assert (sc["runAsNonRoot"], sc["allowPrivilegeEscalation"], sc["seccompProfile"]) == (
        True,
        False,
        {"type": "RuntimeDefault"},
    )
    assert sc["capabilities"] == {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}
    assert one(OBJS, "Namespace")["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    # The leader-election lease the Role names is the one the controller uses.
    lease = next(r for r in nginx.ROLE_RULES if r.get("resourceNames"))
    assert lease == {
        "apiGroups": ["coordination.k8s.io"],
        "resources": ["leases"],
        "resourceNames": ["ingress-nginx-leader"],
        "verbs": ["get", "update"],
    }
    assert one(OBJS, "ConfigMap")["data"] == {"allow-snippet-annotations": "false"}
    assert "--publish-status-address" not in str(objects(PROD, status=None))


def test_ingress_class_is_the_default():
    cls = one(OBJS, "IngressClass")
    assert cls["metadata"]["annotations"] == {"ingressclass.kubernetes.io/is-default-class": "true"}
    assert cls["spec"] == {"controller": "k8s.io/ingress-nginx"}


@pytest.mark.parametrize(
    "region, image",
    [
        ("ap-guangzhou", "registry.aliyuncs.com/google_containers/nginx-ingress-controller:v1.12.1"),
        (
            "ap-singapore",
            "registry.k8s.io/ingress-nginx/controller:v1.12.1@sha256:"
            "d2fbc4ec70d8aa2050dd91a91506e998765e86c96f32cffb56c503c9c34eed5b",
        ),
    ],
)
def test_image_comes_from_a_registry_the_region_reaches(region, image):
    assert nginx.controller_image(for_region(region)) == image


def test_webhook_points_at_the_admission_service_with_the_ca_bundle():
    hook = one(OBJS, "ValidatingWebhookConfiguration")["webhooks"][0]
    assert hook["clientConfig"]["service"] == {
        "name": "ingress-nginx-controller-admission",
        "namespace": "ingress-nginx",
        "port": 443,
        "path": "/networking/v1/ingresses",
    }
    assert base64.b64decode(hook["clientConfig"]["caBundle"]).decode() == PEM
    assert (hook["failurePolicy"], hook["sideEffects"]) == ("Fail", "None")


def test_under_mocks_the_webhook_certificate_is_the_stacks_and_secret():
    rec = run_program(stack_config("prod"), stack="prod")
    secret = rec.by_name("demo-addons-secret-ingress-nginx-admission")
    assert secret.inputs["stringData"] == SECRET
    csr = rec.by_name("demo-ingress-webhook-csr")
    assert csr.inputs["dnsNames"] == list(nginx.WEBHOOK_DNS_NAMES)
    assert "ingress-nginx-controller-admission.ingress-nginx.svc" in csr.inputs["dnsNames"]
    bundle = rec.by_name("demo-addons-validatingwebhookconfiguration-ingress-nginx-admission").inputs["webhooks"][0][
        "clientConfig"
    ]["caBundle"]
    ca = x509.load_pem_x509_certificate(base64.b64decode(bundle))
    assert ca.subject.rfc4514_string() == "CN=demo ingress-nginx admission CA"
    ds = rec.by_name("demo-addons-daemonset-ingress-nginx-controller")
    assert ds.inputs["spec"]["template"]["spec"]["containers"][0]["args"][-1] == "--publish-status-address=10.0.64.12"
    # No PEM in clear anywhere in the recording.
    assert "PRIVATE KEY" not in str([r.inputs for r in rec.resources])


def test_public_ingress_reports_the_address_tencent_assigns():
    rec = run_program(stack_config("prod", ingress={"exposure": "public", "allowedCidrs": ["0.0.0.0/0"]}), stack="p")
    args = rec.by_name("demo-addons-daemonset-ingress-nginx-controller").inputs["spec"]["template"]["spec"][
        "containers"
    ][0]["args"]
    assert args[-1] == f"--publish-status-address={rec.outputs['ingressEndpoint']}"


def test_no_ingress_no_controller():
    rec = run_program(stack_config("dev", zones=["ap-guangzhou-3"]), stack="dev")
    assert not [r for r in rec.resources if "ingress-nginx" in r.name or "ingress-webhook" in r.name]
