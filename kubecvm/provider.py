"""kubecvm as a Pulumi component package: hosts `Cluster` for TypeScript, Go, C#, Java and YAML programs.

PulumiPlugin.yaml (the repository root) points here; `pulumi package add <this repository>` runs it and
generates an SDK from the schema that the Pulumi SDK's component analyzer (pulumi.provider.experimental,
SDK 3.272 analyzer.py) reads from the type annotations below: inputs from `ClusterArgs`, outputs from the
annotated attributes. Python programs use kubecvm.Cluster directly; it is the same component.

Only `Cluster` is hosted: the smaller components (Network, NodePool, ...) take a planning.ClusterPlan, a Python
object another language cannot build; the Cluster is where their plan is made.

This module must not use `from __future__ import annotations`: the analyzer reads the annotations as types.
"""

from typing import Any, Optional

import pulumi
import pulumi_kubernetes as k8s

from kubecvm import sdk
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
    """An admin kubeconfig; always a secret value (it holds the admin client key), although the schema cannot
    say so: the SDK's component analyzer has no secret marker for outputs."""
    instance_ids: pulumi.Output[dict[str, str]]
    """CVM instance ids by machine name (masters and workers)."""
    vpc_id: pulumi.Output[str]
    """The VPC the nodes are in (kubecvm's own or the existing one)."""
    subnet_ids: pulumi.Output[dict[str, str]]
    """Subnet ids by zone."""
    provider: k8s.Provider
    """A Kubernetes provider for this cluster that waits until its API server answers /readyz."""
    policy_facts: pulumi.Output[dict[str, Any]]
    """The facts kubecvm's policy pack judges this cluster by (pod and service CIDRs, quotas, exposure, boot hosts)."""

    ARG_SPELLING = "camel"  # other languages' programs spell the inputs camelCase, as the schema does

    def __init__(self, name: str, args: ClusterArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)


def main() -> None:
    from kubecvm.offline.cli import version

    sdk.component_provider_host()([Cluster], PACKAGE, version=None if version() == "unknown" else version())


if __name__ == "__main__":
    main()
