"""policies/__main__.py builds a PolicyPack with every rule; its wrappers run the same rules (no server started)."""

from __future__ import annotations

import contextvars
import json
import runpy

import pulumi
import pulumi_policy
import pytest

from kubecvm.planning.plan import POLICY_FACTS
from kubecvm.policies.engine import CLUSTER_TYPE
from kubecvm.policies.registry import RULES
from policy_helpers import ROOT, mutate, stack_file_config


class Recorder:
    """Stands in for pulumi_policy.PolicyPack, whose constructor serves gRPC forever."""

    built: list[dict] = []

    def __init__(self, **kwargs):
        Recorder.built.append(kwargs)


@pytest.fixture(scope="module")
def pack():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pulumi_policy, "PolicyPack", Recorder)
        Recorder.built.clear()
        runpy.run_path(str(ROOT / "policies" / "__main__.py"), run_name="__main__")
    [kwargs] = Recorder.built
    return kwargs


def test_the_pack_holds_every_rule_once(pack):
    assert pack["name"] == "kubecvm"
    assert pack["enforcement_level"] is pulumi_policy.EnforcementLevel.MANDATORY
    assert [p.name for p in pack["policies"]] == sorted(RULES)


def test_each_policy_carries_the_rule_metadata(pack):
    for policy in pack["policies"]:
        spec = RULES[policy.name]
        kind = pulumi_policy.ResourceValidationPolicy if spec.per_resource else pulumi_policy.StackValidationPolicy
        assert isinstance(policy, kind)
        assert policy.severity is pulumi_policy.Severity(spec.severity)
        assert (policy.description, policy.remediation_steps, policy.tags) == (
            spec.description,
            spec.remediation,
            [spec.group],
        )
        assert set(policy.config_schema.properties) == {*spec.defaults, "exemptions"}


def _policy(pack, name):
    return next(p for p in pack["policies"] if p.name == name)


def _policy_resources(resources):
    return [pulumi_policy.PolicyResource(r.type, r.props, r.urn, r.name, None, None, None, [], {}) for r in resources]


def _run_with_stack_config(stack_config: dict, fn):
    """Policies read the stack's own config through pulumi.Config, as under `pulumi preview`."""

    def run():
        pulumi.runtime.set_all_config({k: v if isinstance(v, str) else json.dumps(v) for k, v in stack_config.items()})
        return fn()

    return contextvars.copy_context().run(run)


def test_a_stack_policy_reports_what_the_engine_finds(pack, prod_baseline):
    resources, _ = prod_baseline
    mutated = mutate(resources, "prod-master-1", lambda p: p.update(availabilityZone="ap-guangzhou-3"))
    reports = []
    args = pulumi_policy.StackValidationArgs(_policy_resources(mutated), {})
    _policy(pack, "kubecvm-ha-masters-distinct-zones").validate(args, lambda msg, urn=None: reports.append((msg, urn)))
    assert reports == [
        (
            "3 masters are in 2 zone(s) (ap-guangzhou-3: 2, ap-guangzhou-6: 1); at least 3 distinct zones are needed",
            None,
        )
    ]


def test_a_stack_policy_uses_the_stacks_cluster_facts_and_its_own_config(pack, prod_baseline):
    resources, _ = prod_baseline
    policy = _policy(pack, "kubecvm-network-route-quota")
    stack_config = stack_file_config("prod", quotas={"routeEntriesPerTable": 9})

    def check(config):
        reports = []
        args = pulumi_policy.StackValidationArgs(_policy_resources(resources), config)
        _run_with_stack_config(stack_config, lambda: policy.validate(args, lambda msg, urn=None: reports.append(msg)))
        return reports

    assert len(check({})) == 1  # the stack declares a quota of 9 for its 10 entries
    assert check({"routeQuota": 10}) == []  # the policy config overrides the stack's figure
    with pytest.raises(pulumi_policy.policy._NotApplicableError) as exempted:  # CrossGuard's "not applicable"
        check({"exemptions": [{"resource": ".*", "reason": "raise pending", "expires": "2999-01-01"}]})
    assert exempted.value.reason == "exempted until 2999-01-01: raise pending"
    [expired] = check({"exemptions": [{"resource": ".*", "reason": "raise pending", "expires": "2000-01-01"}]})[:1]
    assert "expired on 2000-01-01" in expired


def test_a_resource_policy_judges_one_resource(pack, prod_baseline):
    resources, _ = prod_baseline
    policy = _policy(pack, "kubecvm-security-open-ports")
    world_ssh = {"action": "ACCEPT", "cidrBlock": "0.0.0.0/0", "description": "ssh", "port": "22", "protocol": "TCP"}
    mutated = mutate(resources, "prod-sg-worker-rules", lambda p: p["ingresses"].insert(0, world_ssh))
    reports = []
    for r in mutated:
        args = pulumi_policy.ResourceValidationArgs(r.type, r.props, r.urn, r.name, None, None, {})
        policy.validate(args, lambda msg, urn=None: reports.append(msg))
    assert reports == ["prod-sg-worker-rules accepts TCP port 22 from 0.0.0.0/0 (rule 'ssh')"]


