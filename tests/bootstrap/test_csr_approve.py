"""The kubelet serving-certificate approver add-on (planning/addons/csr_approver.py): its rules on real CSRs made with
`cryptography`, one pass against a fake in-cluster API on loopback TLS, and the objects that run it."""

from __future__ import annotations

import base64
import ipaddress
import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from kubecvm.planning import addons, build_plan
from kubecvm.planning.addons.programs import csr_approver
from tests.conftest import make_spec

approver = csr_approver

# The planned addresses the approver is given (csr_approver.read_rules' shape): masters by name, workers by their pool
# and zone's name prefix, first address and block size. A requester's own planned address is the only one it accepts.
RULES = {"masters": {"prod-master-0": "10.2.64.10"}, "pools": {"prod-general-z3-": ("10.2.65.10", 4)}}
KEY = ec.generate_private_key(ec.SECP256R1())


def request_pem(
    cn="system:node:prod-general-z3-0",
    org="system:nodes",
    dns=("prod-general-z3-0",),
    ips=("10.2.65.10",),
    extra=None,
    key=KEY,
) -> str:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)] if org else []
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    names = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips] + (extra or [])
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def csr(
    name="csr-abc",
    node="prod-general-z3-0",
    pem=None,
    signer="kubernetes.io/kubelet-serving",
    usages=("digital signature", "server auth"),
    groups=("system:nodes", "system:authenticated"),
    status=None,
):
    return {
        "metadata": {"name": name},
        "status": status or {},
        "spec": {
            "signerName": signer,
            "username": f"system:node:{node}",
            "groups": list(groups),
            "usages": list(usages),
            "request": base64.b64encode((pem or request_pem()).encode()).decode(),
        },
    }


def test_parses_what_cryptography_writes():
    subject, dns, ips = approver.parse_csr(request_pem(dns=("a", "b"), ips=("10.2.0.1", "10.2.0.2")))
    assert sorted(subject) == [("2.5.4.10", "system:nodes"), ("2.5.4.3", "system:node:prod-general-z3-0")]
    assert (dns, ips) == (["a", "b"], ["10.2.0.1", "10.2.0.2"])


@settings(max_examples=25, deadline=None)
@given(
    dns=st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,40}[a-z0-9]", fullmatch=True), max_size=3),
    ips=st.lists(st.ip_addresses(v=4).map(str), max_size=3),
    rsa_key=st.booleans(),
)
def test_parse_round_trips_any_names(dns, ips, rsa_key):
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024) if rsa_key else KEY
    _, got_dns, got_ips = approver.parse_csr(request_pem(dns=dns, ips=ips, key=key))
    assert (got_dns, got_ips) == (dns, ips)


def test_a_nodes_own_request_is_approved():
    assert approver.problem(csr(), RULES) is None
    assert approver.problem(csr(usages=("key encipherment", "digital signature", "server auth")), RULES) is None


