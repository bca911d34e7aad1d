"""`kubecvm plan --policy-config FILE` with a file that says something twice or exempts a rule it does not run:
exit 2, one line naming the key, before the program runs."""

from __future__ import annotations

import pytest
from cli_helpers import kubecvm

RULE = "kubecvm-network-route-quota"
EXEMPTION = '{"resource": ".*", "reason": "quota raise pending", "expires": "2099-12-31"}'


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('{"all": "mandatory", "all": "disabled"}', "all: given twice in one object"),
        (
            f'{{"{RULE}": {{"exemptions": [{{"resource": ".*", "resource": "x", "reason": "r", "expires": "2099-01-01"}}]}}}}',
            f"{RULE}.exemptions[0].resource: given twice in one object",
        ),
        (
            f'{{"all": "disabled", "{RULE}": {{"exemptions": [{EXEMPTION}]}}}}',
            f"{RULE}.exemptions[0]: exempts {RULE}, which this config disables",
        ),
        (
            f'{{"{RULE}": {{"enforcementLevel": "disabled", "exemptions": [{EXEMPTION}]}}}}',
            f"{RULE}.exemptions[0]: exempts {RULE}, which this config disables",
        ),
        (f'{{"kubecvm-no-such-rule": {{"exemptions": [{EXEMPTION}]}}}}', "kubecvm-no-such-rule: not a kubecvm rule id"),
    ],
)
def test_a_policy_config_that_says_a_key_twice_or_exempts_a_rule_it_does_not_run_exits_2(
    fake_engine, tmp_path, text, named
):
    path = tmp_path / "policy.json"
    path.write_text(text)
    run = kubecvm("plan", "dev", "--policy-config", path)
    assert run.exit_code == 2, run.stdout
    assert run.stderr.count("\n") == 1 and named in run.stderr and "Traceback" not in run.stderr
    assert fake_engine.calls == []  # refused before the program ran
