"""The plan's security groups: the ordered rule lists of each role (master, worker, API CLB, ingress CLB). Pure.

Apart from planning/plan.py because the rule order is its own concern (planning/firewall.py evaluates the lists,
planning/security_rules.py checks what Tencent would refuse in them).
"""

from __future__ import annotations

from . import ingress as ingress_plan
from .ingress import IngressPlan
from .plan_model import ALL_PORTS, ANYWHERE, API_PORT, ETCD_PORTS, NODEPORTS, SSH_PORT, Rule, SecurityGroupPlan
from .spec import ClusterSpec


# Tencent applies the first matching rule (terraform-provider-tencentcloud v1.82.42 docs/r/security_group_rule_set:
# "this block is ordered, the first rule has the highest priority"), so each list reads top-down:
#   1. fences that hold even for the cluster's own sources (etcd: masters only);
#   2. everything between the cluster's own nodes and pods. kube-proxy SNATs cross-node NodePort traffic and
#      hostNetwork pods use the node's address, so node-sourced traffic is cluster traffic: DNS to CoreDNS on the
#      masters, metrics-server to every kubelet, NodePorts, webhooks. Nodes are named by their security groups,
#      not by address blocks: exactly the cluster's CVMs, and adding a zone or a pool changes no rule;
#   3. what other sources may reach (API, NodePorts from the VPC, SSH, ping), by the spec;
#   4. an explicit DROP of the rest. Rules added later (ingress CLB NodePorts) go before it.
DROP_REST = Rule("DROP", "ALL", ALL_PORTS, ANYWHERE, "everything else")


def _ingress_rules(ing: IngressPlan | None) -> tuple[tuple[Rule, ...], tuple[Rule, ...]]:
    """(worker rules, ingress CLB rules). Workers take the ingress NodePorts from the allowed clients (a layer-4
    CLB keeps their address) and the CLB's health checks (100.64.0.0/10, planning/ingress.py), and DROP them from
    anyone else before the VPC-wide NodePort ACCEPT; the CLB's own group takes its listener ports from the allowed
    clients only."""
    if ing is None:
        return (), ()
    node_ports = ing.node_ports
    listen = ",".join(str(li.port) for li in ing.listeners)
    worker = (
        *[Rule("ACCEPT", "TCP", node_ports, c, "ingress NodePorts from allowed clients") for c in ing.allowed_cidrs],
        Rule("ACCEPT", "TCP", node_ports, ingress_plan.HEALTH_CHECK_CIDR, "ingress CLB health checks"),
        Rule("DROP", "TCP", node_ports, ANYWHERE, "ingress NodePorts from anyone else"),
    )
    lb = (*[Rule("ACCEPT", "TCP", listen, c, "ingress listeners") for c in ing.allowed_cidrs], DROP_REST)
    return worker, lb


def _security_groups(
    spec: ClusterSpec,
    plan_names: dict[str, str],
    master_ips: list[str],
    ing: IngressPlan | None = None,
) -> tuple[SecurityGroupPlan, ...]:
    vpc, pod = spec.vpc_cidr, spec.pod_cidr
    api_from = list(dict.fromkeys([*(spec.api_endpoint.allowed_cidrs or []), vpc]))
    ssh_from = spec.ssh_allowed_cidrs if spec.ssh_allowed_cidrs is not None else [vpc]
    masters = [f"{ip}/32" for ip in master_ips]
    egress = (Rule("ACCEPT", "ALL", ALL_PORTS, ANYWHERE, "all egress"),)
    cluster = (
        *[
            Rule("ACCEPT", "ALL", ALL_PORTS, "", f"cluster nodes: {role}s", source_group=role)
            for role in ("master", "worker")
        ],
        Rule("ACCEPT", "ALL", ALL_PORTS, pod, "pod network"),
    )
    others = (
        *[Rule("ACCEPT", "TCP", SSH_PORT, c, "ssh") for c in ssh_from],
        Rule("ACCEPT", "ICMP", ALL_PORTS, vpc, "ping inside the VPC"),
    )
    ingress_worker, ingress_lb = _ingress_rules(ing)
    master_rules = (
        *[Rule("ACCEPT", "TCP", ETCD_PORTS, m, "etcd between masters") for m in masters],
        Rule("DROP", "TCP", ETCD_PORTS, ANYWHERE, "etcd from anyone else"),
        *cluster,
        *[Rule("ACCEPT", "TCP", API_PORT, c, "kube-apiserver") for c in api_from],
        # The API listener's health checks come from 100.64.0.0/10 (health_source_ip_type 1, as the ingress
        # listeners: planning/ingress.py), which no allowed CIDR covers: without this rule every master fails them.
        Rule("ACCEPT", "TCP", API_PORT, ingress_plan.HEALTH_CHECK_CIDR, "API CLB health checks"),
        *others,
        DROP_REST,
    )
    # The load-balancer controller's CLBs probe NodePorts (TCP, and kube-proxy's healthCheckNodePort over HTTP) and
    # ping for UDP listeners from 100.64.0.0/10 (their listeners set SourceIpType 1, as every kubecvm listener does:
    # planning/ingress.py); masters carry kubeadm's node.kubernetes.io/exclude-from-external-load-balancers label
    # (kubernetes/kubernetes cmd/kubeadm/app/phases/markcontrolplane/markcontrolplane.go labelsToAdd), so are never
    # targets.
    lb_checks = (
        (
            Rule("ACCEPT", "TCP", NODEPORTS, ingress_plan.HEALTH_CHECK_CIDR, "load-balancer Service health checks"),
            Rule("ACCEPT", "ICMP", ALL_PORTS, ingress_plan.HEALTH_CHECK_CIDR, "load-balancer Service health checks"),
        )
        if spec.addons.load_balancer_controller
        else ()
    )
    worker_rules = (
        *cluster,
        *ingress_worker,  # before the VPC-wide NodePort ACCEPT, which would otherwise answer for them
        *lb_checks,
        # Internal CLBs keep the client's address: services published on NodePorts are reached from the VPC.
        Rule("ACCEPT", "TCP", NODEPORTS, vpc, "NodePort services"),
        Rule("ACCEPT", "UDP", NODEPORTS, vpc, "NodePort services"),
        *others,
        DROP_REST,
    )
    lb_rules = (
        *[Rule("ACCEPT", "TCP", API_PORT, c, "kube-apiserver") for c in dict.fromkeys([*api_from, pod])],
        DROP_REST,
    )
    groups = (
        SecurityGroupPlan(plan_names["master"], "master", master_rules, egress),
        SecurityGroupPlan(plan_names["worker"], "worker", worker_rules, egress),
        SecurityGroupPlan(plan_names["lb"], "lb", lb_rules, egress),
    )
    if ing is not None:
        groups += (SecurityGroupPlan(plan_names[ingress_plan.ROLE], ingress_plan.ROLE, ingress_lb, egress),)
    return groups
