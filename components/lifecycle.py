"""Applies planning.lifecycle to every Tencent resource a kubecvm component registers (its one use of the table).

A transformation on each component, so the children of a component used on its own (tests/reuse_program) get the
same options as those of a whole Cluster, and no resource call site can forget one.
"""

from __future__ import annotations

import copy

import pulumi

from kubecvm.planning.lifecycle import delete_before_replace


def _apply(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    if not delete_before_replace(args.type_) or args.opts.delete_before_replace is not None:
        return None
    # A copy of the options with that one set: what ResourceOptions.merge with it gives, without merge's copies and
    # normalized lists (a tenth of a second per 1000 nodes: every CVM and pod route). A shallow copy, as
    # ResourceOptions._copy makes and Resource.__init__ makes again of what a transformation returns
    # (pulumi/resource.py), which reads the lists in any form merge accepts.
    opts = copy.copy(args.opts)
    opts.delete_before_replace = True
    return pulumi.ResourceTransformationResult(args.props, opts)


def with_lifecycle(opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """A component's options plus the transformation that sets each child's replacement order."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transformations=[_apply]))
