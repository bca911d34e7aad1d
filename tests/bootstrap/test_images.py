"""The image table (planning/images.py): every digest is the one stated for its tag, every image the add-ons and the
ingress controller run comes from the table, and a registry.k8s.io reference carries exactly the table's digest."""

from __future__ import annotations

import dataclasses
import re

import pytest

from kubecvm.planning import addons, build_plan, images
from kubecvm.planning.addons import ingress_nginx as nginx
from kubecvm.planning.mirrors import for_region
from tests.conftest import make_spec
from tests.loopback_tls import metrics_tls

# (path under registry.k8s.io, tag) -> digest, as read from the source each row cites (kubernetes/k8s.io's promoter
# manifests). Bumping a tag in planning/images.py without the digest read for the new tag fails here.
VERIFIED = {
    ("ingress-nginx/controller", "v1.12.1"): "sha256:d2fbc4ec70d8aa2050dd91a91506e998765e86c96f32cffb56c503c9c34eed5b",
    (
        "metrics-server/metrics-server",
        "v0.7.2",
    ): "sha256:ffcb2bf004d6aa0a17d90e0247cf94f2865c8901dcab4427034c341951c239f9",
    (
        "kube-state-metrics/kube-state-metrics",
        "v2.15.0",
    ): "sha256:db384bf43222b066c378e77027a675d4cd9911107adba46c2922b3a55e10d6fb",
}
# Docker Hub images pinned by the digest each stack gives (monitoring.prometheus.digests): none in the table.
STACK_DIGEST = {"prometheus", "node-exporter"}
# On their tag, and why (planning/images.py): no digest of Tencent's copies is stated anywhere kubecvm could read.
# A new image without a digest must be added here deliberately.
TAG_ONLY = {
    "cbs-csi",
    "csi-provisioner",
    "csi-attacher",
    "csi-resizer",
    "csi-node-driver-registrar",
    "cam-credentials",
    "csr-approver",
    "lb-controller",
}
REFERENCE = re.compile(r"^(?P<repo>[a-z0-9.\-/_]+):(?P<tag>[A-Za-z0-9._\-]+)(@(?P<digest>sha256:[0-9a-f]{64}))?$")
HERE, MAINLAND = "ap-singapore", "ap-guangzhou"


def unverified(table) -> list[str]:
    """Rows whose digest is not the one read for their (path, tag), or which carry none without being TAG_ONLY."""
    return [
        i.name
        for i in table
        if (
            VERIFIED.get((i.path, i.tag)) != i.digest
            if i.digest or (i.path, i.tag) in VERIFIED
            else i.name not in TAG_ONLY | STACK_DIGEST
        )
    ]


def test_every_digest_is_the_one_read_for_its_tag():
    assert unverified(images.TABLE) == []
    assert {(i.path, i.tag): i.digest for i in images.TABLE if i.digest} == VERIFIED  # each verified pin is used
    assert {i.name for i in images.TABLE if not i.digest} == TAG_ONLY | STACK_DIGEST
    assert all(i.registry == "k8s" for i in images.TABLE if i.digest) and all(i.source for i in images.TABLE)


def test_a_tag_moved_without_its_digest_is_caught():
    ms = images.BY_NAME["metrics-server"]
    assert unverified([dataclasses.replace(ms, tag="v0.8.0")]) == ["metrics-server"]  # the old digest, a new tag
    assert unverified([dataclasses.replace(ms, digest=None)]) == ["metrics-server"]  # the digest dropped
    with pytest.raises(AssertionError):
        images.Image("x", "k8s", "x/x", "v1", "sha256:abc", "nowhere")  # not a digest


def rendered(region: str) -> list[str]:
    """Every image reference the add-ons (all on) and the ingress controller run in `region`."""
    plan = build_plan(make_spec("prod"))
    s = dataclasses.replace(
        addons.settings_from_plan(plan), metrics_server=True, cbs_csi=True, registries=for_region(region)
    )
    ingress = dataclasses.replace(nginx.settings_from_plan(plan), image=nginx.controller_image(for_region(region)))
    p = addons.PrometheusObjects(
        cluster="demo", image=images.docker_reference("prometheus", "sha256:" + "1" * 64), url="u", token="t"
    )
    ksm = images.kube_state_metrics_reference(None if region == HERE else "ccr.ccs.tencentyun.com/team")
    monitoring = addons.monitoring_objects(
        p, images.docker_reference("node-exporter", "sha256:" + "2" * 64), ksm, "", ""
    )
    return addons.images(
        [
            *addons.objects(s, metrics_tls=metrics_tls()),
            *nginx.objects(ingress, ca_pem="c", cert_pem="c", key_pem="k", status_arg="--x"),
            *monitoring,
        ]
    )


@pytest.mark.parametrize("region", [HERE, MAINLAND])
def test_every_rendered_image_is_a_table_row_with_its_digest_where_it_applies(region):
    names = set()
    for ref in rendered(region):
        match = REFERENCE.fullmatch(ref)
        assert match, ref
        rows = [
            i
            for i in images.TABLE
            if match["tag"] == i.tag
            and match["repo"].endswith(("/" + i.path, "/" + (i.mirror_name or i.path.rsplit("/", 1)[-1])))
        ]
        assert rows, f"{ref}: not in planning/images.py"
        names |= {i.name for i in rows}
        if match["repo"].startswith("registry.k8s.io/"):
            # Straight from registry.k8s.io: always by the digest read for the tag.
            assert match["digest"] == VERIFIED[(rows[0].path, rows[0].tag)], ref
        elif match["repo"].startswith("docker.io/"):
            # Docker Hub: always by the stack's digest.
            assert match["digest"] and all(i.name in STACK_DIGEST for i in rows), ref
        else:
            # A mirror's or Tencent's copy: no digest kubecvm could verify (planning/images.py).
            assert match["digest"] is None and all(i.name in TAG_ONLY or i.registry == "k8s" for i in rows), ref
    assert names == set(images.BY_NAME)  # every row is used


def test_the_references_exactly():
    assert images.reference("metrics-server", for_region(HERE)) == (
        "registry.k8s.io/metrics-server/metrics-server:v0.7.2"
        "@sha256:ffcb2bf004d6aa0a17d90e0247cf94f2865c8901dcab4427034c341951c239f9"
    )
    assert images.reference("ingress-nginx-controller", for_region(HERE)) == (
        "registry.k8s.io/ingress-nginx/controller:v1.12.1"
        "@sha256:d2fbc4ec70d8aa2050dd91a91506e998765e86c96f32cffb56c503c9c34eed5b"
    )
    assert (
        images.reference("metrics-server", for_region(MAINLAND))
        == "registry.aliyuncs.com/google_containers/metrics-server:v0.7.2"
    )
    assert (
        images.reference("ingress-nginx-controller", for_region(MAINLAND))
        == "registry.aliyuncs.com/google_containers/nginx-ingress-controller:v1.12.1"
    )
    assert (
        images.reference("cbs-csi", for_region(HERE)) == "ccr.ccs.tencentyun.com/tkeimages/csi-tencentcloud-cbs:v2.3.0"
    )
    assert (
        addons.CBS_CSI_VERSION == "v2.3.0" and addons.METRICS_SERVER_VERSION == "v0.7.2" and nginx.VERSION == "1.12.1"
    )
