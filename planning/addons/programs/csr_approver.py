"""Approve kubelet serving certificate requests that name only the requesting node: kubecvm's CSR approver add-on.

kube-controller-manager signs kubernetes.io/kubelet-serving requests with the cluster CA once they are approved,
but approves none itself (Kubernetes docs, "Certificate Management with kubeadm", kubelet serving certificates:
"the CSRs ... must be approved by a user or a third party controller"). This module runs in the cluster as a small
Deployment on the masters (planning/addons/csr_approver.py ships its source in a ConfigMap, like the CAM credential sidecar):
stdlib only, the pod's service account, the in-cluster API. A request is approved only when:
  - its signer is kubernetes.io/kubelet-serving and it is still pending;
  - the requester is system:node:<name> in group system:nodes, and <name> has a planned address (planned_ip);
  - its subject is exactly O=system:nodes, CN=system:node:<name>;
  - its DNS names are only <name>, and its IP addresses exactly the node's planned private IP;
  - its usages are only digital signature, key encipherment and server auth, server auth included.
Why the planned IP and not "any address in the VPC": kube-apiserver (--kubelet-certificate-authority) and
metrics-server dial a kubelet at its InternalIP and trust any cluster-CA certificate naming that IP, so a node that
could get a certificate for another node's address could answer for that node. The planned IP is the one the CVM is
created with (its pinned private_ip) and the kubelet's --node-ip; the kubelet asks for exactly its node addresses
(pkg/kubelet/certificate/kubelet.go newGetTemplateFn: Hostname/DNS addresses as DNS names, InternalIP/ExternalIP as
IPs; with --node-ip and no cloud provider those are the node IP and the node name), so an honest request matches.
The planned addresses come as rules (ADDRESSES_FILE, from the same ConfigMap): the masters by name, and per pool and zone
the name prefix `<cluster>-<pool>-z<n>-`, the block's first address and its size, since a worker's address is that
first address plus its ordinal (planning/addressing.py Layout.node_ip). Rules, not a list of nodes, so scaling a pool
or adding a zone leaves the ConfigMap unchanged (nothing else's inputs move).
Anything else is left pending for a person (never denied: another approver may own it). Stricter than the
kubelet-csr-approver project (names by pattern, addresses by range), without another image to mirror.
Pure: no pulumi import; the tests import it and run it against a fake API server.
"""
import base64
import ipaddress
import json
import os
import ssl
import sys
import time
import urllib.request

SIGNER = "kubernetes.io/kubelet-serving"
USAGES = {"digital signature", "key encipherment", "server auth"}
CN, O, EXT_REQ, SAN = "2.5.4.3", "2.5.4.10", "1.2.840.113549.1.9.14", "2.5.29.17"


