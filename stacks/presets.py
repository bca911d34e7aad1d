"""The dev, staging and prod presets, in the same camelCase form as a stack's `kubecvm:cluster` overrides.

Zones are not preset: which zone numbers exist depends on the region, so every stack file names its zones.
"""

from __future__ import annotations

PRESETS: dict[str, dict] = {
    # One zone, one auto-sized master, two workers: the cheapest cluster that is still a real one. A NAT gateway
    # only if the boot needs one: with the default (public) control-plane registry it does, with kubeadm's images
    # copied into Tencent's registry (kubernetes.imageRepository) it does not (docs/concepts/boot.md, "What a node reaches while booting").
    "dev": {
        "controlPlane": {"count": 1, "instanceType": "auto", "etcdDisk": {"type": "CLOUD_SSD", "size": 50}},
        "nodePools": [{"name": "general", "instanceType": "S5.LARGE8", "countPerZone": 2}],
        "egress": "auto",
        # No ingress CLB in dev (cost); staging and prod get an internal one in front of every pool.
        "ingress": {"enabled": False},
        # No alarm policies in dev (monitoring.alarms.enabled: true adds them); staging and prod have them.
    },
    # The production shape at the smallest size: three zones, three masters, one worker per zone.
    "staging": {
        "controlPlane": {"count": 3, "instanceType": "auto", "etcdDisk": {"type": "CLOUD_SSD", "size": 100}},
        "nodePools": [{"name": "general", "instanceType": "S5.2XLARGE16", "countPerZone": 1}],
        "egress": "nat",
        "ingress": {"enabled": True},  # internal, from the VPC, in front of every pool
        "monitoring": {"alarms": {"enabled": True}},  # Cloud Monitor alarms for the nodes and the CLBs
    },
    # Three zones, three auto-sized masters, two workers per zone with data disks, protection on.
    "prod": {
        "controlPlane": {"count": 3, "instanceType": "auto", "etcdDisk": {"type": "CLOUD_SSD", "size": 200}},
        "nodePools": [
            {
                "name": "general",
                "instanceType": "S5.2XLARGE32",
                "countPerZone": 2,
                "dataDisk": {"type": "CLOUD_SSD", "size": 200},
            }
        ],
        "egress": "nat",
        "ingress": {"enabled": True},  # internal, from the VPC, in front of every pool
        "monitoring": {"alarms": {"enabled": True}},  # Cloud Monitor alarms for the nodes and the CLBs
        "protect": True,
    },
}

# How many zones each preset is designed for; the loader says so when a stack gives none.
PRESET_ZONES = {"dev": 1, "staging": 3, "prod": 3}
