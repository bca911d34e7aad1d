from __future__ import annotations

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning import ClusterPlan, bootstrap, names

from .addons import ClusterAddons
from .api_ready import ApiReady
from .boot import Boot
from .control_plane import ControlPlane
from .machine import MachineDeps
from .network import Network
from .node_pool import NodePool
from .pki import Pki
from .pod_routes import PodRoutes
from .security import SecurityGroups

TYPE = "kubecvm:index:Cluster"


def image_id(plan: ClusterPlan, parent: pulumi.Resource) -> pulumi.Input[str]:
    """The spec's image, or the newest public image matching its name pattern."""
    if plan.spec.image_id:
        return plan.spec.image_id
    found = tc.images.get_instance_output(
        image_name_regex=plan.spec.image_name_regex, image_types=["PUBLIC_IMAGE"],
        opts=pulumi.InvokeOptions(parent=parent),
    )
    return found.images.apply(lambda images: images[0].image_id)


ROUTE_QUOTA_LIMIT = "route-table-max-policies"


def live_route_quota(plan: ClusterPlan, parent: pulumi.Resource) -> pulumi.Output[int | None]:
    """The account's real route-table quota; warns when the stack's quotas.routeEntriesPerTable claims otherwise,
    since every capacity figure and the route-quota policy rest on that setting."""
    found = tc.vpc.get_limits_output(limit_types=[ROUTE_QUOTA_LIMIT], opts=pulumi.InvokeOptions(parent=parent))

    def check(sets) -> int | None:
        live = next((s.limit_value for s in sets or [] if s.limit_type == ROUTE_QUOTA_LIMIT), None)
        configured = plan.capacity.route_quota
        if live is not None and live != configured:
            pulumi.log.warn(
                f"quotas.routeEntriesPerTable is {configured} but this account's {ROUTE_QUOTA_LIMIT} is {live}; "
                f"set it to {live} so the capacity report and the route-quota policy are right", parent,
            )
        return live

    return found.vpc_limit_sets.apply(check)


class Cluster(pulumi.ComponentResource):
    """A whole cluster's infrastructure from one plan: network, security groups, control plane, pools, routes."""

    def __init__(self, name: str, plan: ClusterPlan, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.network = Network(plan.components["network"], plan, opts=child)
        self.security = SecurityGroups(plan.components["security"], plan, opts=child)
        subnet_ids = {zone: s.id for zone, s in self.network.subnets.items()}
        image = image_id(plan, self)
        self.pki = Pki(names.pki_component(plan.name), plan, opts=child)
        self.boot = Boot(names.boot_component(plan.name), plan, pki=self.pki, opts=child)

        def deps(role: str) -> MachineDeps:
            return MachineDeps(
                vpc_id=self.network.vpc.id, subnet_ids=subnet_ids,
                security_group_id=self.security.groups[role].id, image_id=image,
                cam_role_name=self.boot.role_names[role], user_data=lambda m: self.boot.user_data(plan, m),
                boot_ready=tuple(self.boot.ready[role]),
            )

        self.control_plane = ControlPlane(
            plan.components["control_plane"], plan, deps=deps("master"),
            lb_security_group_id=self.security.groups["lb"].id, opts=child,
        )
        self.pools = {
            p.name: NodePool(p.component, p, cluster=plan, deps=deps("worker"), opts=child) for p in plan.pools
        }
        instances = {**self.control_plane.masters, **{n: i for p in self.pools.values() for n, i in p.nodes.items()}}
        self.routes = PodRoutes(
            plan.components["routes"], plan.routes, route_table_id=self.network.route_table.id, instances=instances, opts=child,
        )
        self.route_quota_live = live_route_quota(plan, self)
        # Secret: it embeds the admin client key. The server is the API endpoint users reach (public or internal).
        self.kubeconfig = pulumi.Output.secret(pulumi.Output.all(
            self.control_plane.endpoint, self.pki.ca_cert_pem, self.pki.admin_cert_pem, self.pki.admin_key_pem,
        ).apply(lambda a: bootstrap.kubeconfig(plan.name, a[0], a[1], a[2], a[3])))
        # The API server answers only once kubeadm has run on the masters: the add-ons wait for it to say so.
        self.api_ready = ApiReady(
            names.api_ready(plan.name), endpoint=self.control_plane.endpoint, ca_pem=self.pki.ca_cert_pem,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.control_plane.masters.values()]),
        )
        self.addons = ClusterAddons(
            names.addons_component(plan.name), plan, kubeconfig=self.kubeconfig, depends_on=[self.api_ready],
            opts=child,
        )
        self.outputs = outputs(plan, self)
        self.register_outputs(self.outputs)


def outputs(plan: ClusterPlan, cluster: Cluster) -> dict[str, object]:
    return {
        "vpcId": cluster.network.vpc.id,
        "subnetIds": {zone: s.id for zone, s in cluster.network.subnets.items()},
        "apiEndpoint": cluster.control_plane.endpoint,
        "masterIps": {m.name: m.private_ip for m in plan.masters},
        "nodeIps": {n.name: n.private_ip for n in plan.workers},
        "podCidrs": {m.name: m.pod_cidr for m in plan.machines},
        "kubeconfig": cluster.kubeconfig,
        "capacity": {**plan.capacity.to_dict(), "routeQuotaLive": cluster.route_quota_live},
    }
