"""Exact address tables for a known spec. Worked by hand from planning/addressing.py's layout:
VPC 10.0.0.0/16 -> /19 per zone slot (zone n at slot n-1) -> /22 per pool slot; pod 172.16.0.0/12 -> /15 per
zone -> /18 per pool slot -> /24 per node."""

from kubecvm.planning import build_plan
from tests.conftest import make_spec


def test_prod_layout_exact(prod_spec):
    plan = build_plan(prod_spec)
    assert [(s.zone, s.cidr) for s in plan.subnets] == [
        ("ap-guangzhou-3", "10.0.64.0/19"),
        ("ap-guangzhou-4", "10.0.96.0/19"),
        ("ap-guangzhou-6", "10.0.160.0/19"),
    ]
    assert [(m.name, m.zone, m.private_ip, m.pod_cidr) for m in plan.machines] == [
        ("demo-master-0", "ap-guangzhou-3", "10.0.64.4", "172.20.0.0/24"),
        ("demo-master-1", "ap-guangzhou-4", "10.0.96.4", "172.22.0.0/24"),
        ("demo-master-2", "ap-guangzhou-6", "10.0.160.4", "172.26.0.0/24"),
        ("demo-general-z3-0", "ap-guangzhou-3", "10.0.68.0", "172.20.64.0/24"),
        ("demo-general-z3-1", "ap-guangzhou-3", "10.0.68.1", "172.20.65.0/24"),
        ("demo-general-z4-0", "ap-guangzhou-4", "10.0.100.0", "172.22.64.0/24"),
        ("demo-general-z4-1", "ap-guangzhou-4", "10.0.100.1", "172.22.65.0/24"),
        ("demo-general-z6-0", "ap-guangzhou-6", "10.0.164.0", "172.26.64.0/24"),
        ("demo-general-z6-1", "ap-guangzhou-6", "10.0.164.1", "172.26.65.0/24"),
    ]
    assert plan.api.vip == "10.0.64.11"  # control-plane block of zone 3, after the 7 master addresses
    assert plan.api.endpoint == "10.0.64.11:6443"


def test_second_pool_takes_its_slot_block():
    spec = make_spec(
        "prod",
        {
            "nodePools": [
                {"name": "general", "instanceType": "S5.2XLARGE32", "countPerZone": 1},
                {
                    "name": "gpu",
                    "slot": 3,
                    "instanceType": "GN7.2XLARGE32",
                    "countPerZone": 1,
                    "zones": ["ap-guangzhou-4"],
                },
            ]
        },
    )
    gpu = next(p for p in build_plan(spec).pools if p.name == "gpu")
    # zone 4 -> 10.0.96.0/19; slot 3 -> +3 x 1024 = 10.0.108.0/22. Pods: 172.22.0.0/15 + 3 x /18 = 172.22.192.0/18
    assert [(n.name, n.private_ip, n.pod_cidr) for n in gpu.nodes] == [
        ("demo-gpu-z4-0", "10.0.108.0", "172.22.192.0/24")
    ]


def test_capacity_report_exact(prod_spec):
    cap = build_plan(prod_spec).capacity
    assert (cap.workers, cap.masters) == (6, 3)
    assert cap.max_nodes_by_pod_cidr == 4096  # /12 split into /24s
    assert cap.max_nodes_per_pool_zone_by_pod_cidr == 64  # 2^(24 - 12 - 6)
    assert cap.max_nodes_per_pool_zone_by_subnet_ips == 1024  # a /22 pool block
    assert cap.max_nodes_by_route_quota == 49  # 50 entries, one taken by the NAT default route
    assert cap.max_nodes_by_kubernetes == 1363  # 150000 pods // 110 per node
    assert (cap.route_entries_used, cap.route_quota) == (10, 50)  # 9 pod routes + NAT route
    assert (cap.master_tier, cap.next_master_tier_at) == ("4C16G", 21)
    assert cap.max_nodes == 49
    assert cap.to_dict() == {  # the names the stack output and the offline plan's summary share
        "workers": 6,
        "masters": 3,
        "masterTier": "4C16G",
        "nextMasterTierAt": 21,
        "maxNodes": 49,
        "maxNodesByPodCidr": 4096,
        "maxNodesPerPoolZoneByPodCidr": 64,
        "maxNodesPerPoolZoneBySubnetIps": 1024,
        "maxNodesByRouteQuota": 49,
        "maxNodesByKubernetes": 1363,
        "routeEntriesUsed": 10,
        "routeQuota": 50,
        "podNetwork": "vpcRoutes",
        "boundedBy": ["routeQuota"],
        "clusterRoutes": 0,
        "maxNodesByClusterRouteTable": None,
        "layout": {"zoneBlocks": 8, "poolBlocks": 8},
        "maxNodesPerPoolZone": 64,
    }


def test_auto_master_size_follows_worker_count():
    assert (
        build_plan(make_spec("prod", {"nodePools": [{"name": "a", "instanceType": "S5.LARGE8", "countPerZone": 1}]}))
        .masters[0]
        .instance_type
        == "S5.LARGE8"
    )
    assert (
        build_plan(make_spec("prod", {"nodePools": [{"name": "a", "instanceType": "S5.LARGE8", "countPerZone": 7}]}))
        .masters[0]
        .instance_type
        == "S5.2XLARGE32"
    )


def test_security_rules_fence_etcd_to_masters(prod_spec):
    plan = build_plan(prod_spec)
    master = plan.security_group("master")
    etcd = [(r.action, r.cidr) for r in master.ingress if r.port == "2379-2380"]
    assert etcd == [
        ("ACCEPT", "10.0.64.4/32"),
        ("ACCEPT", "10.0.96.4/32"),
        ("ACCEPT", "10.0.160.4/32"),
        ("DROP", "0.0.0.0/0"),
    ]
    # No rule anywhere accepts the world.
    assert not [r for g in plan.security_groups for r in g.ingress if r.action == "ACCEPT" and r.cidr == "0.0.0.0/0"]
