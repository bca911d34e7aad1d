"""IngressLoadBalancer: the workload entry point, a CLB with TCP listeners in front of the selected workers.

Everything comes from planning.ingress (whose docstring cites the provider and Tencent facts): this only copies
the plan into clb.Instance, one clb.Listener per port and one clb.Attachment per listener.
"""

from __future__ import annotations

from collections.abc import Mapping

from typing import Any

import pulumi
import tencentcloud_iac_pulumi as tc

from kubecvm.planning import ClusterPlan, bootstrap, names
from kubecvm.planning import ingress as plan_ingress
from kubecvm.planning.addons import ingress_nginx

from .lifecycle import with_lifecycle
from .pki import ca_bundle, service_certificates

TYPE = "kubecvm:index:IngressLoadBalancer"


class IngressLoadBalancer(pulumi.ComponentResource):
    """`endpoint` is the address clients use (the planned VIP, or the public address Tencent assigns)."""

    def __init__(
        self,
        name: str,
        plan: ClusterPlan,
        *,
        vpc_id: pulumi.Input[str],
        subnet_ids: Mapping[str, pulumi.Input[str]],
        security_group_id: pulumi.Input[str],
        instances: Mapping[str, pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ):
        # planning/lifecycle.py: the CLB (its name and VIP), listeners and attachments are deleted before replaced.
        super().__init__(TYPE, name, None, with_lifecycle(opts))
        ing = plan.ingress
        if ing is None:
            raise ValueError("IngressLoadBalancer: the plan has no ingress (ingress.enabled is false)")
        missing = sorted(set(ing.targets) - set(instances))
        if missing:
            raise ValueError(f"IngressLoadBalancer: no instance given for target(s) {', '.join(missing)}")
        child = pulumi.ResourceOptions(parent=self)
        internal = ing.exposure == "internal"
        self.load_balancer = tc.clb.Instance(
            ing.name,
            clb_name=ing.name,
            network_type=ing.network_type,
            vpc_id=vpc_id,
            subnet_id=subnet_ids[ing.zone] if internal else None,
            vip=ing.vip,
            # Public only (None for internal): without them CreateLoadBalancer caps the CLB at 10 Mbps out.
            internet_charge_type=ing.internet_charge_type,
            internet_bandwidth_max_out=ing.bandwidth,
            security_groups=[security_group_id],
            # False: Tencent checks the backends' own security group too, so the worker rules are a second fence.
            load_balancer_pass_to_target=False,
            tags=plan.tagged(plan_ingress.ROLE),
            opts=child,
        )
        hc = plan_ingress.HEALTH_CHECK
        self.listeners: dict[str, tc.clb.Listener] = {}
        self.attachments: dict[str, tc.clb.Attachment] = {}
        for li in ing.listeners:
            listener = tc.clb.Listener(
                li.name,
                clb_id=self.load_balancer.id,
                listener_name=li.name,
                port=li.port,
                protocol="TCP",
                health_check_switch=True,
                health_check_type=hc["type"],
                health_check_interval_time=hc["interval"],
                health_check_time_out=hc["timeout"],
                health_check_health_num=hc["healthy"],
                health_check_unhealth_num=hc["unhealthy"],
                health_source_ip_type=plan_ingress.HEALTH_SOURCE_IP_TYPE,
                scheduler="WRR",
                target_type="NODE",
                opts=child,
            )
            self.listeners[li.key] = listener
            if ing.targets:  # the provider wants 1..100 targets; a pool scaled to zero leaves the listener empty
                self.attachments[li.key] = tc.clb.Attachment(
                    li.targets_name,
                    clb_id=self.load_balancer.id,
                    listener_id=listener.listener_id,
                    targets=[
                        {"instance_id": instances[t].id, "port": li.node_port, "weight": plan_ingress.TARGET_WEIGHT}
                        for t in ing.targets
                    ],
                    opts=child,
                )
        self.endpoint: pulumi.Output[str] = (
            pulumi.Output.from_input(ing.vip)
            if internal
            else self.load_balancer.clb_vips.apply(lambda vips: vips[0] if vips else "")
        )
        self.ports = ing.ports
        self.register_outputs({"endpoint": self.endpoint, "ports": self.ports})


# The admission webhook's certificate, without cert-manager: a CA of its own (not the cluster CA, so nothing that
# serves it can sign for the cluster) and a serving certificate for the admission Service's names. Ten years, like
# the cluster CAs; `pulumi up --replace` on the CA renews both, and the Secret and caBundle follow.
WEBHOOK_VALIDITY_HOURS = bootstrap.CA_VALIDITY_HOURS


def webhook_certificates(
    cluster: str, parent: pulumi.Resource
) -> tuple[pulumi.Output[str], pulumi.Output[str], pulumi.Output[str]]:
    """(CA PEM, serving certificate PEM, serving key PEM), all Pulumi secrets."""
    return service_certificates(
        lambda part: names.ingress_webhook(cluster, part),
        ca_common_name=f"{cluster} ingress-nginx admission CA",
        common_name=ingress_nginx.WEBHOOK_DNS_NAMES[2],
        dns_names=ingress_nginx.WEBHOOK_DNS_NAMES,
        validity_hours=WEBHOOK_VALIDITY_HOURS,
        parent=parent,
    )


def ingress_objects(
    component: str, plan: ClusterPlan, address: pulumi.Input[str] | None, parent: pulumi.Resource
) -> list[dict[str, Any]]:
    """ingress-nginx's objects for the plan (none without ingress), with the webhook certificate made here."""
    settings = ingress_nginx.settings_from_plan(plan)
    if settings is None:
        return []
    ca, cert, key = webhook_certificates(plan.name, parent)
    address = address if address is not None else plan.ingress.vip
    status = None if address is None else pulumi.Output.from_input(address).apply(ingress_nginx.publish_status_arg)
    return ingress_nginx.objects(
        settings,
        ca_pem=ca,
        cert_pem=cert,
        key_pem=key,
        status_arg=status,
        ca_bundle=ca_bundle(ca),
    )