def test_a_bad_policy_config_is_reported_not_raised(pack, prod_baseline):
    resources, _ = prod_baseline
    reports = []
    args = pulumi_policy.StackValidationArgs(_policy_resources(resources), {"routeQuotaa": 5})
    _policy(pack, "kubecvm-network-route-quota").validate(args, lambda msg, urn=None: reports.append(msg))
    assert len(reports) == 1 and reports[0].startswith(
        "policy config: kubecvm-network-route-quota.routeQuotaa: unknown setting"
    )


def test_the_analyzer_describes_every_policy_with_its_config_schema(pack):
    """What `pulumi preview` asks first: GetAnalyzerInfo must serialize every policy and schema to protobuf."""
    servicer = pulumi_policy.policy._PolicyAnalyzerServicer(
        pack["name"],
        "0.0.1",
        pack["policies"],
        pack["enforcement_level"],
    )
    info = servicer.GetAnalyzerInfo(None, None)
    assert [p.name for p in info.policies] == sorted(RULES)
    quota = next(p for p in info.policies if p.name == "kubecvm-network-route-quota")
    assert set(quota.configSchema.properties) == {"routeQuota", "defaultRouteQuota", "exemptions"}
    assert quota.configSchema.properties["defaultRouteQuota"]["type"] == "integer"


def _two_cluster_stack(monkeypatch):
    """Two clusters in one program with no kubecvm stack config (the component-package case), as AnalyzeStack
    sends them: every resource with its parent, the Cluster components with the outputs they registered."""
    import kubecvm.components.cluster as cluster_module
    import tencentcloud_iac_pulumi as tc
    from kubecvm import Cluster, ClusterArgs
    from kubecvm.offline.runner import run_program

    registered: dict[str, object] = {}
    original = cluster_module.Cluster.register_outputs

    def capture(self, outputs):
        registered[self._name] = outputs[POLICY_FACTS]
        return original(self, outputs)

    monkeypatch.setattr(cluster_module.Cluster, "register_outputs", capture)

    def program():
        common = dict(preset="dev", region="ap-guangzhou", zones=["ap-guangzhou-3"], egress="none")
        pub = Cluster("pub", ClusterArgs(**common))  # kubeadm's images from a public registry: cannot boot without NAT
        own = Cluster(
            "own",
            ClusterArgs(
                **common,
                vpc_cidr="10.1.0.0/16",
                pod_cidr="172.20.0.0/14",
                kubernetes={"image_repository": "ccr.ccs.tencentyun.com/team"},
            ),
        )
        tc.cos.Bucket("user-bucket", bucket="user-bucket-1250000000")  # the user's own, in no cluster
        for c in (pub, own):
            assert (
                registered[c._name] is c.policy_facts
            )  # registered as an output, and the attribute the package returns
            pulumi.export(c._name, c.policy_facts)

    rec = run_program({}, stack="apps", program=program)
    by_urn = {}
    for r in rec.resources:
        props = {POLICY_FACTS: rec.outputs[r.name]} if r.type == CLUSTER_TYPE else r.inputs
        by_urn[r.urn] = pulumi_policy.PolicyResource(r.type, props, r.urn, r.name, None, None, None, [], {})
    for r in rec.resources:
        by_urn[r.urn].parent = by_urn.get(r.parent)
    return list(by_urn.values())


def test_a_stack_policy_judges_each_cluster_by_the_facts_it_registered(pack, monkeypatch):
    resources = _two_cluster_stack(monkeypatch)
    reports = []
    args = pulumi_policy.StackValidationArgs(resources, {})
    _run_with_stack_config(
        {},
        lambda: _policy(pack, "kubecvm-network-boot-egress").validate(args, lambda msg, urn=None: reports.append(msg)),
    )
    # Only "pub" needs a host outside the VPC; judged as one stack with no facts, both clusters' 6 nodes were.
    assert reports == [
        "3 nodes boot from user data but no route table has a NAT default route, so they cannot "
        "reach registry.aliyuncs.com and will not join the cluster"
    ]


def test_what_belongs_to_no_cluster_is_judged_with_a_cluster_not_alone(pack, monkeypatch):
    resources = _two_cluster_stack(monkeypatch)
    for rule in ("kubecvm-ha-api-load-balancer", "kubecvm-ha-master-count-odd"):
        reports = []
        args = pulumi_policy.StackValidationArgs(resources, {"allowSingleMaster": True} if "count" in rule else {})
        _run_with_stack_config(
            {}, lambda: _policy(pack, rule).validate(args, lambda msg, urn=None: reports.append(msg))
        )
        assert reports == [], rule  # each cluster has its CLB and its master; the bucket alone has neither