def tlv(data, i=0):
    """One DER element at i: (tag, value, index after it)."""
    tag, n = data[i], data[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n, i = int.from_bytes(data[i:i + k], "big"), i + k
    return tag, data[i:i + n], i + n


def kids(data):
    i = 0
    while i < len(data):
        tag, value, i = tlv(data, i)
        yield tag, value


def oid(v):
    parts, n = [v[0] // 40, v[0] % 40], 0
    for b in v[1:]:
        n = n << 7 | b & 0x7F
        if not b & 0x80:
            parts.append(n)
            n = 0
    return ".".join(map(str, parts))


def parse_csr(pem):
    """(subject [(oid, value)], DNS names, IP addresses) of a PEM certificate request."""
    der = base64.b64decode("".join(x for x in pem.split("\n") if x and not x.startswith("-----")))
    info = list(kids(tlv(tlv(der)[1])[1]))
    subject = [(oid(k), v.decode()) for _, rdn in kids(info[1][1]) for _, a in kids(rdn)
               for (_, k), (_, v) in [list(kids(a))]]
    dns, ips = [], []
    for tag, attrs in info[3:]:
        for _, attr in kids(attrs) if tag == 0xA0 else ():
            (_, k), (_, exts) = list(kids(attr))
            for _, ext in kids(tlv(exts)[1]) if oid(k) == EXT_REQ else ():
                fields = list(kids(ext))
                for kind, name in kids(tlv(fields[-1][1])[1]) if oid(fields[0][1]) == SAN else ():
                    if kind == 0x87:
                        ips.append(str(ipaddress.ip_address(name)))
                    else:
                        dns.append(name.decode() if kind == 0x82 else "name type %#x" % kind)
    return subject, dns, ips


def planned_ip(node, rules):
    """The private IP the plan gives `node`, or None: a master by name, a worker `<prefix><ordinal>` at its pool
    block's first address plus the ordinal (ordinal below the block's size, written without leading zeros)."""
    if node in rules["masters"]:
        return rules["masters"][node]
    for prefix, (first, size) in rules["pools"].items():
        ordinal = node[len(prefix):]
        if node.startswith(prefix) and ordinal.isdigit() and str(int(ordinal)) == ordinal and int(ordinal) < size:
            return str(ipaddress.ip_address(first) + int(ordinal))
    return None


def problem(csr, rules):
    """Why this request must not be approved automatically, or None. `rules`: read_rules' planned addresses."""
    spec = csr.get("spec", {})
    if spec.get("signerName") != SIGNER:
        return "not a kubelet serving request"
    if csr.get("status", {}).get("conditions"):
        return "already decided"
    user = spec.get("username", "")
    node = user[len("system:node:"):] if user.startswith("system:node:") else ""
    if not node or "system:nodes" not in spec.get("groups", []):
        return "not requested by a node"
    own = planned_ip(node, rules)
    if own is None:
        return "node %s is not a node of this cluster's plan" % node
    usages = spec.get("usages", [])
    if not set(usages) <= USAGES or "server auth" not in usages:
        return "usages %s" % usages
    try:
        subject, dns, ips = parse_csr(base64.b64decode(spec.get("request", "")).decode())
    except (ValueError, IndexError, UnicodeDecodeError):
        return "unreadable request"
    if sorted(subject) != sorted([(O, "system:nodes"), (CN, user)]):
        return "subject %s" % subject
    if any(d != node for d in dns):
        return "DNS names %s" % dns
    if ips != [own]:
        return "addresses %s are not the node's own (%s)" % (ips, own)
    return None


def read_rules(path):
    """The planned addresses from the JSON file planning/addons/csr_approver.py writes into the ConfigMap (checked, normalized)."""
    with open(path) as f:
        doc = json.load(f)
    ip = lambda value: str(ipaddress.ip_address(value))  # noqa: E731
    return {"masters": {str(name): ip(addr) for name, addr in doc["masters"].items()},
            "pools": {str(prefix): (ip(first), int(size)) for prefix, (first, size) in doc["pools"].items()}}


API = "/apis/certificates.k8s.io/v1/certificatesigningrequests"
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"


class Api:
    """The in-cluster API with the pod's service-account token (or any base URL, token and CA: the tests)."""

    def __init__(self, base, token, cafile):
        self.base, self.token = base.rstrip("/"), token
        self.context = ssl.create_default_context(cafile=cafile)

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": "Bearer " + self.token, "Content-Type": "application/json",
            "Accept": "application/json"})
        with urllib.request.urlopen(req, context=self.context, timeout=30) as answer:
            return json.load(answer)


def approve_pending(api, rules, log=print):
    """One pass: approve every acceptable pending request; return the names approved."""
    approved = []
    for csr in api.call("GET", API).get("items", []):
        name, why = csr["metadata"]["name"], problem(csr, rules)
        if why is None:
            csr.setdefault("status", {})["conditions"] = [{
                "type": "Approved", "status": "True", "reason": "KubecvmNodeServingCertificate",
                "message": "kubecvm: the node's own name and planned address only"}]
            api.call("PUT", "%s/%s/approval" % (API, name), csr)
            approved.append(name)
            log("approved %s for %s" % (name, csr["spec"]["username"]))
        elif why not in ("not a kubelet serving request", "already decided"):
            log("left %s pending: %s" % (name, why))
    return approved


def main():  # the pod's entry point; approve_pending is what the tests drive
    host, port = os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"]
    addresses_file = os.environ["ADDRESSES_FILE"]
    interval = int(os.environ.get("INTERVAL_SECONDS", "15"))
    while True:
        with open(SA_DIR + "/token") as f:  # re-read: the kubelet rotates projected tokens
            api = Api("https://%s:%s" % (host, port), f.read().strip(), SA_DIR + "/ca.crt")
        try:  # re-read: the kubelet refreshes the mounted ConfigMap when `pulumi up` changes the rules
            approve_pending(api, read_rules(addresses_file),
                            log=lambda m: print("kubecvm-csr-approver: " + m, flush=True))
        except Exception as error:  # the API restarting, a node's odd request: log, retry next round
            print("kubecvm-csr-approver: %s" % error, file=sys.stderr, flush=True)
        time.sleep(interval)


if __name__ == "__main__":
    main()
