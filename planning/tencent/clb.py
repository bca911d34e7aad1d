"""CLB (clb.tencentcloudapi.com): load balancers, their listeners and the targets attached to them. Pure.

The engine type tokens, each type's id prefix and id form, its ForceNew inputs, what a create returns that kubecvm
reads, and what Tencent refuses.

Sources, cited per fact below:
- [sdk] tencentcloud-iac-pulumi 0.2.3, the engine's type tokens (tencentcloud_iac_pulumi/clb/instance.py,
  clb/listener.py, clb/attachment.py).
- [provider] terraform-provider-tencentcloud v1.82.42, which that SDK bridges: tencentcloud/services/clb/ as cited
  per entry (ForceNew inputs in the SDK's camelCase).

The emulator does not answer CLB's actions (the Tencent provider plugin cannot be built here to drive them): these
rules are enforced offline only, by the simulated cloud (offline/simulated_cloud.py) through account.CloudState.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import limits

if TYPE_CHECKING:
    from .account import CloudState

SERVICE = "clb"

# Engine type tokens [sdk].
INSTANCE = "tencentcloud:Clb/instance:Instance"
LISTENER = "tencentcloud:Clb/listener:Listener"
ATTACHMENT = "tencentcloud:Clb/attachment:Attachment"

# Tencent's id prefixes (lb-..., lbl-...). A listener's resource id is `<clbId>#<listenerId>`
# (clb/resource_tc_clb_listener.go d.SetId), its listenerId output the lbl- part.
ID_PREFIX: dict[str, str] = {INSTANCE: "lb", LISTENER: "lbl", ATTACHMENT: "lb-attach"}
LISTENER_ID_SEPARATOR = "#"

# [provider] ForceNew inputs per type.
FORCE_NEW: dict[str, frozenset[str]] = {
    # clb/resource_tc_clb_instance.go (exclusive_cluster is newer than v1.82.42: not in the SDK's clb.Instance).
    # internet_charge_type and internet_bandwidth_max_out are not ForceNew: Update sends them as
    # ModifyLoadBalancerAttributes' InternetChargeInfo, so a public CLB's billing or cap changes in place.
    INSTANCE: frozenset({"networkType", "vpcId", "subnetId", "clusterId", "vipIsp", "vip"}),
    LISTENER: frozenset({"clbId", "port", "protocol", "sniSwitch", "endPort", "h2cSwitch"}),  # clb/resource_tc_clb_listener.go
    ATTACHMENT: frozenset({"clbId", "listenerId", "ruleId", "domain", "url"}),  # clb/resource_tc_clb_attachment.go
}

# What a create returns beyond its inputs that kubecvm reads: the CLB's address (vip, clbVips: the API server's
# and the ingress's endpoint, components/control_plane.py and ingress.py) and the listener's own id (listenerId,
# which an attachment names).
CREATE_RETURNS: dict[str, tuple[str, ...]] = {
    INSTANCE: ("vip", "clbVips"),
    LISTENER: ("listenerId",),
}


# --- What Tencent refuses ------------------------------------------------------------------------------------

def clb_name_unique(state: CloudState, inputs: dict) -> str | None:
    """clb/resource_tc_clb_instance.go (create): checkSameName, "Same CLB name %s exists!"."""
    name = inputs.get("clbName")
    if any(r.inputs.get("clbName") == name for r in state.of_type(INSTANCE)):
        return f"Same CLB name {name} exists"
    return None


def clb_internet(state: CloudState, inputs: dict) -> str | None:
    """clb/resource_tc_clb_instance.go (create): "INTERNAL network_type do not support internet charge type setting";
    internet_bandwidth_max_out "Valid value ranges is [1, 2048]", and it goes into the InternetAccessible that only
    internet_charge_type creates (set alone, v1.82.42 dereferences a nil InternetAccessible)."""
    charge, bandwidth = inputs.get("internetChargeType"), inputs.get("internetBandwidthMaxOut")
    if charge is not None and inputs.get("networkType") == "INTERNAL":
        return "INTERNAL network_type do not support internet charge type setting"
    if bandwidth is not None:
        lo, hi = limits.CLB_BANDWIDTH_MBPS
        if not lo <= int(bandwidth) <= hi:
            return f"internetBandwidthMaxOut {bandwidth} is outside {lo}..{hi} Mbps"
        if charge is None:
            return "internetBandwidthMaxOut without internetChargeType (the provider has no InternetAccessible to put it in)"
    return None


def listener_port_free(state: CloudState, inputs: dict) -> str | None:
    """clb/resource_tc_clb_listener.go: CreateListener on a port and protocol the CLB already listens on fails."""
    same = [r for r in state.of_type(LISTENER)
            if (r.inputs.get("clbId"), r.inputs.get("port"), r.inputs.get("protocol"))
            == (inputs.get("clbId"), inputs.get("port"), inputs.get("protocol"))]
    return f"the CLB already listens on {inputs.get('protocol')} {inputs.get('port')}" if same else None


CREATE_RULES = {
    INSTANCE: (clb_name_unique, clb_internet),
    LISTENER: (listener_port_free,),
}
DELETE_RULES: dict = {}
