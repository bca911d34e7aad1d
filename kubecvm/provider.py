"""kubecvm as a Pulumi component package: hosts `Cluster` for TypeScript, Go, C#, Java and YAML programs.

PulumiPlugin.yaml (the repository root) points here; `pulumi package add <this repository>` runs it and
generates an SDK from the schema that the Pulumi SDK's component analyzer (pulumi.provider.experimental,
SDK 3.272 analyzer.py) reads from the type annotations below: inputs from `ClusterArgs`, outputs from the
annotated attributes. Python programs use kubecvm.Cluster directly; it is the same component.

Only `Cluster` is hosted: the smaller components (Network, NodePool, ...) take a planning.ClusterPlan, a Python
object another language cannot build; the Cluster is where their plan is made.

This module must not use `from __future__ import annotations`: the analyzer reads the annotations as types.
"""

import json
import sys
from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from kubecvm import package_schema, sdk
from kubecvm.components import cluster as _cluster
from kubecvm.components.args import ClusterArgs

PACKAGE = "kubecvm"  # the type token's package: kubecvm:index:Cluster


class Cluster(_cluster.Cluster):
    """A self-managed Kubernetes cluster on Tencent Cloud CVMs: VPC and subnets per zone (or an existing network),
    masters behind an internal CLB with their own etcd disks, worker pools, one route per node for its pods, PKI,
    bootstrap and the CBS CSI add-on. The cluster is named after the resource."""

    cluster_name: pulumi.Output[str]
    """The cluster's name, the prefix of every resource name."""
    api_endpoint: pulumi.Output[str]
    """host:port of the Kubernetes API (the internal CLB VIP, or the public one with apiEndpoint exposure public)."""
    ca_cert_pem: pulumi.Output[str]
    """The cluster CA certificate (PEM); a secret."""
    kubeconfig: pulumi.Output[str]
    """An admin kubeconfig (a secret: it holds the admin client key). Its server is apiEndpoint. A program in another
    language makes its Kubernetes provider from it (docs/component-package.md): `new k8s.Provider("c1",
    {kubeconfig: cluster.kubeconfig})`."""
    instance_ids: pulumi.Output[dict[str, str]]
    """CVM instance ids by machine name (masters and workers)."""
    vpc_id: pulumi.Output[str]
    """The VPC the nodes are in (kubecvm's own or the existing one)."""
    subnet_ids: pulumi.Output[dict[str, str]]
    """Subnet ids by zone."""
    provider: k8s.Provider
    """A Kubernetes provider for this cluster that waits until its API server answers /readyz. Resource options
    take a provider, not an Output of one: outside Python make one from kubeconfig instead."""
    master_ips: pulumi.Output[dict[str, str]]
    """Private IPs of the masters by machine name (planned: known at preview)."""
    node_ips: pulumi.Output[dict[str, str]]
    """Private IPs of the workers by machine name (planned: known at preview)."""
    pod_cidrs: pulumi.Output[dict[str, str]]
    """Each machine's pod CIDR by machine name."""
    capacity: pulumi.Output[dict[str, Any]]
    """How many nodes the cluster can grow to and what bounds it: maxNodes, maxNodesByPodCidr,
    maxNodesByRouteQuota, maxNodesByKubernetes, boundedBy, routeQuota, routeEntriesUsed, masterTier,
    nextMasterTierAt, routeQuotaLive (the account's quota as the provider reads it under `pulumi up`)."""
    ingress_endpoint: Optional[pulumi.Output[str]]
    """The ingress CLB's address (internal VIP or public IP); absent without ingress. Clients connect to
    ingressEndpoint:ingressPorts.http or .https."""
    ingress_ports: Optional[pulumi.Output[dict[str, int]]]
    """The ingress CLB's listener ports by name (http, https); absent without ingress."""
    policy_facts: Optional[pulumi.Output[dict[str, Any]]]
    """The facts kubecvm's policy pack judges this cluster by (pod and service CIDRs, quotas, exposure, boot
    hosts); for the pack, not for programs."""

    ARG_SPELLING = "camel"  # other languages' programs spell the inputs camelCase, as the schema does

    def __init__(self, name: str, args: ClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)


def component_provider(version: str = "0.0.0"):
    """The SDK's component provider for Cluster, serving the analyzer's schema completed by package_schema.refine
    (enums, defaults, secret outputs, clean descriptions); `construct` is the SDK's."""
    provider = sdk.component_provider_class()([Cluster], PACKAGE, version=version)
    provider.schema = json.dumps(package_schema.refine(json.loads(provider.schema)))
    return provider


def main() -> None:
    from kubecvm.offline.cli import version

    # What the SDK's own component host does (pulumi/provider/experimental/host.py, SDK 3.272): serve the
    # provider over gRPC with the arguments the engine passed; the version defaults to 0.0.0 as there.
    sdk.provider_main()(component_provider("0.0.0" if version() == "unknown" else version()), sys.argv[1:])


if __name__ == "__main__":
    main()
