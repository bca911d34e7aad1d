"""planning/validation.py: Kubernetes and Tencent Cloud rules for values kubecvm passes on verbatim (tables)."""

from __future__ import annotations

import ipaddress

import pytest

from kubecvm.planning import plan as planning_plan, validation


@pytest.mark.parametrize(
    "key, ok",
    [
        ("team", True),
        ("example.com/team", True),
        ("a.b-c_d", True),
        ("x" * 63, True),
        ("x" * 64, False),
        ("Example.com/team", False),
        ("/team", False),
        ("team/", False),
        ("-team", False),
        ("a b", False),
        ("a=b", False),
        ("a,b", False),
        ("ex_ample.com/x", False),
        ("a" * 254 + "/x", False),
        ("team\n", False),
    ],
)
def test_qualified_names_follow_apimachinery(key, ok):
    assert (validation.qualified_name_problem(key) is None) is ok


@pytest.mark.parametrize(
    "value, ok",
    [
        ("", True),
        ("v1.2_3-x", True),
        ("x" * 63, True),
        ("x" * 64, False),
        ("a b", False),
        ("-a", False),
        ("a,b", False),
        ("a=b", False),
        ("v\n", False),
    ],
)
def test_label_values_follow_apimachinery(value, ok):
    assert (validation.label_value_problem(value) is None) is ok


@pytest.mark.parametrize(
    "key, ok",
    [
        ("topology.kubernetes.io/zone", True),
        ("node.kubernetes.io/role", True),
        ("x.kubelet.kubernetes.io/y", True),
        ("node-role.kubernetes.io/worker", False),
        ("kubernetes.io/role", False),
        ("foo.k8s.io/x", False),
        ("example.com/x", True),
    ],
)
def test_the_kubelet_may_set_only_its_own_kubernetes_io_labels(key, ok):
    assert (validation.kubelet_label_problem(key) is None) is ok


@pytest.mark.parametrize(
    "cidr, ok", [("10.96.0.0/12", True), ("10.0.0.0/11", False), ("192.168.0.0/28", True), ("192.168.0.0/29", False)]
)
def test_service_ranges_kube_apiserver_and_kubeadm_accept(cidr, ok):
    assert (validation.service_cidr_problem(ipaddress.IPv4Network(cidr)) is None) is ok


@pytest.mark.parametrize(
    "key, value, ok",
    [
        ("team", "platform", True),
        ("成本中心", "研发", True),
        ("a+b=c.d_e:f/g@h", "x y", True),
        ("qcloud:x", "", False),
        ("Tencent-x", "", False),
        ("project", "", False),
        ("", "v", False),
        ("k" * 127, "v" * 255, True),
        ("k" * 128, "", False),
        ("k", "v" * 256, False),
        ("k", "<b>", False),
        ("k\n", "", False),
    ],
)
def test_tencent_tag_rules(key, value, ok):
    assert (validation.tag_problem(key, value) is None) is ok


def test_kubecvm_counts_its_own_tags_against_the_limit():
    own = {v for k, v in vars(planning_plan).items() if k.startswith("TAG_") and isinstance(v, str)}
    assert len(own) == validation.KUBECVM_TAGS


@pytest.mark.parametrize(
    "pattern, ok",
    [
        ("^Ubuntu Server 22.04 LTS 64bit$", True),
        (r"^TencentOS\s+Server 3\.\d", True),
        (r"a\++", True),
        ("(", False),
        ("a(?=b)", False),
        ("a(?<!b)", False),
        (r"(a)\1", False),
        ("a*+", False),
        ("(?>a)", False),
        ("x" * 600, False),
    ],
)
def test_image_name_patterns_are_go_re2_syntax(pattern, ok):
    assert (validation.image_regex_problem(pattern) is None) is ok
