"""SSM (ssm.tencentcloudapi.com), the Secrets Manager: the boot secrets and their versions. Pure.

The engine type tokens, each type's id form, its ForceNew inputs, what a create returns, what Tencent refuses, and
what it holds after a delete (a deleted secret's name, for its recovery window).

Sources, cited per fact below:
- [sdk] tencentcloud-iac-pulumi 0.2.3, the engine's type tokens (tencentcloud_iac_pulumi/ssm/secret.py,
  ssm/secret_version.py).
- [provider] terraform-provider-tencentcloud v1.82.42, which that SDK bridges: tencentcloud/services/ssm/ as cited
  per entry (ForceNew inputs in the SDK's camelCase).

The emulator does not answer SSM's actions (the Tencent provider plugin cannot be built here to drive them): these
rules are enforced offline only, by the simulated cloud (offline/simulated_cloud.py) through account.CloudState.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .account import CloudState, Live

SERVICE = "ssm"

# Engine type tokens [sdk].
SECRET = "tencentcloud:Ssm/secret:Secret"
SECRET_VERSION = "tencentcloud:Ssm/secretVersion:SecretVersion"

# A secret's id is its name (ssm/resource_tc_ssm_secret.go d.SetId(secretName)), a version's
# `<secretName>#<versionId>` (ssm/resource_tc_ssm_secret_version.go); the prefixes name other forms' fallbacks.
ID_PREFIX: dict[str, str] = {SECRET: "ssm", SECRET_VERSION: "ssm-version"}

# [provider] ForceNew inputs per type.
FORCE_NEW: dict[str, frozenset[str]] = {
    SECRET: frozenset({"secretName", "kmsKeyId"}),  # ssm/resource_tc_ssm_secret.go
    SECRET_VERSION: frozenset({"secretName", "versionId"}),  # ssm/resource_tc_ssm_secret_version.go
}

# What a create returns beyond its inputs: a new secret's status (Enabled). kubecvm reads secrets by name and id.
CREATE_RETURNS: dict[str, tuple[str, ...]] = {SECRET: ("status",)}
ENABLED = "Enabled"


# --- What Tencent refuses ------------------------------------------------------------------------------------


def secret_name(inputs: dict):
    return inputs.get("secretName")


def secret_version(inputs: dict) -> tuple:
    return inputs.get("secretName"), inputs.get("versionId")


def secret_name_free(state: CloudState, inputs: dict) -> str | None:
    """ssm/resource_tc_ssm_secret.go: secret_name "cannot be repeated in the same region"; a deleted one stays
    PendingDelete for recovery_window_in_days."""
    name = inputs.get("secretName")
    if name in state.held_secret_names:
        return f"secret name {name} is held by a deleted secret for its recovery window"
    if state.holders(SECRET, secret_name, name):
        return f"secret name {name} exists"
    return None


def secret_version_free(state: CloudState, inputs: dict) -> str | None:
    """ssm/resource_tc_ssm_secret_version.go PutSecretValue: a version id once per secret."""
    key = secret_version(inputs)
    if state.holders(SECRET_VERSION, secret_version, key):
        return f"secret {key[0]} already has version {key[1]}"
    return None


def hold_name_for_recovery_window(state: CloudState, r: Live) -> None:
    """ssm/resource_tc_ssm_secret.go recovery_window_in_days: a secret deleted with a recovery window is
    PendingDelete, and its name stays taken until the window ends (secret_name_free refuses it meanwhile)."""
    if int(r.inputs.get("recoveryWindowInDays") or 0) > 0:
        state.held_secret_names.add(r.inputs.get("secretName"))


CREATE_RULES = {
    SECRET: (secret_name_free,),
    SECRET_VERSION: (secret_version_free,),
}
DELETE_RULES: dict = {}
# What a delete leaves behind in the account: type -> effects, run after the resource is gone.
AFTER_DELETE = {SECRET: (hold_name_for_recovery_window,)}
