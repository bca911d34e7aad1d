"""The CIS hardening files a master writes for its API server, and the kernel settings the kubelet requires. Pure.

Split from planning/bootstrap.py, which re-exports every name here; the API server flags that read these files are
in planning/kubeadm.py.
"""

from __future__ import annotations

import functools

from .cloud_config import _yaml


# --- CIS hardening --------------------------------------------------------------------------------------------
# The CIS Kubernetes benchmark items that apply to a kubeadm cluster; docs/concepts/security.md lists each, done or declined.
# Flag names: kube-apiserver staging/src/k8s.io/apiserver/pkg/server/options/{feature.go (profiling), audit.go
# (audit-policy-file, audit-log-path/-maxage/-maxbackup/-maxsize), etcd.go (encryption-provider-config),
# admission.go (admission-control-config-file)}; kube-controller-manager cmd/controller-manager/app/options/
# debugging.go (profiling); kube-scheduler cmd/kube-scheduler/app/options/deprecated.go (profiling: honoured because
# kubeadm runs the scheduler without --config). kubeadm v1beta3 (cmd/kubeadm/app/apis/kubeadm/v1beta3/types.go):
# ControlPlaneComponent.extraArgs (map) and extraVolumes (HostPathMount name/hostPath/mountPath/readOnly/pathType).
HARDENING_DIR = "/etc/kubernetes/kubecvm"  # what the API server reads, mounted read-only into its static pod
AUDIT_POLICY = f"{HARDENING_DIR}/audit-policy.yaml"
ADMISSION_CONFIG = f"{HARDENING_DIR}/admission.yaml"
ENCRYPTION_CONFIG = f"{HARDENING_DIR}/encryption.yaml"  # written at boot from SSM: it holds the key (0600)
AUDIT_LOG_DIR = "/var/log/kubernetes/audit"
AUDIT_ROTATION = {"audit-log-maxage": "30", "audit-log-maxbackup": "10", "audit-log-maxsize": "100"}  # days, files, MB
ENCRYPTION_ITEM = "encryption-key"
ENCRYPTION_KEY_BYTES = 32  # secretbox takes a 32-byte key (k8s.io/apiserver/pkg/apis/apiserver/validation)
ENCRYPTION_PLACEHOLDER = "__ENCRYPTION_KEY__"  # replaced on the master by the key read from SSM
# A key's name is stored with every value it encrypts (k8s:enc:secretbox:v1:<name>:), so every master must give a
# key the same name, and two keys never one: the boot script names it kubecvm-<first 12 hex of its sha256>.
ENCRYPTION_KEY_NAME_PLACEHOLDER = "__ENCRYPTION_KEY_NAME__"
# Pod Security admission: the system namespace runs the control plane add-ons (CBS CSI node plugin: privileged,
# hostNetwork), which no profile but privileged admits.
POD_SECURITY_EXEMPT_NAMESPACES = ("kube-system",)
# With protectKernelDefaults the kubelet refuses to start unless these hold (it no longer sets them itself):
# pkg/kubelet/cm/container_manager_linux.go setupKernelTunables, values from
# staging/src/k8s.io/component-helpers/node/util/sysctl/sysctl.go.
KERNEL_DEFAULTS = {
    "vm.overcommit_memory": 1,
    "vm.panic_on_oom": 0,
    "kernel.panic": 10,
    "kernel.panic_on_oops": 1,
    "kernel.keys.root_maxkeys": 1000000,
    "kernel.keys.root_maxbytes": 25000000,
}


def audit_policy() -> dict:
    """audit.k8s.io/v1 Policy (first matching rule wins): metadata for every request, never a body, so no Secret
    value, token or key can reach the log; health checks and the steady lease/event traffic are not logged."""
    return {
        "apiVersion": "audit.k8s.io/v1",
        "kind": "Policy",
        "omitStages": ["RequestReceived"],
        "rules": [
            {"level": "None", "nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version"]},
            {
                "level": "None",
                "verbs": ["get", "update"],
                "resources": [{"group": "coordination.k8s.io", "resources": ["leases"]}],
            },
            {"level": "None", "resources": [{"group": "", "resources": ["events"]}]},
            {"level": "Metadata"},
        ],
    }


def admission_config() -> dict:
    """apiserver.config.k8s.io/v1 AdmissionConfiguration with the PodSecurity plugin's defaults
    (pod-security.admission.config.k8s.io/v1): baseline enforced, restricted warned and audited."""
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "AdmissionConfiguration",
        "plugins": [
            {
                "name": "PodSecurity",
                "configuration": {
                    "apiVersion": "pod-security.admission.config.k8s.io/v1",
                    "kind": "PodSecurityConfiguration",
                    # The *-version fields default to "latest" (the running Kubernetes' own profile definitions).
                    "defaults": {"enforce": "baseline", "audit": "restricted", "warn": "restricted"},
                    "exemptions": {"namespaces": list(POD_SECURITY_EXEMPT_NAMESPACES)},
                },
            }
        ],
    }


def encryption_config() -> dict:
    """apiserver.config.k8s.io/v1 EncryptionConfiguration: Secrets written with secretbox (XSalsa20-Poly1305) under
    the SSM-held key; `identity` last so Secrets written before encryption was on stay readable until rewritten."""
    return {
        "apiVersion": "apiserver.config.k8s.io/v1",
        "kind": "EncryptionConfiguration",
        "resources": [
            {
                "resources": ["secrets"],
                "providers": [
                    {
                        "secretbox": {
                            "keys": [{"name": ENCRYPTION_KEY_NAME_PLACEHOLDER, "secret": ENCRYPTION_PLACEHOLDER}]
                        }
                    },
                    {"identity": {}},
                ],
            }
        ],
    }


def kernel_sysctls() -> str:
    return "".join(f"{k} = {v}\n" for k, v in KERNEL_DEFAULTS.items())


@functools.cache
def _hardening_files() -> tuple[tuple[str, str], ...]:
    """(path, content) of the static CIS hardening files every master writes, rendered once."""
    return (
        (AUDIT_POLICY, _yaml(audit_policy())),
        (ADMISSION_CONFIG, _yaml(admission_config())),
        ("/etc/kubecvm/encryption.yaml", _yaml(encryption_config())),
    )
