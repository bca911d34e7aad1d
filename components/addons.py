"""ClusterAddons: registers planning.addons' Kubernetes objects through a provider built from the kubeconfig."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from kubecvm.planning import ClusterPlan, bootstrap, names
from kubecvm.planning import addons as plan_addons

from .ingress import ingress_objects
from .lb_cleanup import LoadBalancerCleanup
from .object_ready import ObjectReady
from .pki import ca_bundle, service_certificates

TYPE = "kubecvm:index:ClusterAddons"

# One typed class per kind the add-ons use: each object shows up in the plan (and to policies) under its own
# Kubernetes type, which a ConfigGroup (a provider-side component) would hide from the mocks and the offline plan.
KINDS: dict[tuple[str, str], type[pulumi.CustomResource]] = {
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "Service"): k8s.core.v1.Service,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
    ("apiregistration.k8s.io/v1", "APIService"): k8s.apiregistration.v1.APIService,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): k8s.rbac.v1.ClusterRole,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): k8s.rbac.v1.ClusterRoleBinding,
    ("storage.k8s.io/v1", "CSIDriver"): k8s.storage.v1.CSIDriver,
    ("storage.k8s.io/v1", "StorageClass"): k8s.storage.v1.StorageClass,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("apps/v1", "DaemonSet"): k8s.apps.v1.DaemonSet,
    # ingress-nginx (planning/addons/ingress_nginx.py)
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "Secret"): k8s.core.v1.Secret,
    ("rbac.authorization.k8s.io/v1", "Role"): k8s.rbac.v1.Role,
    ("networking.k8s.io/v1", "IngressClass"): k8s.networking.v1.IngressClass,
    (
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
    ): k8s.admissionregistration.v1.ValidatingWebhookConfiguration,
}
# Changes to objects kubeadm created (planning.addons.patches): server-side-apply patches, which own only their fields.
PATCH_KINDS: dict[tuple[str, str], type[pulumi.CustomResource]] = {
    ("apps/v1", "Deployment"): k8s.apps.v1.DeploymentPatch,
}
# Top-level fields that are not snake_case already; nested values stay camelCase, as the wire format wants.
_ARGS = {
    "roleRef": "role_ref",
    "reclaimPolicy": "reclaim_policy",
    "volumeBindingMode": "volume_binding_mode",
    "allowVolumeExpansion": "allow_volume_expansion",
    "stringData": "string_data",
    "automountServiceAccountToken": "automount_service_account_token",
}


# pulumi-kubernetes replaces a ConfigMap or Secret whose data changes unless its provider allows mutating them
# (provider config enableConfigMapMutable / enableSecretMutable, pulumi/pulumi-kubernetes provider/pkg/provider
# provider.go). kubecvm's add-ons change them in place on purpose, as `kubecvm diff` predicts: the CSR approver
# re-reads its planned addresses and metrics-server its renewed certificate from the mounted files, which the kubelet
# refreshes; a replacement would delete the object first (its name is fixed) and leave a gap.
PROVIDER_SETTINGS = {"enable_config_map_mutable": True, "enable_secret_mutable": True}


def _settings(plan_or_settings: ClusterPlan | plan_addons.AddonSettings) -> plan_addons.AddonSettings:
    if isinstance(plan_or_settings, plan_addons.AddonSettings):
        return plan_or_settings
    return plan_addons.settings_from_plan(plan_or_settings)


class ClusterAddons(pulumi.ComponentResource):
    """The CBS CSI driver, metrics-server and the CoreDNS spread, applied once the cluster's bootstrap resources exist."""

    def __init__(
        self,
        name: str,
        plan_or_settings: ClusterPlan | plan_addons.AddonSettings,
        *,
        kubeconfig: pulumi.Input[str],
        depends_on: Sequence[pulumi.Resource] = (),
        ingress_address: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
        monitoring: Sequence[dict[str, Any]] = (),
    ):
        """`monitoring`: the Prometheus agents' objects (components/prometheus.py ManagedPrometheus.objects)."""
        super().__init__(TYPE, name, None, opts)
        settings = _settings(plan_or_settings)
        metrics_tls = metrics_server_tls(settings.cluster, self) if settings.metrics_server else None
        objs, patches = plan_addons.objects(settings, metrics_tls=metrics_tls), plan_addons.patches(settings)
        if isinstance(plan_or_settings, ClusterPlan):
            # ingress-nginx behind the ingress CLB; `ingress_address` is the CLB's (reported in Ingress status).
            objs += ingress_objects(name, plan_or_settings, ingress_address, self)
        objs += list(monitoring)
        self.provider: k8s.Provider | None = None
        self.resources: dict[str, pulumi.CustomResource] = {}
        if objs or patches:
            # The kubeconfig holds the admin key: keep it secret whatever the caller passed.
            self.provider = k8s.Provider(
                f"{name}-k8s",
                kubeconfig=pulumi.Output.secret(kubeconfig),
                **PROVIDER_SETTINGS,
                opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
            )
            # Every object waits for the bootstrap resources too, not only through the provider.
            child = pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=list(depends_on))
            # The load-balancer controller's objects depend on the CLB cleanup, so `pulumi destroy` stops the
            # controller before the cleanup deletes its CLBs (components/lb_cleanup.py).
            lb_child = child
            if settings.lb_controller:
                cleanup = LoadBalancerCleanup(
                    f"{name}-lb-cleanup",
                    cluster=settings.cluster,
                    region=settings.region,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
                )
                self.resources[f"{name}-lb-cleanup"] = cleanup
                lb_child = pulumi.ResourceOptions(
                    parent=self, provider=self.provider, depends_on=[*depends_on, cleanup]
                )
            for obj in objs:
                rname = plan_addons.resource_name(name, obj)
                opts = lb_child if obj["metadata"]["name"].startswith(plan_addons.lb_controller.NAME) else child
                self.resources[rname] = KINDS[obj["apiVersion"], obj["kind"]](rname, opts=opts, **_args(obj))
            for obj in patches:
                rname = plan_addons.patch_name(name, obj)
                # The object is kubeadm's: wait until it exists (ObjectReady), then patch it.
                exists = ObjectReady(
                    f"{rname}-exists",
                    kubeconfig=kubeconfig,
                    path=plan_addons.api_path(obj),
                    opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
                )
                self.resources[rname] = PATCH_KINDS[obj["apiVersion"], obj["kind"]](
                    rname,
                    opts=pulumi.ResourceOptions(parent=self, provider=self.provider, depends_on=[exists]),
                    **_args(obj),
                )
        self.register_outputs({"objects": sorted(self.resources)})


