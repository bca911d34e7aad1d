"""Helpers for the GlobalRouter dynamic provider's tests (components/global_router.py): the resource's inputs,
providers as the engine makes and configures them, assume-role settings in the environment."""

from __future__ import annotations

from kubecvm.components import global_router as gr
from kubecvm.emulator.tke import TkeService

VPC = "vpc-abcdef12"
PROPS = {
    "routeTableName": "kubecvm-demo-pods",
    "routeTableCidrBlock": "172.16.0.0/12",
    "vpcId": VPC,
    "region": "ap-guangzhou",
    "ignoreClusterCidrConflict": 0,
    "routes": {
        "demo-master-0": {"destinationCidrBlock": "172.20.0.0/24", "gatewayIp": "10.0.64.4"},
        "demo-general-z3-0": {"destinationCidrBlock": "172.20.64.0/24", "gatewayIp": "10.0.68.0"},
    },
}


def provider() -> gr.ClusterRouteTableProvider:
    return gr.ClusterRouteTableProvider()


def with_routes(**routes: tuple[str, str]) -> dict:
    return {**PROPS, "routes": {n: {"destinationCidrBlock": d, "gatewayIp": g} for n, (d, g) in routes.items()}}


def actions(tke: TkeService) -> list[str]:
    return [a for a, _ in tke.calls]


def configured(**config: object) -> gr.ClusterRouteTableProvider:
    """A provider configured as the engine configures it, with `tencentcloud:` config (keys without the prefix)."""
    import pulumi.dynamic
    from pulumi.dynamic.config import Config

    p = provider()
    p.configure(
        pulumi.dynamic.ConfigureRequest(
            Config({f"tencentcloud:{k}": v for k, v in config.items()}, project_name="kubecvm")
        )
    )
    return p


def assume_role_env(monkeypatch, arn: str, session: str = "kubecvm-ci", **extra: str) -> None:
    monkeypatch.setenv("TENCENTCLOUD_ASSUME_ROLE_ARN", arn)
    monkeypatch.setenv("TENCENTCLOUD_ASSUME_ROLE_SESSION_NAME", session)
    for name, value in extra.items():
        monkeypatch.setenv(f"TENCENTCLOUD_ASSUME_ROLE_{name.upper()}", value)
