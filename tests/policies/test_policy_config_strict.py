"""Policy configs say one thing once: a key given twice in one object, at any depth, and an exemption of a rule the
config does not run are refused naming where, never read as the last value or silently unused."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubecvm.policies.engine import PolicyConfigError, load_policy_config, normalize_config
from kubecvm.policies.registry import RULES
from kubecvm.stacks.reading import DuplicateKey, json_without_duplicates

RULE_IDS = sorted(RULES)
EXEMPTION = {"resource": ".*", "reason": "accepted for the test", "expires": "2099-12-31"}


def _load(tmp_path, text: str) -> dict:
    path = tmp_path / "policy.json"
    path.write_text(text)
    return load_policy_config(str(path))


def test_all_given_twice_is_refused_not_read_as_disabled(tmp_path):
    with pytest.raises(PolicyConfigError) as error:
        _load(tmp_path, '{"all": "mandatory", "all": "disabled"}')
    assert str(error.value) == (
        f"{tmp_path / 'policy.json'}: all: given twice in one object; a JSON reader keeps "
        "only the last without a word, so say it once"
    )


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (
            '{"kubecvm-size-etcd-disk": {"etcdDiskMinGib": 20, "etcdDiskMinGib": 200}}',
            "kubecvm-size-etcd-disk.etcdDiskMinGib",
        ),
        ('{"kubecvm-size-etcd-disk": "advisory", "kubecvm-size-etcd-disk": "disabled"}', "kubecvm-size-etcd-disk"),
        (
            '{"kubecvm-network-route-quota": {"exemptions": [{"resource": ".*", "reason": "a", "reason": "b", '
            '"expires": "2099-01-01"}]}}',
            "kubecvm-network-route-quota.exemptions[0].reason",
        ),
        ('{"cluster": {"podCidr": "10.0.0.0/8", "podCidr": "172.16.0.0/12"}}', "cluster.podCidr"),
    ],
)
def test_a_key_given_twice_at_any_depth_is_named_with_its_path(tmp_path, text, path):
    with pytest.raises(PolicyConfigError, match=rf": {re.escape(path)}: given twice in one object"):
        _load(tmp_path, text)


# --- fuzz: any JSON document, one object of it given one of its keys twice ----------------------------------------
KEYS = st.text(alphabet="abcxyz.[]-_ ", min_size=1, max_size=4)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=12,
)


def _objects(doc, path=""):
    """Every object of the document with its path, in document order."""
    if isinstance(doc, dict):
        yield doc, path
        for k, v in doc.items():
            yield from _objects(v, f"{path}.{k}" if path else k)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _objects(v, f"{path}[{i}]")


def _dump(doc, twice) -> str:
    """JSON text of doc where the object `twice` (by identity) gives its first key a second time."""
    if isinstance(doc, dict):
        items = [f"{json.dumps(k)}: {_dump(v, twice)}" for k, v in doc.items()]
        if doc is twice:
            k, v = next(iter(doc.items()))
            items.append(f"{json.dumps(k)}: {_dump(v, twice)}")
        return "{" + ", ".join(items) + "}"
    if isinstance(doc, list):
        return "[" + ", ".join(_dump(v, twice) for v in doc) + "]"
    return json.dumps(doc)


@settings(max_examples=300, deadline=None)
@given(JSON, st.data())
def test_fuzz_any_duplicate_is_found_at_its_path_and_anything_else_parses_as_json_does(doc, data):
    text = json.dumps(doc)
    assert json_without_duplicates(text) == json.loads(text)
    objects = [(o, p) for o, p in _objects(doc) if o]
    if not objects:
        return
    obj, path = data.draw(st.sampled_from(objects))
    key = next(iter(obj))
    # The first duplicate in document order is reported; it is the drawn one when no earlier object has one.
    with pytest.raises(DuplicateKey) as error:
        json_without_duplicates(_dump(doc, obj))
    assert error.value.path == (f"{path}.{key}" if path else key)


# --- exemptions of rules the config does not run ------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.sampled_from(RULE_IDS), st.sampled_from(["per-rule level", "all", "top-level list"]))
def test_fuzz_an_exemption_of_a_disabled_rule_is_refused_naming_it(rule, how):
    if how == "per-rule level":
        config, where = {rule: {"enforcementLevel": "disabled", "exemptions": [EXEMPTION]}}, f"{rule}.exemptions[0]"
    elif how == "all":
        config, where = {"all": "disabled", rule: {"exemptions": [EXEMPTION]}}, f"{rule}.exemptions[0]"
    else:
        config, where = {rule: "disabled", "exemptions": [EXEMPTION | {"policy": rule}]}, "exemptions[0]"
    with pytest.raises(PolicyConfigError) as error:
        normalize_config(config)
    assert str(error.value) == (
        f"{where}: exempts {rule}, which this config disables; an exemption of a rule that "
        "does not run is never used: remove it, or enable the rule"
    )
    # The same exemption of the rule at any level that runs is taken.
    for level in ("mandatory", "advisory", "remediate"):
        enabled = json.loads(json.dumps(config).replace('"disabled"', f'"{level}"'))
        assert normalize_config(enabled)["exemptions"] == [EXEMPTION | {"policy": rule}]


def test_an_exemption_of_a_rule_that_does_not_exist_is_refused_naming_it():
    with pytest.raises(PolicyConfigError, match=r"^exemptions\[0\].policy: 'kubecvm-no-such-rule' is not a kubecvm "):
        normalize_config({"exemptions": [EXEMPTION | {"policy": "kubecvm-no-such-rule"}]})
