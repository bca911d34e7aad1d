"""Cloud Monitor helpers that are not Tencent's facts: the shapes kubecvm's simulations answer and send. Pure.

tmp_addresses is what a TMP instance answers as its addresses in the simulated cloud (offline/simulated_cloud.py)
and the emulator (kubecvm/emulator/monitor.py), a shape Tencent does not document; to_wire_rule copies a provider
rule onto the wire as the provider does, for the emulator's tests. Apart from planning/tencent/monitor.py, which
holds every fact and refusal of Cloud Monitor and re-exports these names.
"""

from __future__ import annotations

TMP_WRITE_PORT, TMP_WRITE_PATH = 9090, "/api/v1/prom/write"  # the simulated answer's shape of RemoteWrite
TMP_API_PATH = "/api/v1"  # and of ApiRootPath


def tmp_addresses(ip: str) -> dict[str, str]:
    """What an instance at `ip` answers as RemoteWrite, ApiRootPath and ProxyAddress in the simulated cloud and the
    emulator: the shape of an in-VPC address, not a value Tencent documents."""
    base = f"http://{ip}:{TMP_WRITE_PORT}"
    return {
        "RemoteWrite": base + TMP_WRITE_PATH,
        "ApiRootPath": base + TMP_API_PATH,
        "ProxyAddress": f"{ip}:{TMP_WRITE_PORT}",
    }


def to_wire_rule(rule: dict) -> dict:
    """A provider `conditions.rules` element (camelCase) as CreateAlarmPolicy's AlarmPolicyRule, as the provider
    copies it (resourceTencentMonitorAlarmPolicyCreate)."""
    keys = {
        "metricName": "MetricName",
        "period": "Period",
        "operator": "Operator",
        "value": "Value",
        "continuePeriod": "ContinuePeriod",
        "noticeFrequency": "NoticeFrequency",
        "isPowerNotice": "IsPowerNotice",
    }
    return {wire: rule[k] for k, wire in keys.items() if rule.get(k) is not None}
