"""Kubernetes objects as pulumi-kubernetes returns them once created: the simulated cloud's answer for every
`kubernetes:*` resource (offline/simulated_cloud.py calls it), so ordinary pulumi-kubernetes code plans offline.

What it answers, and nothing more (a program that reads anything else gets a report naming the resource and the
output, a gap of the simulator, not a kubecvm bug):
- Every object (`kubernetes:<group>/<version>:<Kind>`, and the `...Patch` kinds): its inputs echoed, `apiVersion`
  and `kind`, and `metadata` as the API server completes it:
  - `name`: the given one; else pulumi-kubernetes' auto-name `<resource name>-<8 random characters>` (lower-case
    hex, as the provider's resource.NewUniqueName picks them, here derived from the type and name so each plan is
    the same), with the annotation `pulumi.com/autonamed: "true"`; with `generateName`, that prefix and 5 characters
    as the API server picks them.
  - `namespace`: the given one; else the provider's `namespace` option, else "default", for a namespaced kind;
    none for a cluster-scoped kind. A custom resource's scope is unknown offline: its namespace is as given.
  - `uid`, `resourceVersion`, `generation` 1, `creationTimestamp` (deterministic).
  The resource id is the provider's: `namespace/name`, or `name` when there is no namespace.
- `status` where the engine waits for it and it is simple: a Namespace is Active; a Deployment, ReplicaSet or
  StatefulSet has all its replicas ready; a Job has completed; a Pod runs. A Service gets a `clusterIP` in its
  cluster's serviceCidr (the kubecvm cluster whose kubeconfig its provider holds; else kubeadm's default
  10.96.0.0/12), `nodePort`s for NodePort and LoadBalancer ports, `targetPort` and `protocol` defaulted, and an empty
  `status.loadBalancer`: no load balancer address is simulated (nor an Ingress's). Addresses and ports are derived
  from the Service's name, so two may coincide where a real API server would pick another.
- A Secret's `data` and `stringData` are secret outputs, `stringData` merged into `data` in base64 as the API server
  stores it.
- helm.sh/v3 `Release`: `name` (auto-named likewise), `namespace`, and `status` deployed at revision 1.
- The `kubernetes:yaml:decode` data source (yaml.ConfigFile) parses the YAML here.
Refused as the API server refuses: a second object of one kind, namespace and name in one cluster (AlreadyExists).
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import ipaddress
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from kubecvm import sdk

PROVIDER = "pulumi:providers:kubernetes"
RELEASE = "kubernetes:helm.sh/v3:Release"
CREATED = "2026-01-01T00:00:00Z"
AUTONAMED = "pulumi.com/autonamed"
DEFAULT_SERVICE_CIDR = "10.96.0.0/12"  # kubeadm's default serviceSubnet
NODE_PORTS = (30000, 32767)  # kube-apiserver's default --service-node-port-range
# The API server's generateName suffix alphabet (k8s.io/apimachinery/pkg/util/rand: no vowels, no look-alikes).
GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
BUILT_IN_GROUPS = frozenset(
    {
        "core",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "rbac.authorization.k8s.io",
        "networking.k8s.io",
        "storage.k8s.io",
        "apiextensions.k8s.io",
        "admissionregistration.k8s.io",
        "apiregistration.k8s.io",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "node.k8s.io",
        "scheduling.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "resource.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "internal.apiserver.k8s.io",
        "storagemigration.k8s.io",
    }
)
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "ComponentStatus",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "CSIDriver",
        "CSINode",
        "VolumeAttachment",
        "VolumeAttributesClass",
        "PriorityClass",
        "RuntimeClass",
        "IngressClass",
        "APIService",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
        "CertificateSigningRequest",
        "ClusterTrustBundle",
        "FlowSchema",
        "PriorityLevelConfiguration",
        "StorageVersion",
        "StorageVersionMigration",
        "IPAddress",
        "ServiceCIDR",
        "DeviceClass",
        "ResourceSlice",
    }
)


class KubernetesRefusal(Exception):
    """The API server would refuse this object; the message says why. simulated_cloud.CloudRefusal subclasses
    carry it to the plan (`refused_by`)."""


def answers(type_: str) -> bool:
    """Whether this module answers a registration of `type_`: Kubernetes objects and helm Releases."""
    parts = type_.split(":")
    return (
        len(parts) == 3
        and parts[0] == "kubernetes"
        and "/" in parts[1]
        and (not parts[1].startswith(("helm.sh/", "yaml/", "kustomize/")) or type_ == RELEASE)
    )


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _pick(seed: str, alphabet: str, n: int) -> str:
    stream = _digest(seed) * (n // 32 + 1)
    return "".join(alphabet[b % len(alphabet)] for b in stream[:n])


def _plain(value: Any) -> Any:
    return value.get("value") if sdk.is_secret(value) else value


def _secret(value: Any) -> Any:
    return value if sdk.is_special(value) else sdk.as_secret(value)


def group_version_kind(type_: str) -> tuple[str, str, str]:
    """("apps", "apps/v1", "Deployment") from kubernetes:apps/v1:Deployment (core: "core", "v1"); a Patch kind is
    the kind it patches."""
    _, module, kind = type_.split(":")
    group, _, version = module.rpartition("/")
    kind = kind.removesuffix("Patch") if kind.endswith("Patch") and kind != "Patch" else kind
    return group, (version if group == "core" else module), kind


class SimulatedKubernetes:
    """The API servers of a run's clusters, as far as a plan needs them (the module docstring lists it all)."""

    def __init__(self, plans: Callable[[], Sequence[Any]] = tuple):
        self.plans = plans  # the run's kubecvm cluster plans (planning.ClusterPlan), for a Service's serviceCidr
        self.providers: dict[str, dict] = {}  # provider id -> its inputs (plain)
        self.objects: dict[tuple, str] = {}  # (cluster, group, kind, namespace, name) -> resource name
        self.lock = threading.Lock()

    # --- providers ------------------------------------------------------------------------------------------------
    def provider_created(self, rid: str, inputs: dict) -> None:
        with self.lock:
            self.providers[rid] = {k: _plain(v) for k, v in inputs.items()}

    def _provider(self, ref: str | None) -> tuple[str, dict]:
        """(the cluster the objects go to, the provider's inputs): the kubeconfig's cluster, else the reference."""
        rid = (ref or "").rsplit("::", 1)[-1]
        inputs = self.providers.get(rid, {})
        return _kubeconfig_cluster(inputs.get("kubeconfig")) or (ref or "default"), inputs

    def _service_cidr(self, cluster: str) -> ipaddress.IPv4Network:
        plan = next((p for p in self.plans() if getattr(p, "name", None) == cluster), None)
        return ipaddress.IPv4Network(plan.service_cidr if plan is not None else DEFAULT_SERVICE_CIDR)

    # --- objects --------------------------------------------------------------------------------------------------
    def new_resource(self, type_: str, name: str, inputs: dict, provider: str | None) -> tuple[str, dict]:
        cluster, provider_inputs = self._provider(provider)
        default_namespace = provider_inputs.get("namespace") or "default"
        if type_ == RELEASE:
            return self._release(name, inputs, default_namespace)
        group, api_version, kind = group_version_kind(type_)
        state = dict(inputs)
        state.setdefault("apiVersion", api_version)
        state.setdefault("kind", kind)
        key = f"{type_}::{name}"
        meta = copy.deepcopy(_plain(state.get("metadata")) or {})
        annotations = dict(meta.get("annotations") or {})
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = meta["generateName"] + _pick(f"generate:{key}", GENERATE_ALPHABET, 5)
            else:  # pulumi-kubernetes' AssignNameIfAutonamable
                meta["name"] = f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
                annotations[AUTONAMED] = "true"
        if annotations:
            meta["annotations"] = annotations
        if kind not in CLUSTER_SCOPED and group in BUILT_IN_GROUPS:
            meta.setdefault("namespace", default_namespace)
        meta |= {
            "uid": str(uuid.UUID(bytes=_digest(f"uid:{key}")[:16], version=4)),
            "resourceVersion": str(int.from_bytes(_digest(f"rv:{key}")[:3], "big") + 1),
            "generation": 1,
            "creationTimestamp": CREATED,
        }
        state["metadata"] = meta
        namespace = meta.get("namespace")
        if not type_.endswith("Patch"):
            self._admit((cluster, group, kind, namespace, meta["name"]), name)
        state |= self._status(kind, state, cluster, key)
        rid = f"{namespace}/{meta['name']}" if namespace else meta["name"]
        return rid, state

    def _admit(self, identity: tuple, name: str) -> None:
        cluster, _, kind, namespace, object_name = identity
        with self.lock:
            holder = self.objects.setdefault(identity, name)
        if holder != name:
            where = f" in namespace {namespace}" if namespace else ""
            raise KubernetesRefusal(
                f"{name}: {kind} {object_name}{where} already exists in cluster {cluster} (created by "
                f"{holder}; AlreadyExists)"
            )

    def _status(self, kind: str, state: dict, cluster: str, key: str) -> dict:
        spec = _plain(state.get("spec")) or {}
        if kind == "Namespace":
            return {"spec": {"finalizers": ["kubernetes"], **spec}, "status": {"phase": "Active"}}
        if kind == "Service":
            return {"spec": self._service_spec(spec, cluster, key), "status": {"loadBalancer": {}}}
        if kind in ("Deployment", "ReplicaSet", "StatefulSet"):
            n = int(spec.get("replicas", 1) or 0)
            status = {
                "observedGeneration": 1,
                "replicas": n,
                "readyReplicas": n,
                "availableReplicas": n,
                "updatedReplicas": n,
            }
            if kind == "StatefulSet":
                status["currentReplicas"] = n
            return {"status": status}
        if kind == "Job":
            return {
                "status": {
                    "succeeded": int(spec.get("completions", 1) or 1),
                    "conditions": [{"type": "Complete", "status": "True"}],
                }
            }
        if kind == "Pod":
            return {"status": {"phase": "Running"}}
        if kind == "Secret":
            data = dict(_plain(state.get("data")) or {})
            for k, v in (_plain(state.get("stringData")) or {}).items():
                data[k] = base64.b64encode(str(v).encode()).decode()
            out = {"type": state.get("type") or "Opaque", "data": _secret(data)}
            if state.get("stringData") is not None:
                out["stringData"] = _secret(state["stringData"])
            return out
        if kind == "Ingress":
            return {"status": {"loadBalancer": {}}}
        return {}

    def _service_spec(self, spec: dict, cluster: str, key: str) -> dict:
        spec = copy.deepcopy(spec)
        kind = spec.setdefault("type", "ClusterIP")
        if kind != "ExternalName" and not spec.get("clusterIP"):
            net = self._service_cidr(cluster)
            # Past the first 16 addresses: .1 is the `kubernetes` Service, .10 the cluster DNS (kubeadm's rule).
            offset = 16 + int.from_bytes(_digest(f"ip:{key}")[:4], "big") % max(net.num_addresses - 32, 1)
            spec["clusterIP"] = str(net.network_address + offset)
        if spec.get("clusterIP"):
            spec.setdefault("clusterIPs", [spec["clusterIP"]])
        spec.setdefault("sessionAffinity", "None")
        if kind != "ExternalName":
            spec.setdefault("ipFamilies", ["IPv4"])
            spec.setdefault("ipFamilyPolicy", "SingleStack")
            spec.setdefault("internalTrafficPolicy", "Cluster")
        ports = []
        for i, port in enumerate(spec.get("ports") or []):
            port = dict(port)
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
            if kind in ("NodePort", "LoadBalancer") and not port.get("nodePort"):
                lo, hi = NODE_PORTS
                port["nodePort"] = lo + int.from_bytes(_digest(f"nodeport:{key}:{i}")[:4], "big") % (hi - lo + 1)
            ports.append(port)
        if ports:
            spec["ports"] = ports
        return spec

    def _release(self, name: str, inputs: dict, default_namespace: str) -> tuple[str, dict]:
        key = f"{RELEASE}::{name}"
        state = dict(inputs)
        release = _plain(state.get("name")) or f"{name}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
        namespace = _plain(state.get("namespace")) or default_namespace
        state |= {
            "name": release,
            "namespace": namespace,
            "status": {
                "name": release,
                "namespace": namespace,
                "chart": _plain(state.get("chart")),
                "version": _plain(state.get("version")),
                "status": "deployed",
                "revision": 1,
            },
        }
        return f"{namespace}/{release}", state

    # --- data sources ---------------------------------------------------------------------------------------------
    def call(self, token: str, args: dict) -> dict | None:
        """The answer to a `kubernetes:*` data source, or None for one it does not simulate."""
        if token == "kubernetes:yaml:decode":
            return {"result": [doc for doc in yaml.safe_load_all(str(args.get("text") or "")) if doc is not None]}
        return None


