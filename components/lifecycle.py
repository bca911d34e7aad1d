"""Applies planning.lifecycle to every Tencent resource a kubecvm component registers (its one use of the table).

A transformation on each component, so the children of a component used on its own (tests/reuse_program) get the
same options as those of a whole Cluster, and no resource call site can forget one.
"""

from __future__ import annotations

import pulumi

from kubecvm.planning.lifecycle import delete_before_replace


def _apply(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    if not delete_before_replace(args.type_) or args.opts.delete_before_replace is not None:
        return None
    return pulumi.ResourceTransformationResult(
        args.props, pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions(delete_before_replace=True))
    )


def with_lifecycle(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """A component's options plus the transformation that sets each child's replacement order."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transformations=[_apply]))
