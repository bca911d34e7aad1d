"""The kubecvm CrossGuard pack. It only builds the PolicyPack; the rules live in policies/rules/.

    pulumi preview --policy-pack policies --policy-pack-config policies/config/prod.json

Each rule becomes one policy of the same id: a ResourceValidationPolicy when it judges resources one at a time,
else a StackValidationPolicy. Both turn what the engine sends into policies.registry.Resource and call the
same rule function the offline plan calls, with the policy's config merged over the rule's defaults.
PolicyPack(...) starts a gRPC server and never returns: never import this module (tests run it with a stub).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# The pack runs with policies/ as its working directory; kubecvm is installed into its virtualenv
# (policies/requirements.txt).
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from kubecvm.planning.plan import POLICY_FACTS
from kubecvm.policies.engine import (
    CLUSTER_TYPE,
    EXPIRED,
    PolicyConfigError,
    cluster_groups,
    cluster_settings,
    evaluate,
    merged,
)
from kubecvm.policies.registry import RULES, Resource, RuleSpec
from kubecvm.policies.schema import rule_schema


def _schema(spec: RuleSpec) -> PolicyConfigSchema:
    """The rule's settings schema (policies/schema.py, the one the offline engine validates), types and bounds,
    no defaults: defaults are merged in code so the CLI and the offline plan agree. Only `properties` travel to
    the CLI (see policies/schema.py); the pack's own engine refuses unknown settings."""
    return PolicyConfigSchema(properties=rule_schema(spec)["properties"])


def _stack_cluster() -> dict:
    """The stack's own cluster settings (pod/service CIDRs, max pods...) from its kubecvm config, or {}.

    The CLI hands the stack's config to the pack; when it is absent or invalid (the program reports that
    itself), the rules that need these facts skip rather than guess.
    """
    try:
        import pulumi

        from kubecvm.stacks.config import spec_from_config

        kubecvm = pulumi.Config("kubecvm")
        spec = spec_from_config(
            preset=kubecvm.get("preset"),
            overrides=kubecvm.get_object("cluster"),
            region=pulumi.Config("tencentcloud").get("region"),
            stack=os.environ.get("PULUMI_STACK", "stack"),
        )
        return cluster_settings(spec)
    except Exception:  # noqa: BLE001  (any failure here means "facts unknown": the rules degrade, never crash)
        return {}


def _by_cluster(resources: list) -> list[tuple[list[Resource], dict]]:
    """The stack's resources split per kubecvm Cluster component, each with the facts that cluster registered as
    its POLICY_FACTS output (components/cluster.py): AnalyzeStack sees every resource's outputs, components
    included (pulumi/pulumi pkg/resource/deploy/step_generator.go AnalyzeResources). A cluster without them (an
    older kubecvm) and what belongs to no cluster get the stack's own config facts."""
    stack = _stack_cluster()
    facts = {r.name: r.props.get(POLICY_FACTS) for r in resources if r.resource_type == CLUSTER_TYPE}
    groups = cluster_groups(
        resources,
        lambda r: r.urn,
        lambda r: r.resource_type,
        lambda r: r.name,
        lambda r: r.parent.urn if r.parent is not None else None,
    )
    return [
        ([_resource(r) for r in group], dict(facts[name]) if isinstance(facts.get(name), Mapping) else stack)
        for name, group in groups
    ]


def _resource(r) -> Resource:
    return Resource(
        r.urn, r.resource_type, r.name, r.props, tuple(d.urn for d in getattr(r, "dependencies", None) or ())
    )


def _report(
    spec: RuleSpec, groups: list[tuple[list[Resource], dict]], args, report: ReportViolation, *, stack: bool
) -> None:
    try:
        config = dict(args.get_config() or {})
        evaluation = merged(
            [evaluate(resources, {spec.id: config, "cluster": facts}, only=spec.id) for resources, facts in groups]
        )
    except PolicyConfigError as exc:
        report(f"policy config: {exc}", None)
        return
    # CrossGuard gives a policy only its own config, so an expired exemption is reported by the policy it
    # exempted (at that policy's level); per-resource policies simply stop honouring it.
    violations = [v for v in evaluation.violations if stack or v.policy != EXPIRED]
    for v in violations:
        report(v.message, v.urn)
    if evaluation.waivers and not violations:
        # Everything found was exempted: CrossGuard shows the policy as not applicable, with the reason.
        args.not_applicable(
            "; ".join(dict.fromkeys(f"exempted until {w.expires}: {w.reason}" for w in evaluation.waivers))
        )


def _described(spec: RuleSpec) -> dict:
    """What CrossGuard shows of a rule, whichever kind of policy runs it."""
    return {
        "name": spec.id,
        "description": spec.description,
        "config_schema": _schema(spec),
        "severity": Severity(spec.severity),
        "tags": [spec.group],
        "remediation_steps": spec.remediation,
    }


def _stack_policy(spec: RuleSpec) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        _report(spec, _by_cluster(list(args.resources)), args, report, stack=True)

    return StackValidationPolicy(validate=validate, **_described(spec))


def _resource_policy(spec: RuleSpec) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        resource = Resource(args.urn, args.resource_type, args.name, args.props)
        if spec.in_scope(resource):
            _report(spec, [([resource], _stack_cluster())], args, report, stack=False)

    return ResourceValidationPolicy(validate=validate, **_described(spec))


PolicyPack(
    name="kubecvm",
    policies=[
        (_resource_policy if s.per_resource else _stack_policy)(s) for s in sorted(RULES.values(), key=lambda s: s.id)
    ],
    enforcement_level=EnforcementLevel.MANDATORY,
    description="kubecvm: size, HA, network, security, storage, tagging and monitoring rules for self-managed Kubernetes on CVMs",
)