# metrics-server's serving certificate (planning/addons/metrics_server.py METRICS_SERVER_DNS_NAMES says who checks which name).
# A CA of its own rather than the cluster CA: the APIService's caBundle then trusts only what this CA issued (the
# cluster CA also signs every kubelet's serving certificate and any CSR the controller manager approves), and the
# cluster CA's key stays where only masters read it (SSM), never used by the stack for anything but kubeadm's PKI.
# The CA lasts ten years like the cluster's; the serving certificate one year, renewed by any `pulumi up` in its last
# 90 days (pulumi-tls LocallySignedCert early_renewal_hours, pulumi_tls 5.6.2 locally_signed_cert.py: the resource
# counts as expired that many hours early, so the update replaces it; the old one stays valid until it expires).
# The replacement has the same CA, so the caBundle does not change: the Secret updates in place and metrics-server
# picks the new files up within minutes (the kubelet's Secret refresh, then its one-minute file reload).
METRICS_TLS_VALIDITY_HOURS, METRICS_TLS_RENEW_HOURS = 365 * 24, 90 * 24


def metrics_server_tls(cluster: str, parent: pulumi.Resource) -> plan_addons.ServingTls:
    """metrics-server's serving certificate and key (Pulumi secrets) and the APIService caBundle of their CA."""
    ca, cert, key = service_certificates(
        lambda part: names.metrics_server_tls(cluster, part),
        ca_common_name=f"{cluster} metrics-server CA",
        common_name=plan_addons.METRICS_SERVER_DNS_NAMES[0],
        dns_names=plan_addons.METRICS_SERVER_DNS_NAMES,
        validity_hours=METRICS_TLS_VALIDITY_HOURS,
        renew_hours=METRICS_TLS_RENEW_HOURS,
        ca_validity_hours=bootstrap.CA_VALIDITY_HOURS,
        parent=parent,
    )
    return plan_addons.ServingTls(cert_pem=cert, key_pem=key, ca_bundle=ca_bundle(ca))


def _args(obj: dict[str, Any]) -> dict[str, Any]:
    return {_ARGS.get(key, key): value for key, value in obj.items() if key not in ("apiVersion", "kind")}
