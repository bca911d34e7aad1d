"""Address layout from stable keys: zone number, pool slot, ordinal.

VPC   -> zoneBlocks zone subnets, zone number n takes block n-1
zone  -> poolBlocks pool blocks, slot 0 = control plane (masters, API VIP), slots 1.. = node pools
pod   -> the same two levels over the pod CIDR, then one /nodePodMask block per node by ordinal
Nothing here depends on list positions, so scaling, adding zones or pools, and reordering move nothing else.
The geometry (zoneBlocks x poolBlocks, the spec's `layout`, default 8 x 8) is set once: a change moves every
address, as a podCidr change would.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from .limits import MAX_MASTERS, POOL_SLOTS, SUBNET_RESERVED_HEAD, SUBNET_RESERVED_TAIL, ZONE_SLOTS

Net = ipaddress.IPv4Network
API_VIP_OFFSET = MAX_MASTERS  # after the masters' addresses in the control-plane block
INGRESS_VIP_OFFSET = API_VIP_OFFSET + 1  # the ingress CLB's planned VIP, next to the API's
CONTROL_PLANE_RESERVED = INGRESS_VIP_OFFSET + 1  # addresses of the control-plane block that are not masters


def nth_block(net: Net, prefix: int, n: int) -> Net:
    size = 2 ** (32 - prefix)
    if not 0 <= n < 2 ** (prefix - net.prefixlen):
        raise IndexError(f"{net} has no block {n} of /{prefix}")
    return ipaddress.IPv4Network((int(net.network_address) + n * size, prefix))


def bits(blocks: int) -> int:
    """Prefix bits that cut a range into `blocks` (a power of two) equal blocks."""
    return (blocks - 1).bit_length()


def zone_subnet(vpc: Net, zone_number: int, zone_blocks: int = ZONE_SLOTS) -> Net:
    return nth_block(vpc, vpc.prefixlen + bits(zone_blocks), zone_number - 1)


@dataclass(frozen=True)
class Layout:
    """The derived geometry of one spec's address space."""

    vpc: Net
    pod: Net
    node_pod_mask: int
    zone_blocks: int = ZONE_SLOTS
    pool_blocks: int = POOL_SLOTS
    # An existing network's subnets by zone number (all one size, checked by the spec): used instead of the
    # VPC's zone blocks. Empty: kubecvm cuts the VPC itself.
    given_subnets: tuple[tuple[int, Net], ...] = ()

    @property
    def _split_bits(self) -> int:
        return bits(self.zone_blocks) + bits(self.pool_blocks)

    def zone_subnet(self, zone_number: int) -> Net:
        given = dict(self.given_subnets)
        return given[zone_number] if given else zone_subnet(self.vpc, zone_number, self.zone_blocks)

    def _pool_block(self, zone_number: int, slot: int) -> Net:
        zone_net = self.zone_subnet(zone_number)
        return nth_block(zone_net, zone_net.prefixlen + bits(self.pool_blocks), slot)

    @property
    def pool_block_prefix(self) -> int:
        if self.given_subnets:
            return self.given_subnets[0][1].prefixlen + bits(self.pool_blocks)
        return self.vpc.prefixlen + self._split_bits

    @property
    def pool_block_size(self) -> int:
        return 2 ** (32 - self.pool_block_prefix) if self.pool_block_prefix <= 32 else 0

    def host_offsets(self, slot: int) -> range:
        """Usable host offsets inside a pool block (reserved subnet ends excluded)."""
        start = SUBNET_RESERVED_HEAD if slot == 0 else 0
        stop = self.pool_block_size - (SUBNET_RESERVED_TAIL if slot == self.pool_blocks - 1 else 0)
        return range(start, max(start, stop))

    def ip_capacity(self, slot: int) -> int:
        """Nodes one pool can place in one zone by subnet addresses."""
        return len(self.host_offsets(slot)) - (CONTROL_PLANE_RESERVED if slot == 0 else 0)

    @property
    def pod_bucket_prefix(self) -> int:
        return self.pod.prefixlen + self._split_bits

    @property
    def pod_capacity(self) -> int:
        """Nodes one pool can place in one zone by pod blocks (0 when the pod CIDR is too small to split)."""
        if self.node_pod_mask < self.pod_bucket_prefix:
            return 0
        return 2 ** (self.node_pod_mask - self.pod_bucket_prefix)

    def node_ip(self, zone_number: int, slot: int, ordinal: int) -> str:
        block = self._pool_block(zone_number, slot)
        return str(block.network_address + self.host_offsets(slot)[ordinal])

    def api_vip(self, zone_number: int) -> str:
        return self.node_ip(zone_number, 0, API_VIP_OFFSET)

    def ingress_vip(self, zone_number: int) -> str:
        return self.node_ip(zone_number, 0, INGRESS_VIP_OFFSET)

    def pod_cidr(self, zone_number: int, slot: int, ordinal: int) -> str:
        bucket = nth_block(self.pod, self.pod_bucket_prefix, (zone_number - 1) * self.pool_blocks + slot)
        return str(nth_block(bucket, self.node_pod_mask, ordinal))
