from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning import ClusterPlan

from .recording import built_from
from .lifecycle import with_lifecycle

TYPE = "kubecvm:index:Network"


class Network(pulumi.ComponentResource):
    """The VPC, one subnet per zone on the cluster route table, and the optional NAT egress."""

    def __init__(self, name: str, plan: ClusterPlan, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, with_lifecycle(opts))
        built_from(plan)
        child = pulumi.ResourceOptions(parent=self)
        tags = plan.tagged("network")
        self.vpc = tc.vpc.Instance(
            plan.vpc_name,
            name=plan.vpc_name,
            cidr_block=plan.vpc_cidr,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=plan.protect),
        )
        self.route_table = tc.route.Table(
            plan.route_table, name=plan.route_table, vpc_id=self.vpc.id, tags=tags, opts=child
        )
        # The subnet joins the table at creation, so no node ever boots on the VPC's default table without pod routes.
        self.subnets = {
            s.zone: tc.subnet.Instance(
                s.name,
                name=s.name,
                vpc_id=self.vpc.id,
                availability_zone=s.zone,
                cidr_block=s.cidr,
                route_table_id=self.route_table.id,
                tags=tags,
                opts=child,
            )
            for s in plan.subnets
        }
        self.nat_gateway = None
        if plan.nat:
            eip_name, gateway_name, route_name = plan.nat
            eip = tc.eip.Instance(eip_name, name=eip_name, tags=tags, opts=child)
            self.nat_gateway = tc.nat.Gateway(
                gateway_name,
                name=gateway_name,
                vpc_id=self.vpc.id,
                assigned_eip_sets=[eip.public_ip],
                tags=tags,
                opts=child,
            )
            tc.route.TableEntry(
                route_name,
                route_table_id=self.route_table.id,
                destination_cidr_block="0.0.0.0/0",
                next_type="NAT",
                next_hub=self.nat_gateway.id,
                description="default egress via NAT",
                opts=child,
            )
        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "routeTableId": self.route_table.id,
                "subnetIds": {zone: s.id for zone, s in self.subnets.items()},
            }
        )
