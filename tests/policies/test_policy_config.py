"""Policy config files: levels per stage, defaults merged in code, clear errors naming the key, rule metadata."""

from __future__ import annotations

import json
import re

import pytest

from kubecvm.policies.engine import PolicyConfigError, load_policy_config, normalize_config, policies
from kubecvm.policies.registry import RULES, SEVERITIES

GROUPS = {"size", "ha", "network", "security", "storage", "tagging", "monitoring"}


def test_rule_ids_and_metadata():
    ids = [p.id for p in policies()]
    assert len(ids) == len(set(ids)) == len(RULES) + 1
    for p in policies()[:-1]:
        assert re.fullmatch(r"kubecvm-[a-z]+-[a-z0-9-]+", p.id) and p.id.startswith(f"kubecvm-{p.group}-")
        assert p.group in GROUPS and p.severity in SEVERITIES
        assert p.description.endswith(".") and p.remediation
    assert {p.group for p in policies()[:-1]} == GROUPS


@pytest.mark.parametrize("level", ["dev", "staging", "prod"])
def test_shipped_files_are_valid_pulumi_policy_config(level):
    """The same file feeds `pulumi preview --policy-pack-config`: every value a level string or an object."""
    raw = json.loads(load_policy_config.__globals__["CONFIG_DIR"].joinpath(f"{level}.json").read_text())
    for key, value in raw.items():
        assert key == "all" or key in RULES
        assert isinstance(value, str | dict)
    loaded = load_policy_config(level)
    assert loaded == normalize_config(loaded)  # idempotent: the offline plan may normalize twice


WARNINGS = {"kubecvm-network-route-quota-headroom"}  # the 80% early warning is advice by design


def _levels(level: str, group: str) -> set[str]:
    cfg = load_policy_config(level)
    return {cfg[s.id]["enforcementLevel"] for s in RULES.values() if s.group == group and s.id not in WARNINGS}


def test_prod_is_mandatory_for_ha_size_network_and_critical_security():
    for group in ("ha", "size", "network"):
        assert _levels("prod", group) == {"mandatory"}
    cfg = load_policy_config("prod")
    critical = [s.id for s in RULES.values() if s.group == "security" and s.severity == "critical"]
    assert critical and {cfg[i]["enforcementLevel"] for i in critical} == {"mandatory"}
    assert {cfg[i]["enforcementLevel"] for i in WARNINGS} == {"advisory"}


def test_dev_is_advisory_for_ha_but_allows_one_master_only_by_setting():
    cfg = load_policy_config("dev")
    ha = {s.id for s in RULES.values() if s.group == "ha"} - {"kubecvm-ha-master-count-odd"}
    assert {cfg[i]["enforcementLevel"] for i in ha} == {"advisory"}
    assert cfg["kubecvm-ha-master-count-odd"] == {"enforcementLevel": "mandatory", "allowSingleMaster": True}
    assert load_policy_config("prod")["kubecvm-ha-master-count-odd"]["allowSingleMaster"] is False


def test_defaults_are_merged_in_code():
    cfg = normalize_config({})
    assert cfg["kubecvm-network-route-quota-headroom"] == {
        "enforcementLevel": "mandatory",
        "routeQuota": None,
        "defaultRouteQuota": 50,
        "warnRatio": 0.8,
    }
    assert cfg["kubecvm-security-open-ports"]["ports"] == ["22", "2379-2380", "10250", "10257", "10259", "ALL"]
    assert normalize_config({"all": "advisory"})["kubecvm-size-master-same-type"] == {"enforcementLevel": "advisory"}
    assert load_policy_config("prod")["kubecvm-size-etcd-disk"] == {
        "enforcementLevel": "mandatory",
        "etcdDiskMinGib": 100,
    }


def test_per_rule_exemptions_are_collected_with_their_policy():
    cfg = normalize_config(
        {
            "kubecvm-ha-zone-loss-quorum": {
                "enforcementLevel": "advisory",
                "exemptions": [{"resource": ".*", "reason": "two-zone region", "expires": "2030-01-31"}],
            }
        }
    )
    assert cfg["exemptions"] == [
        {
            "policy": "kubecvm-ha-zone-loss-quorum",
            "resource": ".*",
            "reason": "two-zone region",
            "expires": "2030-01-31",
        },
    ]
    assert "exemptions" not in cfg["kubecvm-ha-zone-loss-quorum"]


@pytest.mark.parametrize(
    ("config", "error"),
    [
        ({"kubecvm-ha-typo": "advisory"}, "kubecvm-ha-typo: not a kubecvm rule id"),
        ({"all": "strict"}, "all: 'strict' is not an enforcement level"),
        ({"kubecvm-size-etcd-disk": {"enforcementLevel": "loud"}}, "kubecvm-size-etcd-disk.enforcementLevel: 'loud'"),
        (
            {"kubecvm-size-etcd-disk": {"minGib": 5}},
            "kubecvm-size-etcd-disk.minGib: unknown setting (this rule takes: etcdDiskMinGib",
        ),
        ({"cluster": {"podCIDR": "x"}}, "cluster: expected a mapping with keys among podCidr"),
        (
            {"exemptions": [{"policy": "kubecvm-nope", "reason": "r", "expires": "2030-01-01"}]},
            "exemptions[0].policy: 'kubecvm-nope'",
        ),
        (
            {"exemptions": [{"policy": "kubecvm-size-etcd-disk", "expires": "2030-01-01"}]},
            "exemptions[0].reason: required",
        ),
        (
            {"exemptions": [{"policy": "kubecvm-size-etcd-disk", "reason": "r", "expires": "soon"}]},
            "exemptions[0].expires: 'soon' is not a date",
        ),
        (
            {
                "exemptions": [
                    {"policy": "kubecvm-size-etcd-disk", "reason": "r", "expires": "2030-01-01", "resource": "("}
                ]
            },
            "exemptions[0].resource: '(' is not a regular expression",
        ),
        (
            {"kubecvm-size-etcd-disk": {"exemptions": [{"reason": "r", "expires": "2030-01-01", "until": "x"}]}},
            "kubecvm-size-etcd-disk.exemptions[0].until: unknown key",
        ),
    ],
)
def test_config_mistakes_name_the_key(config, error):
    with pytest.raises(PolicyConfigError) as exc:
        normalize_config(config)
    assert error in str(exc.value)


def test_config_files_are_found_by_name_or_path(tmp_path):
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"all": "advisory", "kubecvm-size-etcd-disk": {"etcdDiskMinGib": 500}}))
    assert load_policy_config(str(path))["kubecvm-size-etcd-disk"] == {
        "enforcementLevel": "advisory",
        "etcdDiskMinGib": 500,
    }
    with pytest.raises(PolicyConfigError, match="no such policy config file"):
        load_policy_config(str(tmp_path / "missing.json"))
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(PolicyConfigError, match="bad.json: cannot read it as JSON"):
        load_policy_config(str(tmp_path / "bad.json"))
    (tmp_path / "typo.json").write_text('{"al": "advisory"}')
    with pytest.raises(PolicyConfigError, match="typo.json: al: not a kubecvm rule id"):
        load_policy_config(str(tmp_path / "typo.json"))
