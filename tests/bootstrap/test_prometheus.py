"""monitoring.prometheus: the agents', node-exporter's and kube-state-metrics' objects valid for every Kubernetes minor
kubecvm runs (1.28-1.32), the scrape targets on the ports the components listen on (upstream's constants and flags,
cited in planning/addons/scrape.py), the remote-write token only in a Secret, and the spec's errors by field."""

from __future__ import annotations

import pytest
import kubernetes_validate
import yaml

from kubecvm.planning import addons, build_plan
from kubecvm.planning.addons import scrape
from kubecvm.planning.monitoring import prometheus_plan
from kubecvm.stacks.config import ConfigError
from kubecvm.stacks.config import spec_from_config
from tests.conftest import make_spec

DIGESTS = {"prometheus": "sha256:" + "1" * 64, "nodeExporter": "sha256:" + "2" * 64}
TMP = {"mode": "tmp", "digests": DIGESTS, "imageRepository": "ccr.ccs.tencentyun.com/team"}
URL = "http://10.0.0.200:9090/api/v1/prom/write"
MINORS = ["1.28", "1.29", "1.30", "1.31", "1.32"]


def plan_of(prometheus: dict, **cluster):
    return build_plan(make_spec("prod", {"monitoring": {"prometheus": prometheus}, **cluster}))


def objects(pp, *, ingress: bool = True):
    p = addons.PrometheusObjects(
        cluster="demo",
        image=pp.images["prometheus"],
        url=URL,
        token="t0ken",
        auth=pp.auth,
        username=pp.username,
        ingress_namespace="ingress-nginx" if ingress else None,
    )
    return p, addons.monitoring_objects(
        p,
        pp.images["node-exporter"],
        pp.images["kube-state-metrics"],
        addons.agent_config(p, URL),
        addons.control_plane_config(p, URL),
    )


@pytest.mark.parametrize("minor", MINORS)
def test_every_object_validates_strictly(minor):
    _, objs = objects(prometheus_plan(plan_of(TMP)))
    assert len(objs) == 16
    for obj in objs:
        assert kubernetes_validate.validate(obj, minor, strict=True) == minor, addons.resource_name("x", obj)


def by(objs, kind, name):
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)


