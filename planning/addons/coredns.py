"""The CoreDNS spread: a server-side-apply patch of kubeadm's CoreDNS Deployment. Pure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .common import NAMESPACE

if TYPE_CHECKING:
    from .settings import AddonSettings

# kubeadm's CoreDNS Deployment (cmd/kubeadm/app/phases/addons/dns/manifests.go CoreDNSDeployment: 2 replicas,
# labels k8s-app=kube-dns, only a *preferred* anti-affinity on kubernetes.io/hostname) is scheduled while master-0
# is the only node, so both replicas land there and stay. kubeadm has no option for it (ClusterConfiguration.dns
# takes only the image), so the add-ons patch that Deployment, with server-side apply: replicas on distinct nodes
# (required anti-affinity; the second waits for a second node) and spread over zones where possible. The patch owns
# only these fields; `kubeadm upgrade apply` rewrites the Deployment, and the next `pulumi up --refresh` restores them.
COREDNS = "coredns"
COREDNS_SELECTOR = {"matchLabels": {"k8s-app": "kube-dns"}}
ZONE_LABEL, HOST_LABEL = "topology.kubernetes.io/zone", "kubernetes.io/hostname"


def coredns_patch() -> dict[str, Any]:
    """The fields kubecvm owns on kubeadm's CoreDNS Deployment (a DeploymentPatch, not a new object)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": COREDNS,
            "namespace": NAMESPACE,
            "annotations": {
                # kubeadm created the object: take these fields over; and do not wait for the rollout, whose second
                # replica stays Pending until a second node has joined.
                "pulumi.com/patchForce": "true",
                "pulumi.com/skipAwait": "true",
            },
        },
        "spec": {
            "template": {
                "spec": {
                    "affinity": {
                        "podAntiAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": [
                                {"labelSelector": COREDNS_SELECTOR, "topologyKey": HOST_LABEL}
                            ]
                        }
                    },
                    "topologySpreadConstraints": [
                        {
                            "maxSkew": 1,
                            "topologyKey": ZONE_LABEL,
                            "whenUnsatisfiable": "ScheduleAnyway",
                            "labelSelector": COREDNS_SELECTOR,
                        }
                    ],
                }
            }
        },
    }


def patches(s: AddonSettings) -> list[dict[str, Any]]:
    """Changes to objects kubeadm owns, applied as patches after the cluster answers."""
    del s  # every cluster gets them
    return [coredns_patch()]
