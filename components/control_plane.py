from __future__ import annotations

import dataclasses

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning import ClusterPlan
from kubecvm.planning import ingress as plan_ingress

from .lifecycle import with_lifecycle
from .machine import MachineDeps, cvm

TYPE = "kubecvm:index:ControlPlane"


class ControlPlane(pulumi.ComponentResource):
    """Masters spread over zones in a HOST placement group, each with its own etcd disk, behind the API CLB."""

    def __init__(
        self,
        name: str,
        plan: ClusterPlan,
        *,
        deps: MachineDeps,
        lb_security_group_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(TYPE, name, None, with_lifecycle(opts))
        child = pulumi.ResourceOptions(parent=self)
        placement = tc.placement.Group(
            plan.placement_group,
            name=plan.placement_group,
            type="HOST",
            tags=plan.tagged("master"),
            opts=child,
        )
        deps = dataclasses.replace(deps, placement_group_id=placement.id)
        self.masters: dict[str, tc.instance.Instance] = {}
        previous = None
        for m in plan.masters:
            # Each master waits for the one before it: the engine then updates them one at a time.
            instance = previous = cvm(m, plan, deps, self, after=previous)
            disk = m.etcd_disk
            # A disk of its own, not an inline data disk, so etcd's data outlives a replaced instance.
            storage = tc.cbs.Storage(
                disk.name,
                storage_name=disk.name,
                availability_zone=m.zone,
                storage_type=disk.type,
                storage_size=disk.size,
                encrypt=disk.encrypted,
                tags=plan.tagged("storage"),
                opts=pulumi.ResourceOptions(parent=self, protect=disk.protect),
            )
            tc.cbs.StorageAttachment(
                disk.attachment,
                storage_id=storage.id,
                instance_id=instance.id,
                opts=child,
            )
            self.masters[m.name] = instance

        api = plan.api
        internal = api.exposure == "internal"
        self.load_balancer = tc.clb.Instance(
            api.name,
            clb_name=api.name,
            network_type=api.network_type,
            vpc_id=deps.vpc_id,
            subnet_id=deps.subnet_ids[api.zone] if internal else None,
            vip=api.vip,
            # Public only (None for internal): without them CreateLoadBalancer caps the CLB at 10 Mbps out.
            internet_charge_type=api.internet_charge_type,
            internet_bandwidth_max_out=api.bandwidth,
            security_groups=[lb_security_group_id],
            tags=plan.tagged("lb"),
            opts=child,
        )
        listener = tc.clb.Listener(
            api.listener,
            clb_id=self.load_balancer.id,
            listener_name=api.listener,
            port=6443,
            protocol="TCP",
            health_check_switch=True,
            health_check_type="TCP",
            health_check_interval_time=5,
            health_check_health_num=2,
            health_check_unhealth_num=3,
            # Probes from 100.64.0.0/10 on every account (newer ones have no other source), which the masters'
            # group accepts on 6443 (planning/security_groups.py): planning/ingress.py cites both.
            health_source_ip_type=plan_ingress.HEALTH_SOURCE_IP_TYPE,
            scheduler="WRR",
            opts=child,
        )
        tc.clb.Attachment(
            api.targets,
            clb_id=self.load_balancer.id,
            listener_id=listener.listener_id,
            targets=[{"instance_id": i.id, "port": 6443, "weight": 10} for i in self.masters.values()],
            opts=child,
        )
        self.endpoint = (
            pulumi.Output.from_input(api.endpoint)
            if internal
            else self.load_balancer.clb_vips.apply(lambda vips: f"{vips[0]}:6443" if vips else "")
        )
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "masterIds": {n: i.id for n, i in self.masters.items()},
            }
        )