def _kubeconfig_cluster(kubeconfig: Any) -> str | None:
    """The cluster a kubeconfig's current context points at (kubecvm names it after the cluster)."""
    return _kubeconfig_text_cluster(kubeconfig) if isinstance(kubeconfig, str) else _kubeconfig_doc_cluster(kubeconfig)


@functools.lru_cache(maxsize=16)
def _kubeconfig_text_cluster(kubeconfig: str) -> str | None:
    """Parsed once per kubeconfig: every Kubernetes object of a cluster asks with its provider's (pure-Python YAML,
    a millisecond each)."""
    try:
        return _kubeconfig_doc_cluster(yaml.safe_load(kubeconfig))
    except yaml.YAMLError:
        return None


def _kubeconfig_doc_cluster(doc: Any) -> str | None:
    if not isinstance(doc, dict):
        return None
    contexts = {c.get("name"): (c.get("context") or {}) for c in doc.get("contexts") or [] if isinstance(c, dict)}
    context = contexts.get(doc.get("current-context")) or next(iter(contexts.values()), {})
    cluster = context.get("cluster") if isinstance(context, dict) else None
    if cluster is None:
        clusters = [c.get("name") for c in doc.get("clusters") or [] if isinstance(c, dict)]
        cluster = clusters[0] if len(clusters) == 1 else None
    return cluster if isinstance(cluster, str) else None
