"""Monitoring: Cloud Monitor alarms (planning/monitoring.py) and the Prometheus agents
(planning/addons/prometheus.py)."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

from pydantic import AfterValidator, Field, field_validator

from .. import images, mirrors
from ..tencent import monitor
from .base import LAX, Int, Model, SpecError, about, shown
from .kubernetes import _image_prefix, _url_host

if TYPE_CHECKING:
    from .cluster import ClusterSpec


# Cloud Monitor's threshold-rule settings (tencentcloud-sdk-python-monitor v20180724 models.py AlarmPolicyRule; the
# facts are planning/tencent/monitor.py's).
def _one_of(allowed: tuple[int, ...], what: str):
    def check(v: int) -> int:
        if v not in allowed:
            raise ValueError(f"{v} is not {what}: expected one of {', '.join(map(str, allowed))}")
        return v

    return AfterValidator(check)


class Alarms(Model):
    """Cloud Monitor alarm policies for the nodes and the CLBs, bound by the cluster's tag. Off unless asked: the
    staging and prod presets ask (stacks/presets.py)."""

    model_config = about("Cloud Monitor alarm policies for the nodes and the CLBs, bound by the cluster's tag.")

    enabled: bool = Field(False, description="Cloud Monitor alarm policies for the nodes and the CLBs.")
    cpu_percent: Int = Field(90, ge=1, le=100, description="Node CPU use, in percent, that alarms.")
    memory_percent: Int = Field(90, ge=1, le=100, description="Node memory use, in percent, that alarms.")
    disk_percent: Int = Field(85, ge=1, le=100, description="Node disk use, in percent, that alarms.")
    # A CLB alarms when more than this many backends fail its health checks, or it drops more connections.
    unhealthy_backends: Int = Field(
        0, ge=0, le=10_000, description=("A CLB alarms when more backends than this fail its health checks.")
    )
    dropped_connections: Int = Field(
        0, ge=0, le=10_000_000, description=("A CLB alarms when it drops more connections than this in a period.")
    )
    period: Annotated[Int, _one_of(monitor.PERIODS, "a period (seconds) every watched metric is sampled at")] = Field(
        60, description=f"Seconds every watched metric is sampled at: {', '.join(map(str, monitor.PERIODS))}."
    )
    # How many periods in a row a threshold must be crossed (the rule's ContinuePeriod).
    continue_periods: Int = Field(3, ge=1, le=30, description="Periods in a row a threshold must be crossed.")
    # Seconds between repeated notifications while the alarm holds (NoticeFrequency; 0: once).
    notice_frequency: Annotated[Int, _one_of(monitor.NOTICE_FREQUENCIES, "a notice frequency Cloud Monitor takes")] = (
        Field(
            3600,
            description="Seconds between repeated notifications while the alarm holds (0: once): "
            f"{', '.join(map(str, monitor.NOTICE_FREQUENCIES))}.",
        )
    )


class PrometheusMode(str, Enum):
    tmp = "tmp"  # Tencent's managed Prometheus (TMP): a new instance in the cluster's VPC, or instanceId's
    remoteWrite = "remoteWrite"  # any Prometheus remote-write endpoint (url)


class RemoteWriteAuth(str, Enum):
    bearer = "bearer"  # Authorization: Bearer <token>
    basic = "basic"  # basic auth: username, and the token as the password


def _digest(value: str) -> str:
    if not images.DIGEST.fullmatch(value):
        raise ValueError(f"{value!r} is not an image digest: expected sha256:<64 lower-case hex digits>")
    return value


Digest = Annotated[str, AfterValidator(_digest)]


class PrometheusDigests(Model):
    """The digests of the docker.io images the agents run, for the tags planning/images.py names: kubecvm has no
    source it can verify them with offline, so it pins what the user read from the registry (`crane digest
    docker.io/prom/prometheus:<tag>`) rather than a tag anyone can move (docs/monitoring.md)."""

    model_config = about(
        "The digests of the docker.io images the Prometheus agents run, read from the registry "
        "(`crane digest docker.io/prom/prometheus:<tag>`): kubecvm pins them rather than a tag."
    )

    prometheus: Digest = Field(description="sha256:... of docker.io/prom/prometheus at kubecvm's tag.")
    node_exporter: Digest = Field(description="sha256:... of docker.io/prom/node-exporter at kubecvm's tag.")


class Prometheus(Model):
    """Prometheus in agent mode writing to a remote store (planning/addons/prometheus.py). Off unless `mode` is set.
    The token the store is written with is a Pulumi secret: `pulumi config set --secret kubecvm:prometheusToken`."""

    model_config = about(
        "Prometheus in agent mode writing to a remote store; the token it writes with is the "
        "secret config kubecvm:prometheusToken (`pulumi config set --secret`)."
    )

    mode: Annotated[PrometheusMode, LAX] | None = Field(
        None,
        description=(
            "tmp: Tencent's managed Prometheus (a new instance in the cluster's VPC, or instanceId's); remoteWrite: any "
            "Prometheus remote-write endpoint (url)."
        ),
        json_schema_extra=shown("none: no Prometheus"),
    )
    # tmp: an existing instance (prom-xxxxxxxx) to write to; None: kubecvm creates one in the cluster's VPC.
    instance_id: Annotated[str, Field(pattern=r"^prom-[a-z0-9]{8}$")] | None = Field(
        None,
        description=("mode tmp: an existing instance (prom-xxxxxxxx) to write to."),
        json_schema_extra=shown("a new instance in the cluster's VPC"),
    )
    # tmp with a new instance: how long it keeps the data (tencentcloud_monitor_tmp_instance data_retention_time).
    retention_days: Annotated[Int, _one_of(monitor.TMP_RETENTION_DAYS, "a TMP retention (days)")] = Field(
        15, description=(f"A new TMP instance's retention in days: {', '.join(map(str, monitor.TMP_RETENTION_DAYS))}.")
    )
    # remoteWrite: where the agents write (https).
    url: (
        Annotated[str, Field(pattern=r"^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[^\s'\"]*)?$"), AfterValidator(_url_host)]
        | None
    ) = Field(None, description="mode remoteWrite: the https URL the agents write to.")
    auth: Annotated[RemoteWriteAuth, LAX] = Field(
        RemoteWriteAuth.bearer,
        description=(
            "How the agents authenticate: bearer (Authorization: Bearer <token>) or basic (username, the token as the "
            "password)."
        ),
    )
    username: Annotated[str, Field(min_length=1, max_length=256)] | None = Field(
        None, description=("The basic-auth user name: with auth basic, and only with it.")
    )
    digests: PrometheusDigests | None = Field(None, description="The agents' image digests: required with a mode.")
    # A registry prefix holding a copy of kube-state-metrics (<prefix>/kube-state-metrics:<tag>): required in
    # mainland regions, where registry.k8s.io is out of reach; elsewhere None pulls registry.k8s.io's, by digest.
    image_repository: Annotated[str, _image_prefix(len("kube-state-metrics"))] | None = Field(
        None,
        description=(
            "A registry prefix holding a copy of kube-state-metrics: required in mainland regions, where "
            "registry.k8s.io is out of reach."
        ),
        json_schema_extra=shown("registry.k8s.io, by digest"),
    )


def _check_prometheus(spec: "ClusterSpec") -> None:
    p = spec.monitoring.prometheus
    where = "monitoring.prometheus"
    if p.mode is None:
        given = [
            k
            for k, v in (
                ("instanceId", p.instance_id),
                ("url", p.url),
                ("username", p.username),
                ("digests", p.digests),
                ("imageRepository", p.image_repository),
            )
            if v is not None
        ]
        if given:
            raise SpecError(
                f"{where}.{given[0]}", "only with a mode: set monitoring.prometheus.mode to tmp or remoteWrite"
            )
        return
    if p.digests is None:
        raise SpecError(
            f"{where}.digests",
            "required: {prometheus: sha256:..., nodeExporter: sha256:...}, the digests of "
            f"docker.io/{images.BY_NAME['prometheus'].path}:{images.BY_NAME['prometheus'].tag} and "
            f"docker.io/{images.BY_NAME['node-exporter'].path}:{images.BY_NAME['node-exporter'].tag} "
            "(kubecvm pins images by digest and cannot read these offline)",
        )
    if p.mode is PrometheusMode.remoteWrite:
        if p.url is None:
            raise SpecError(f"{where}.url", "required with mode remoteWrite: the https URL the agents write to")
        if p.instance_id is not None:
            raise SpecError(f"{where}.instanceId", "only with mode tmp (mode remoteWrite writes to url)")
    elif p.url is not None:
        raise SpecError(f"{where}.url", "only with mode remoteWrite (mode tmp writes to the TMP instance's address)")
    if (p.auth is RemoteWriteAuth.basic) != (p.username is not None):
        raise SpecError(f"{where}.username", "required with auth basic, and only with it")
    if p.image_repository is None and spec.region in mirrors.MAINLAND:
        raise SpecError(
            f"{where}.imageRepository",
            f"required in {spec.region}: kube-state-metrics is published on "
            "registry.k8s.io only, which a mainland VPC does not reach; copy "
            f"registry.k8s.io/{images.BY_NAME['kube-state-metrics'].path}:"
            f"{images.BY_NAME['kube-state-metrics'].tag} to your registry (e.g. ccr.ccs.tencentyun.com/<ns>) "
            "and give its prefix",
        )


class Monitoring(Model):
    model_config = about("Cloud Monitor alarms and Prometheus agents.")

    alarms: Alarms = Field(Alarms(), description="Cloud Monitor alarm policies.")
    prometheus: Prometheus = Field(Prometheus(), description="Prometheus agents writing to a remote store.")
    # Notification templates (Cloud Monitor's "通知模板", DescribeAlarmNotices) each alarm policy notifies.
    notice_ids: list[Annotated[str, Field(pattern=r"^notice-[a-z0-9]{8}$")]] = Field(
        [],
        description=("Cloud Monitor notification templates (notice-xxxxxxxx) every alarm policy notifies, each once."),
    )

    @field_validator("notice_ids")
    @classmethod
    def _distinct_notices(cls, v: list[str]) -> list[str]:
        if twice := sorted({n for n in v if v.count(n) > 1}):
            raise ValueError(f"notice ids must be distinct; repeated: {', '.join(twice)}")
        return v
