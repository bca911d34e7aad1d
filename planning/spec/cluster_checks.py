"""The checks of a ClusterSpec that read several of its parts: the public CLBs' internet settings, an existing
network's subnets, the ingress pools. Pure; each raises SpecError naming the field in the stack config's spelling.

Apart from planning/spec/cluster.py (the spec's fields and its validator, which calls these) so that the model and its
longer checks each fit in one file.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from .. import checks
from .base import SpecError
from .network import Egress, Exposure, InternetChargeType

if TYPE_CHECKING:
    from .cluster import ClusterSpec


def _check_public_clbs(spec: ClusterSpec) -> None:
    for where, clb in (("apiEndpoint", spec.api_endpoint), ("ingress", spec.ingress)):
        if clb.exposure is Exposure.internal:
            for key, value in (("internetChargeType", clb.internet_charge_type), ("bandwidth", clb.bandwidth)):
                if value is not None:
                    # clb/resource_tc_clb_instance.go (create): "INTERNAL network_type do not support internet
                    # charge type setting"; an internal CLB's traffic stays in the VPC.
                    raise SpecError(
                        f"{where}.{key}",
                        f"only a public CLB is billed and capped for the internet; "
                        f"{where}.exposure is internal (set exposure: public, or drop {key})",
                    )
        elif clb.internet_charge_type is InternetChargeType.BANDWIDTH_PACKAGE:
            # The same file: bandwidth_package_id "If set, the `internet_charge_type` must be
            # `BANDWIDTH_PACKAGE`": the package is what bills it, and kubecvm takes no package id.
            raise SpecError(
                f"{where}.internetChargeType",
                "BANDWIDTH_PACKAGE bills the CLB through a shared "
                "bandwidth package (bandwidth_package_id), which kubecvm does not set; use "
                "TRAFFIC_POSTPAID_BY_HOUR or BANDWIDTH_POSTPAID_BY_HOUR",
            )


def _check_existing_network(spec: ClusterSpec) -> None:
    if spec.existing_network is None:
        return
    where = "existingNetwork.subnets"
    given = spec.existing_network.subnets
    for zone in spec.zones:
        if zone not in given:
            raise SpecError(where, f"no subnet for zone {zone}: give one per cluster zone")
    for zone in given:
        if zone not in spec.zones:
            raise SpecError(f"{where}.{zone}", f"{zone!r} is not one of the cluster zones ({', '.join(spec.zones)})")
    nets = {zone: ipaddress.IPv4Network(s.cidr) for zone, s in given.items()}
    for zone, n in nets.items():
        if not n.subnet_of(spec.vpc_net):
            raise SpecError(
                f"{where}.{zone}.cidr", f"{n} is not inside vpcCidr {spec.vpc_cidr} (set vpcCidr to the VPC's CIDR)"
            )
    if len({n.prefixlen for n in nets.values()}) > 1:
        raise SpecError(
            where,
            "the subnets must be of one size: each is cut into the same pool blocks "
            f"({', '.join(f'{z} /{n.prefixlen}' for z, n in sorted(nets.items()))})",
        )
    for problem in checks.disjoint_problems({f"{where}.{z}": n for z, n in sorted(nets.items())}):
        raise SpecError(where, problem)
    if spec.egress is Egress.nat:  # auto is none here: the network's owner gives the egress
        raise SpecError(
            "egress",
            "nat would add a NAT gateway and a default route to a network kubecvm does not "
            "own; set egress: none (the network's own route table gives the nodes their egress)",
        )


def _check_ingress(spec: ClusterSpec) -> None:
    pools = spec.ingress.pools
    if not spec.ingress.enabled or pools is None:
        return
    known = [p.name for p in spec.node_pools]
    if not pools:
        raise SpecError("ingress.pools", "select at least one node pool (or leave it out for every pool)")
    for i, name in enumerate(pools):
        if name not in known:
            raise SpecError(f"ingress.pools[{i}]", f"{name!r} is not a node pool ({', '.join(known)})")
        if name in pools[:i]:
            raise SpecError(f"ingress.pools[{i}]", f"pool {name!r} is listed twice")