def test_the_agents_run_in_agent_mode_with_a_bounded_wal_and_limits():
    _, objs = objects(prometheus_plan(plan_of(TMP)))
    for kind, name in (("Deployment", "prometheus-agent"), ("DaemonSet", "prometheus-agent-control-plane")):
        pod = by(objs, kind, name)["spec"]["template"]["spec"]
        (c,) = pod["containers"]
        assert c["args"][:3] == [
            "--agent",
            "--config.file=/etc/prometheus/prometheus.yml",
            "--storage.agent.path=/prometheus",
        ]
        assert {"name": "wal", "emptyDir": {"sizeLimit": "2Gi"}} in pod["volumes"]
        assert c["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}}
        assert c["image"] == "docker.io/prom/prometheus:v3.1.0@sha256:" + "1" * 64
    cp = by(objs, "DaemonSet", "prometheus-agent-control-plane")["spec"]["template"]["spec"]
    assert cp["hostNetwork"] is True and cp["nodeSelector"] == {"node-role.kubernetes.io/control-plane": ""}
    assert cp["containers"][0]["args"][3:] == [
        "--web.listen-address=127.0.0.1:9091",
        "--enable-feature=expand-external-labels",
    ]


def _job_ports(config: str) -> dict[str, int | None]:
    """job -> the port of its static targets (None for discovered ones)."""
    jobs = yaml.safe_load(config)["scrape_configs"]
    return {
        j["job_name"]: (int(j["static_configs"][0]["targets"][0].rsplit(":", 1)[1]) if "static_configs" in j else None)
        for j in jobs
    }


def test_the_scrape_targets_are_the_ports_the_components_listen_on():
    p, objs = objects(prometheus_plan(plan_of(TMP)))
    # Loopback listeners of kubeadm's static pods: kubeadm's constants (scrape.py cites them).
    assert _job_ports(addons.control_plane_config(p, URL)) == {
        "etcd": 2381,
        "kube-scheduler": 10259,
        "kube-controller-manager": 10257,
    }
    assert set(_job_ports(addons.agent_config(p, URL))) == {
        "kube-apiserver",
        "kubelet",
        "cadvisor",
        "node-exporter",
        "kube-state-metrics",
        "coredns",
        "ingress-nginx",
    }
    # Discovered targets: the objects listen where the Services and the jobs say.
    ne = by(objs, "DaemonSet", "node-exporter")["spec"]["template"]["spec"]["containers"][0]
    assert (
        "--web.listen-address=:9100" in ne["args"]
        and ne["ports"][0]["containerPort"] == scrape.TARGET_PORTS["node-exporter"]
    )
    assert by(objs, "Service", "node-exporter")["spec"]["ports"][0] == {
        "name": "metrics",
        "port": 9100,
        "targetPort": 9100,
        "protocol": "TCP",
    }
    ksm = by(objs, "Deployment", "kube-state-metrics")["spec"]["template"]["spec"]["containers"][0]
    assert ksm["args"] == ["--port=8080", "--telemetry-port=8081"]
    assert scrape.TARGET_PORTS == {
        "kube-apiserver": 6443,
        "kubelet": 10250,
        "cadvisor": 10250,
        "kube-scheduler": 10259,
        "kube-controller-manager": 10257,
        "etcd": 2381,
        "coredns": 9153,
        "node-exporter": 9100,
        "kube-state-metrics": 8080,
        "ingress-nginx": 10254,
    }
    kubelet = next(
        j for j in yaml.safe_load(addons.agent_config(p, URL))["scrape_configs"] if j["job_name"] == "kubelet"
    )
    assert kubelet["tls_config"] == {"ca_file": "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"}  # verified


def test_the_token_is_only_in_the_secret_and_read_from_a_file():
    p, objs = objects(prometheus_plan(plan_of(TMP)))
    text = yaml.safe_dump(objs)
    assert text.count("t0ken") == 1 and by(objs, "Secret", "prometheus-remote-write")["stringData"] == {
        "token": "t0ken"
    }
    assert yaml.safe_load(addons.agent_config(p, URL))["remote_write"] == [
        {"url": URL, "authorization": {"type": "Bearer", "credentials_file": "/etc/prometheus/remote-write/token"}}
    ]
    basic = prometheus_plan(plan_of({**TMP, "auth": "basic", "username": "1250000000"}))
    pb, _ = objects(basic)
    assert yaml.safe_load(addons.agent_config(pb, URL))["remote_write"][0]["basic_auth"] == {
        "username": "1250000000",
        "password_file": "/etc/prometheus/remote-write/token",
    }


def test_without_the_ingress_there_is_no_ingress_job():
    p, _ = objects(prometheus_plan(plan_of(TMP)), ingress=False)
    assert "ingress-nginx" not in _job_ports(addons.agent_config(p, URL))


def test_minimal_rbac():
    _, objs = objects(prometheus_plan(plan_of(TMP)))
    agent = by(objs, "ClusterRole", "prometheus-agent")["rules"]
    assert all(set(r["verbs"]) <= {"get", "list", "watch"} for r in agent)
    ksm = by(objs, "ClusterRole", "kube-state-metrics")["rules"]
    assert all(r["verbs"] == ["list", "watch"] for r in ksm)
    assert by(objs, "ServiceAccount", "node-exporter")["automountServiceAccountToken"] is False


def test_images_per_region():
    outside = spec_from_config(
        preset="prod",
        region="ap-singapore",
        stack="test",
        overrides={
            "name": "demo",
            "zones": ["ap-singapore-1", "ap-singapore-2", "ap-singapore-3"],
            "monitoring": {"prometheus": {"mode": "tmp", "digests": DIGESTS}},
        },
    )
    assert prometheus_plan(build_plan(outside)).images == {
        "prometheus": "docker.io/prom/prometheus:v3.1.0@sha256:" + "1" * 64,
        "node-exporter": "docker.io/prom/node-exporter:v1.8.2@sha256:" + "2" * 64,
        "kube-state-metrics": "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.15.0"
        "@sha256:db384bf43222b066c378e77027a675d4cd9911107adba46c2922b3a55e10d6fb",
    }
    assert (
        prometheus_plan(plan_of(TMP)).images["kube-state-metrics"]
        == "ccr.ccs.tencentyun.com/team/kube-state-metrics:v2.15.0"
    )


PREFIX = "invalid kubecvm:cluster for stack 'test' (preset prod): monitoring.prometheus."


@pytest.mark.parametrize(
    "prometheus, message",
    [
        (
            {"mode": "tmp", "imageRepository": "ccr.ccs.tencentyun.com/t"},
            "digests: required: {prometheus: sha256:..., nodeExporter: sha256:...}, the digests of "
            "docker.io/prom/prometheus:v3.1.0 and docker.io/prom/node-exporter:v1.8.2 (kubecvm pins images by digest and "
            "cannot read these offline)",
        ),
        (
            {"mode": "tmp", "digests": DIGESTS},
            "imageRepository: required in ap-guangzhou: kube-state-metrics is published "
            "on registry.k8s.io only, which a mainland VPC does not reach; copy registry.k8s.io/kube-state-metrics/"
            "kube-state-metrics:v2.15.0 to your registry (e.g. ccr.ccs.tencentyun.com/<ns>) and give its prefix",
        ),
        ({**TMP, "mode": "remoteWrite"}, "url: required with mode remoteWrite: the https URL the agents write to"),
        (
            {**TMP, "url": "https://prom.example.com/api/v1/write"},
            "url: only with mode remoteWrite (mode tmp writes to the TMP instance's address)",
        ),
        ({**TMP, "auth": "basic"}, "username: required with auth basic, and only with it"),
        (
            {"instanceId": "prom-abcd1234"},
            "instanceId: only with a mode: set monitoring.prometheus.mode to tmp or remoteWrite",
        ),
        (
            {**TMP, "retentionDays": 20},
            "retentionDays: 20 is not a TMP retention (days): expected one of 15, 30, 45, 90, 180, 365, 730",
        ),
        (
            {**TMP, "digests": {**DIGESTS, "prometheus": "latest"}},
            "digests.prometheus: 'latest' is not an image digest: expected sha256:<64 lower-case hex digits>",
        ),
        (
            {**TMP, "url": "http://prom.example.com/write", "mode": "remoteWrite"},
            "url: 'http://prom.example.com/write' does not match ^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\\s'\\\"]*)?$",
        ),
    ],
)
def test_a_bad_setting_is_refused_naming_its_field(prometheus, message):
    with pytest.raises(ConfigError) as err:
        make_spec("prod", {"monitoring": {"prometheus": prometheus}})
    assert str(err.value) == PREFIX + message
