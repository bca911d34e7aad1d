"""What `kubecvm diff` knows and answers: which inputs force replacement (FORCE_NEW, FORCE_NEW_IF, MAP_INPUTS),
which in-place updates disrupt a machine (DISRUPTIVE), and the result (Change, Deletion, DiffResult).

FORCE_NEW: the inputs whose change makes the engine replace a resource, per type, copied from the provider's schema
(`ForceNew: true`) in the SDK's camelCase. Every type any preset's plan contains has an entry (a test fails, naming
the type, when one is missing: add a Tencent type's to its service module in kubecvm/planning/tencent/, which cites
tencentcloudstack/terraform-provider-tencentcloud v1.82.42's tencentcloud/services/<file> per entry; any other
type's here). A path `a[]` is the length of list `a`, `a[].b` a key of any element, `a.b` a key of the mapping `a`;
ALL means every input. The diff itself (offline/diff.py) re-exports every name here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kubecvm.planning.tencent import cbs, clb, cvm, services, tke, vpc

# Engine type tokens: the service modules' (kubecvm/planning/tencent/), under the names this module has exported.
INSTANCE = cvm.INSTANCE
VPC = vpc.VPC
SUBNET = vpc.SUBNET
ROUTE_TABLE = vpc.ROUTE_TABLE
ROUTE_ENTRY = vpc.ROUTE_ENTRY
CBS = cbs.STORAGE
CBS_ATTACHMENT = cbs.STORAGE_ATTACHMENT
CLB = clb.INSTANCE
CLB_LISTENER = clb.LISTENER
CLB_ATTACHMENT = clb.ATTACHMENT
ALL = "*"  # every input forces replacement
# podNetwork globalRouter (components/global_router.py): its provider's diff() replaces the table when these change
# (TABLE_INPUTS there) and updates the per-node `routes` map in place, each changed route deleted then created.
CLUSTER_ROUTE_TABLE = tke.CLUSTER_ROUTE_TABLE

FORCE_NEW: dict[str, frozenset[str]] = {
    # Tencent's types and the GlobalRouter table: each service module's FORCE_NEW, with its provider citations.
    **services.FORCE_NEW,
    # pulumi-tls and pulumi-random bridge hashicorp/terraform-provider-tls and -random, whose resources have no
    # Update: every argument is RequiresReplace (internal/provider/resource_*.go). A certificate's early renewal
    # window is the exception: it only moves the renewal date.
    "tls:index/privateKey:PrivateKey": frozenset({ALL}),
    "tls:index/certRequest:CertRequest": frozenset({ALL}),
    "tls:index/selfSignedCert:SelfSignedCert": frozenset({ALL}),
    "tls:index/locallySignedCert:LocallySignedCert": frozenset({ALL}),
    "random:index/randomPassword:RandomPassword": frozenset({ALL}),
    "random:index/randomBytes:RandomBytes": frozenset({ALL}),
    # Kubernetes objects (pulumi-kubernetes): a new name or namespace is a new object; the API server refuses
    # changes to these immutable fields, so the provider replaces (kubernetes/kubernetes pkg/apis/*/validation:
    # StorageClass parameters/provisioner/reclaimPolicy/volumeBindingMode, CSIDriver spec, a workload's
    # spec.selector, a binding's roleRef).
    "kubernetes:core/v1:ConfigMap": frozenset({"metadata.name", "metadata.namespace"}),
    "kubernetes:core/v1:ServiceAccount": frozenset({"metadata.name", "metadata.namespace"}),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": frozenset({"metadata.name"}),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": frozenset({"metadata.name", "roleRef"}),
    "kubernetes:apps/v1:Deployment": frozenset({"metadata.name", "metadata.namespace", "spec.selector"}),
    "kubernetes:apps/v1:DaemonSet": frozenset({"metadata.name", "metadata.namespace", "spec.selector"}),
    "kubernetes:storage.k8s.io/v1:CSIDriver": frozenset({"metadata.name", "spec"}),
    "kubernetes:storage.k8s.io/v1:StorageClass": frozenset(
        {"metadata.name", "provisioner", "parameters", "reclaimPolicy", "volumeBindingMode"}
    ),
    # metrics-server and the CSR approver (planning/addons/): a Service's clusterIP is immutable (kubecvm sets
    # none), a RoleBinding's roleRef too (pkg/apis/rbac/validation ValidateRoleBindingUpdate); an APIService is
    # named by version.group.
    "kubernetes:core/v1:Service": frozenset({"metadata.name", "metadata.namespace", "spec.clusterIP"}),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": frozenset(
        {"metadata.name", "metadata.namespace", "roleRef"}
    ),
    "kubernetes:apiregistration.k8s.io/v1:APIService": frozenset({"metadata.name"}),
    # A patch (server-side apply of some fields of an object kubeadm made): another name is another object.
    "kubernetes:apps/v1:DeploymentPatch": frozenset({"metadata.name", "metadata.namespace"}),
    # ingress-nginx's kinds (planning/addons/ingress_nginx.py): a Secret's type and an IngressClass's spec.controller are
    # immutable (pkg/apis/core/validation ValidateSecretUpdate, pkg/apis/networking/validation
    # ValidateIngressClassUpdate).
    "kubernetes:core/v1:Namespace": frozenset({"metadata.name"}),
    "kubernetes:core/v1:Secret": frozenset({"metadata.name", "metadata.namespace", "type"}),
    "kubernetes:rbac.authorization.k8s.io/v1:Role": frozenset({"metadata.name", "metadata.namespace"}),
    "kubernetes:networking.k8s.io/v1:IngressClass": frozenset({"metadata.name", "spec.controller"}),
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingWebhookConfiguration": frozenset({"metadata.name"}),
    # The Kubernetes provider itself: a new kubeconfig is an update of its configuration, not a replacement.
    "pulumi:providers:kubernetes": frozenset(),
    # Dynamic providers (components/api_ready.py, the GlobalRouter route table) decide in their own diff: a
    # changed input is an update unless their provider says otherwise, which no static table can read.
    "pulumi-python:dynamic:Resource": frozenset(),
}

# Map inputs compared per key, so a change names what moved: `routes.<node>` for one node's cluster route.
MAP_INPUTS: dict[str, frozenset[str]] = services.MAP_INPUTS
DEFAULTS: dict[str, dict[str, object]] = services.DEFAULTS

# Inputs that force replacement only when another input says so (cvm.FORCE_NEW_IF: CustomizeDiff's ForceNewIf).
FORCE_NEW_IF: dict[str, dict[str, str]] = services.FORCE_NEW_IF


@dataclass(frozen=True)
class Disruption:
    why: str
    stops: bool  # the machine stops serving meanwhile (restart, stop, reinstall), so masters must not share it


# In place, but the instance restarts, migrates or is reinstalled (cvm.DISRUPTIVE: resourceTencentCloudInstanceUpdate),
# or the GlobalRouter table's changed routes are deleted and created again (tke.DISRUPTIVE).
DISRUPTIVE: dict[str, dict[str, Disruption]] = {
    type_: {key: Disruption(why, stops) for key, (why, stops) in updates.items()}
    for type_, updates in services.DISRUPTIVE.items()
}
ROLE_TAG, MASTER = "kubecvm/role", "master"


@dataclass
class Change:
    urn: str
    type: str
    keys: list[str]  # top-level inputs whose values differ
    replace_keys: list[str] = field(default_factory=list)  # the ForceNew paths among them
    disruptive: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # differ, but in ignoreChanges: the engine leaves them
    cascade_from: str | None = None  # a replaced resource whose new id this one takes
    cascade_key: str | None = None
    order: str | None = None  # a replacement's order
    fails: str | None = None  # why the engine or Tencent would refuse it
    forced: bool = False  # `pulumi up --replace <urn>`

    @property
    def replace(self) -> bool:
        return (
            self.forced
            or bool(self.replace_keys)
            or (
                self.cascade_from is not None
                and self.cascade_key is not None
                and forces_replacement(self.type, self.cascade_key)
            )
        )

    @property
    def action(self) -> str:
        if self.replace:
            return "replace"
        return "update" if self.keys or self.cascade_from else "ignore"

    def reason(self) -> str:
        if self.forced:
            return "replaced on request (--replace)"
        if self.replace_keys:
            return "forces replacement: " + ", ".join(self.replace_keys)
        if self.replace:
            return (
                f"{self.cascade_key} takes the new id of {self.cascade_from}, and {self.cascade_key} forces replacement"
            )
        if self.cascade_from and not self.keys:
            return f"{self.cascade_key} takes the new id of {self.cascade_from} (in place)"
        if not self.keys:
            return "only ignored inputs differ: " + ", ".join(self.ignored)
        return "in place: " + ", ".join(self.keys)


@dataclass
class Deletion:
    urn: str
    type: str
    fails: str | None = None


@dataclass
class DiffResult:
    added: list[dict]
    removed: list[Deletion]
    changed: list[Change]
    warnings: list[str] = field(default_factory=list)
    replay: list[str] = field(default_factory=list)  # what the simulated cloud refused (diff --replay)

    @property
    def replacements(self) -> list[Change]:
        return [c for c in self.changed if c.replace]

    @property
    def updates(self) -> list[Change]:
        return [c for c in self.changed if c.action == "update"]

    @property
    def destroys(self) -> bool:
        """Something existing is deleted or replaced: `kubecvm diff` exits 3."""
        return bool(self.removed or self.replacements)

    @property
    def failures(self) -> list[dict]:
        out = [{"urn": c.urn, "message": c.fails} for c in self.changed if c.fails]
        out += [{"urn": d.urn, "message": d.fails} for d in self.removed if d.fails]
        return out + [{"urn": None, "message": m} for m in self.replay]

    def to_json(self) -> dict:
        def change(c: Change, **extra) -> dict:
            return {"urn": c.urn, "type": c.type, "keys": c.keys, "reason": c.reason(), **extra}

        return {
            "added": [{"urn": r["urn"], "type": r["type"], "reason": "not in the old plan"} for r in self.added],
            "updated": [
                change(c, disruptive=c.disruptive, ignored=c.ignored, cascadeFrom=c.cascade_from) for c in self.updates
            ],
            "replaced": [
                change(
                    c,
                    replaceKeys=c.replace_keys,
                    cascadeFrom=c.cascade_from,
                    order=c.order,
                    disruptive=c.disruptive,
                    fails=c.fails,
                )
                for c in self.replacements
            ],
            "deleted": [
                {"urn": d.urn, "type": d.type, "reason": "not in the new plan", "fails": d.fails} for d in self.removed
            ],
            "ignored": [
                {"urn": c.urn, "type": c.type, "keys": c.ignored, "reason": c.reason()}
                for c in self.changed
                if c.action == "ignore"
            ],
            "warnings": list(self.warnings),
            "failures": self.failures,
            "summary": {
                "added": len(self.added),
                "updated": len(self.updates),
                "replaced": len(self.replacements),
                "deleted": len(self.removed),
                "failing": len(self.failures),
                "warnings": len(self.warnings),
            },
        }


def forces_replacement(type_: str, key: str) -> bool:
    """Whether a new value of top-level input `key` (any value) can force replacement."""
    rules = FORCE_NEW.get(type_, frozenset())
    return ALL in rules or any(r.split(".")[0].removesuffix("[]") == key for r in rules)
