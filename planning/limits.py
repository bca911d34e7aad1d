"""Kubernetes, etcd and Tencent Cloud limits the planner and the policies share."""

MAX_PODS_PER_NODE = 110
MAX_NODES = 5000
MAX_PODS = 150_000

# Zones are keyed by their number (ap-guangzhou-3 -> 3). Per-zone address blocks are reserved for zone numbers
# 1..ZONE_SLOTS so that adding a zone later never moves an existing block.
ZONE_SLOTS = 8
# Each zone block is split into POOL_SLOTS blocks: slot 0 is the control plane (masters, API VIP), node pools
# take slots 1..POOL_SLOTS-1 (the pool's `slot`), so a pool added later never moves another pool's addresses.
POOL_SLOTS = 8
# Both are the defaults of the `layout` setting (zoneBlocks, poolBlocks); poolBlocks may go up to this.
MAX_POOL_BLOCKS = 16
# The most masters the control-plane block is laid out for (etcd: 1, 3, 5 or 7 members).
MAX_MASTERS = 7
# Tencent reserves the network address, the gateway (.1) and more at the start of each subnet and the
# broadcast address at its end; we keep 4 off each end, a conservative superset.
SUBNET_RESERVED_HEAD = 4
SUBNET_RESERVED_TAIL = 4

CBS_MIN_GIB = 10
CBS_MAX_GIB = 32_000
CBS_STEP_GIB = 10
SSD_CLASS_DISKS = frozenset({"CLOUD_SSD", "CLOUD_HSSD", "CLOUD_BSSD", "CLOUD_TSSD"})
# Smallest CBS disk per type, GiB: the SSD classes start at 20 (Tencent, "云硬盘类型",
# cloud.tencent.com/document/product/362/2353); the spec and the simulated cloud both read it.
CBS_MIN_GIB_BY_TYPE = {"CLOUD_BASIC": 10, "CLOUD_PREMIUM": 10, **{t: 20 for t in SSD_CLASS_DISKS}}

# The TKE API's range for a cluster CIDR, which a cluster route table's RouteTableCidrBlock is (podNetwork
# globalRouter): tencentcloud-sdk-python-tke tencentcloud/tke/v20180525/errorcodes.py,
# InvalidParameter.CIDRMaskSizeOutOfRange "集群CIDR范围 最小值: 10 最大值: 24".
CLUSTER_CIDR_MASKS = (10, 24)

# A public CLB's outbound bandwidth cap, Mbps: clb/resource_tc_clb_instance.go internet_bandwidth_max_out, "Valid value
# ranges is [1, 2048]" (terraform-provider-tencentcloud v1.82.42).
CLB_BANDWIDTH_MBPS = (1, 2048)
