"""node-exporter on every node (masters included): the host's CPU, memory, disk and network as Prometheus metrics.
Pure. As upstream's guide runs it in a container (prometheus/node_exporter README "Docker": host network, host PID,
the host's / mounted read-only at /host with --path.rootfs=/host); the port is stated (planning/addons/scrape.py).
Only the pod network reaches it (the security groups, tests/planning/test_firewall.py).
"""

from __future__ import annotations

from typing import Any

from . import scrape
from .common import LOCKED_DOWN, PART_OF, meta

NAME = "node-exporter"
_SELECTOR = {"app.kubernetes.io/name": NAME}


def _meta(name: str) -> dict[str, Any]:
    return meta(name, {**_SELECTOR, **PART_OF})


def node_exporter_objects(image: str) -> list[dict[str, Any]]:
    port = scrape.NODE_EXPORTER_PORT
    container = {
        "name": NAME,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["--path.rootfs=/host", f"--web.listen-address=:{port}"],
        "ports": [{"containerPort": port, "name": "metrics", "protocol": "TCP"}],
        "readinessProbe": {"httpGet": {"path": "/", "port": port}, "periodSeconds": 10},
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": dict(LOCKED_DOWN),
        "volumeMounts": [
            {"name": "root", "mountPath": "/host", "readOnly": True, "mountPropagation": "HostToContainer"}
        ],
    }
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(NAME), "automountServiceAccountToken": False},
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": _meta(NAME),
            "spec": {
                "selector": {"matchLabels": _SELECTOR},
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "10%"}},
                "template": {
                    "metadata": {"labels": {**_SELECTOR, **PART_OF}},
                    "spec": {
                        "serviceAccountName": NAME,
                        "automountServiceAccountToken": False,
                        "hostNetwork": True,
                        "hostPID": True,
                        "priorityClassName": "system-node-critical",
                        "tolerations": [{"operator": "Exists"}],  # every node, masters and tainted pools too
                        "containers": [container],
                        "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
                    },
                },
            },
        },
        # Headless: the cluster agent finds every node's endpoint through it (scrape.py's node-exporter job).
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _meta(NAME),
            "spec": {
                "clusterIP": "None",
                "selector": _SELECTOR,
                "ports": [{"name": "metrics", "port": port, "targetPort": port, "protocol": "TCP"}],
            },
        },
    ]
