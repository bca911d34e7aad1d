"""`kubecvm plan` with values Tencent refuses or kubecvm's nodes cannot serve: exit 2, one line naming the field, no
traceback, before the program registers anything."""

from __future__ import annotations

import pytest
from cli_helpers import kubecvm, stack_file

ZONES = ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"]
SOURCES = [f"203.0.{i // 256}.{i % 256}/32" for i in range(150)]


@pytest.mark.parametrize(
    ("cluster", "named"),
    [
        (
            {"ingress": {"enabled": True, "allowedCidrs": SOURCES}},
            "ingress.allowedCidrs: 150 entries give the worker security group 162 ingress rules",
        ),
        (
            {"sshAllowedCidrs": ["198.51.100.0/24", "192.0.2.0/24", "198.51.100.0/24"]},
            "sshAllowedCidrs: 198.51.100.0/24 is listed twice (entries 0 and 2)",
        ),
        (
            {"apiEndpoint": {"allowedCidrs": ["100.64.0.0/10"]}},
            "apiEndpoint.allowedCidrs: 100.64.0.0/10 makes the ingress rule ACCEPT TCP 6443 from 100.64.0.0/10 twice",
        ),
        (
            {"nodePools": [{"name": "arm", "instanceType": "SR1.2XLARGE16", "countPerZone": 1}]},
            "nodePools[0].instanceType: SR1.2XLARGE16 is an aarch64 (ARM) instance type",
        ),
    ],
)
def test_values_tencent_refuses_or_the_boot_cannot_serve_exit_2_naming_the_field(tmp_path, cluster, named):
    path = stack_file(tmp_path, "limits", {"zones": ZONES, **cluster}, preset="staging")
    run = kubecvm("plan", "--config-file", path, "--format", "json")
    assert run.exit_code == 2, run.stdout[-500:]
    assert run.stdout == "" and run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert f"kubecvm:cluster for stack 'limits' (preset staging): {named}" in run.stderr