@pytest.mark.parametrize(
    "change, why",
    [
        ({"signer": "kubernetes.io/kube-apiserver-client-kubelet"}, "not a kubelet serving request"),
        ({"status": {"conditions": [{"type": "Approved"}]}}, "already decided"),
        ({"groups": ("system:authenticated",)}, "not requested by a node"),
        ({"node": "staging-general-z3-0"}, "node staging-general-z3-0 is not a node of this cluster's plan"),
        # names that look like a planned node's: past the block's size, a leading zero, another pool, a master ordinal
        ({"node": "prod-general-z3-4"}, "node prod-general-z3-4 is not a node of this cluster's plan"),
        ({"node": "prod-general-z3-01"}, "node prod-general-z3-01 is not a node of this cluster's plan"),
        ({"node": "prod-gpu-z3-0"}, "node prod-gpu-z3-0 is not a node of this cluster's plan"),
        ({"node": "prod-master-1"}, "node prod-master-1 is not a node of this cluster's plan"),
        ({"node": "prod"}, "node prod is not a node of this cluster's plan"),
        ({"usages": ("digital signature", "client auth")}, "usages"),
        ({"usages": ("digital signature", "server auth", "client auth")}, "usages"),
        # a node asking for another node's name, in the subject or the SANs
        ({"pem": request_pem(cn="system:node:prod-master-0")}, "subject"),
        ({"pem": request_pem(org="system:masters")}, "subject"),
        ({"pem": request_pem(dns=("prod-general-z3-0", "prod-master-0"))}, "DNS names"),
        ({"pem": request_pem(dns=("kubernetes.default.svc",))}, "DNS names"),
        (
            {"pem": request_pem(ips=("10.2.65.10", "203.0.113.7"))},
            "addresses ['10.2.65.10', '203.0.113.7'] are not the node's own (10.2.65.10)",
        ),
        # inside the VPC but another node's (the master's) or no node's address: a certificate the API server and
        # metrics-server would accept when they dial that address
        ({"pem": request_pem(ips=("10.2.64.10",))}, "addresses ['10.2.64.10'] are not the node's own (10.2.65.10)"),
        ({"pem": request_pem(ips=("10.2.65.10", "10.2.64.10"))}, "addresses ['10.2.65.10', '10.2.64.10'] are not"),
        ({"pem": request_pem(ips=("10.2.65.99",))}, "addresses ['10.2.65.99'] are not the node's own (10.2.65.10)"),
        ({"pem": request_pem(extra=[x509.RFC822Name("root@example.com")])}, "DNS names"),
        ({"pem": request_pem(ips=())}, "addresses [] are not the node's own (10.2.65.10)"),
        ({"pem": request_pem(dns=(), ips=())}, "addresses [] are not the node's own (10.2.65.10)"),
        (
            {"pem": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"},
            "unreadable request",
        ),
    ],
)
def test_anything_else_stays_pending(change, why):
    assert (approver.problem(csr(**change), RULES) or "").startswith(why)


def test_username_must_match_the_subject():
    request = csr(node="prod-general-z3-1")  # the PEM names prod-general-z3-0
    assert approver.problem(request, RULES).startswith("subject")


@settings(max_examples=40, deadline=None)
@given(
    node=st.sampled_from(["prod-master-0", "prod-general-z3-0", "prod-general-z3-1", "prod-general-z3-3"]),
    ip=st.sampled_from(["10.2.64.10", "10.2.65.10", "10.2.65.11", "10.2.65.13", "10.2.65.14", "10.3.0.1"]),
)
def test_a_node_gets_exactly_its_own_planned_address(node, ip):
    own = {
        "prod-master-0": "10.2.64.10",
        "prod-general-z3-0": "10.2.65.10",
        "prod-general-z3-1": "10.2.65.11",
        "prod-general-z3-3": "10.2.65.13",
    }[node]
    request = csr(node=node, pem=request_pem(cn=f"system:node:{node}", dns=(node,), ips=(ip,)))
    assert (approver.problem(request, RULES) is None) is (ip == own)


@settings(max_examples=30, deadline=None)
@given(
    preset=st.sampled_from(["dev", "staging", "prod"]),
    count=st.integers(0, 5),
    zones=st.integers(1, 3),
    existing=st.booleans(),
)
def test_the_rules_give_every_planned_node_its_planned_address_and_stay_put_when_scaling(
    tmp_path_factory, preset, count, zones, existing
):
    cluster = {
        "zones": ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"][:zones],
        "nodePools": [
            {"name": "general", "instanceType": "S5.LARGE8", "countPerZone": count},
            {"name": "gpu-z3", "instanceType": "S5.LARGE8", "countPerZone": 1, "slot": 5},
        ],
    }
    if preset == "dev":
        cluster["controlPlane"] = {"count": 1}
    if existing:  # bring-your-own network: the pool blocks come from the given subnets
        subnets = {
            z: {"id": f"subnet-0000000{i}", "cidr": f"10.0.{i * 32}.0/19"} for i, z in enumerate(cluster["zones"])
        }
        cluster |= {
            "vpcCidr": "10.0.0.0/16",
            "existingNetwork": {"vpcId": "vpc-00000001", "routeTableId": "rtb-00000001", "subnets": subnets},
        }
    plan = build_plan(make_spec(preset, cluster))
    path = tmp_path_factory.mktemp("rules") / "addresses.json"
    path.write_text(addons.approver_addresses(addons.settings_from_plan(plan)))
    rules = approver.read_rules(path)
    assert {m.name: approver.planned_ip(m.name, rules) for m in plan.machines} == {
        m.name: m.private_ip for m in plan.machines
    }
    # the rules do not name workers: one more per zone, or one more zone, leaves them as they were
    bigger = dict(cluster, nodePools=[dict(cluster["nodePools"][0], countPerZone=count + 1), cluster["nodePools"][1]])
    if not existing and zones < 3:
        bigger["zones"] = cluster["zones"] + ["ap-guangzhou-7"]
    assert (
        addons.settings_from_plan(build_plan(make_spec(preset, bigger))).pool_blocks
        == addons.settings_from_plan(plan).pool_blocks
    )


def test_the_rules_are_read_as_the_configmap_carries_them(tmp_path):
    path = tmp_path / "addresses.json"
    path.write_text(addons.approver_addresses(SETTINGS))
    assert approver.read_rules(path) == {
        "masters": {"prod-master-0": "10.2.64.10"},
        "pools": {"prod-general-z3-": ("10.2.65.0", 64)},
    }
    path.write_text(json.dumps({"masters": {"prod-master-0": "10.2.64"}, "pools": {}}))
    with pytest.raises(ValueError):
        approver.read_rules(path)  # a broken file approves nothing (the pass fails and is retried)


# ---- one pass against a fake in-cluster API ---------------------------------------------------------------------


@pytest.fixture
def fake_api(loopback_tls):
    """HTTPS on loopback answering the CSR list and recording approvals; only the right bearer token is served."""
    state = {"items": [], "puts": [], "auth": set()}

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, code, body):
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            state["auth"].add(self.headers["Authorization"])
            ok = self.path == csr_approver.API and self.headers["Authorization"] == "Bearer sa-token"
            self._answer(200 if ok else 403, {"items": state["items"]} if ok else {})

        def do_PUT(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state["puts"].append((self.path, body))
            self._answer(200, body)

        def log_message(self, *args):
            pass

    server = loopback_tls(Handler)
    return csr_approver.Api(server.base, "sa-token", server.ca_file), state


def test_one_pass_approves_only_the_good_requests(fake_api):
    api, state = fake_api
    state["items"] = [
        csr("good"),
        csr("client", signer="kubernetes.io/kube-apiserver-client-kubelet"),
        csr("foreign", node="other-general-z3-0"),
        csr("done", status={"conditions": [{"type": "Approved"}]}),
    ]
    logged = []
    assert csr_approver.approve_pending(api, RULES, log=logged.append) == ["good"]
    ((path, body),) = state["puts"]
    assert path == "/apis/certificates.k8s.io/v1/certificatesigningrequests/good/approval"
    assert body["status"]["conditions"] == [
        {
            "type": "Approved",
            "status": "True",
            "reason": "KubecvmNodeServingCertificate",
            "message": "kubecvm: the node's own name and planned address only",
        }
    ]
    assert body["spec"] == state["items"][0]["spec"]  # the request itself, unchanged
    assert logged == [
        "approved good for system:node:prod-general-z3-0",
        "left foreign pending: node other-general-z3-0 is not a node of this cluster's plan",
    ]
    assert state["auth"] == {"Bearer sa-token"}


def test_a_wrong_token_approves_nothing(fake_api):
    api, state = fake_api
    state["items"] = [csr("good")]
    api.token = "stolen"
    with pytest.raises(Exception, match="403"):
        csr_approver.approve_pending(api, RULES, log=lambda m: None)
    assert state["puts"] == []


# ---- the objects that run it -------------------------------------------------------------------------------------

SETTINGS = addons.AddonSettings(
    cluster="prod",
    region="ap-guangzhou",
    zones=("ap-guangzhou-3",),
    kubernetes_version="1.30.4",
    vpc_cidr="10.2.0.0/16",
    masters=(("prod-master-0", "10.2.64.10"),),
    pool_blocks=(("prod-general-z3-", "10.2.65.0", 64),),
)


def test_approver_runs_on_masters_with_only_the_rights_it_needs():
    objs = {(o["kind"], o["metadata"]["name"]): o for o in addons.csr_approver_objects(SETTINGS)}
    assert sorted(objs) == [
        ("ClusterRole", "kubecvm-csr-approver"),
        ("ClusterRoleBinding", "kubecvm-csr-approver"),
        ("ConfigMap", "kubecvm-csr-approver"),
        ("Deployment", "kubecvm-csr-approver"),
        ("ServiceAccount", "kubecvm-csr-approver"),
    ]
    assert objs["ClusterRole", "kubecvm-csr-approver"]["rules"] == [
        {
            "apiGroups": ["certificates.k8s.io"],
            "resources": ["certificatesigningrequests"],
            "verbs": ["get", "list", "watch"],
        },
        {
            "apiGroups": ["certificates.k8s.io"],
            "resources": ["certificatesigningrequests/approval"],
            "verbs": ["update"],
        },
        {
            "apiGroups": ["certificates.k8s.io"],
            "resources": ["signers"],
            "verbs": ["approve"],
            "resourceNames": ["kubernetes.io/kubelet-serving"],
        },
    ]
    # The pod runs exactly this module's source, given the planned addresses it accepts.
    assert objs["ConfigMap", "kubecvm-csr-approver"]["data"] == {
        "csr_approver.py": Path(csr_approver.__file__).read_text(),
        "addresses.json": '{\n "masters": {\n  "prod-master-0": "10.2.64.10"\n },\n'
        ' "pools": {\n  "prod-general-z3-": ["10.2.65.0", 64]\n }\n}\n',
    }
    pod = objs["Deployment", "kubecvm-csr-approver"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["env"] == [{"name": "ADDRESSES_FILE", "value": "/opt/csr-approver/addresses.json"}]
    assert container["volumeMounts"] == [{"name": "script", "mountPath": "/opt/csr-approver", "readOnly": True}]
    assert container["command"] == ["python3", "/opt/csr-approver/csr_approver.py"]
    assert pod["nodeSelector"] == {"node-role.kubernetes.io/control-plane": ""}
    assert container["securityContext"]["runAsNonRoot"] is True and "hostNetwork" not in pod
    # Always installed, whatever the other add-on switches: serverTLSBootstrap needs it on every cluster.
    assert addons.csr_approver_objects(SETTINGS) == addons.objects(
        addons.AddonSettings(**{**SETTINGS.__dict__, "cbs_csi": False, "metrics_server": False, "lb_controller": False})
    )


def test_the_approver_refuses_to_run_without_the_planned_addresses():
    plan = build_plan(make_spec("prod"))
    settings = addons.settings_from_plan(plan)
    assert settings.masters == tuple((m.name, m.private_ip) for m in plan.masters) and len(settings.masters) == 3
    assert len(settings.pool_blocks) == 8  # one pool, every zone number of the 8 x 8 layout
    with pytest.raises(ValueError, match=r"^masters: the serving-certificate approver needs the planned addresses"):
        addons.csr_approver_objects(addons.settings_from_spec(plan.spec))


def test_the_module_stays_stdlib_only():
    # It runs on a bare python:slim image from a ConfigMap: no kubecvm, no third-party imports.
    import ast

    tree = ast.parse(Path(csr_approver.__file__).read_text(), feature_version=(3, 10))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert imported <= {"base64", "ipaddress", "json", "os", "re", "ssl", "sys", "time", "urllib"}
