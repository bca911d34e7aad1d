"""ARM instance families (Tencent's SR series) are refused naming the field: the nodes' boot is x86_64 only."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubecvm.offline import instance_types
from kubecvm.planning import SpecError, build_plan
from kubecvm.planning.tencent import cvm
from tests.conftest import make_spec

TYPES = sorted(t for family in instance_types.CATALOGUE for t in instance_types.types_of(family))
# Sizes that fit the prod preset's pools and masters, so only the architecture decides.
FITTING = [t for t in TYPES if (s := instance_types.shape(t)) and s[0] >= 4 and s[1] >= 16 and s[0] <= 64]


def test_the_sr_series_is_arm_and_every_other_documented_family_x86_64():
    arm = {instance_types.family_of(t) for t in TYPES if cvm.architecture(t) == cvm.ARM64}
    assert arm == {"SR1"}
    assert cvm.architecture("SR2.LARGE8") == cvm.ARM64  # a later generation of the series
    assert cvm.architecture("S5.LARGE8") == cvm.architecture("SA4.LARGE8") == cvm.X86_64


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(FITTING), st.integers(0, 2), st.booleans())
def test_fuzz_a_pool_or_the_masters_of_an_arm_type_are_refused_naming_the_field(instance_type, index, masters):
    pools = [{"name": f"p{i}", "slot": i + 1, "instanceType": "S5.2XLARGE16", "countPerZone": 1} for i in range(3)]
    overrides: dict = {"nodePools": pools}
    if masters:
        overrides["controlPlane"] = {"instanceType": instance_type}
        where = "controlPlane.instanceType"
    else:
        pools[index]["instanceType"] = instance_type
        where = f"nodePools[{index}].instanceType"
    spec = make_spec("prod", overrides)
    if cvm.architecture(instance_type) == cvm.X86_64:
        try:
            build_plan(spec)
        except SpecError as error:  # another check of the plan may refuse it, never the architecture
            assert "ARM" not in error.problem
        return
    with pytest.raises(SpecError) as error:
        build_plan(spec)
    assert error.value.field == where
    assert error.value.problem == (
        f"{instance_type} is an aarch64 (ARM) instance type, and kubecvm's nodes boot on x86_64 only (the boot's "
        "pinned Python packages and the node image are x86_64 builds): choose an x86_64 family, such as S5, SA3 or S6"
    )
