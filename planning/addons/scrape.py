"""What Prometheus scrapes and where each target listens, with the upstream flag or constant each port comes from.
Pure: the scrape configurations of the two agents (planning/addons/prometheus.py) as plain dicts.

Two agents, because kubeadm binds three control-plane components to the master's loopback:
- the cluster agent (a Deployment in the pod network) scrapes what listens on a node or pod address: the API servers
  (the `kubernetes` Service's endpoints), every kubelet and its cAdvisor, node-exporter, kube-state-metrics, CoreDNS
  and, with the ingress CLB, ingress-nginx. Its packets come from the pod network, which every node's security group
  accepts (planning/security_groups.py `_security_groups`: "pod network"), and from nowhere else: the VPC and the
  internet reach none of these ports (tests/planning/test_firewall.py has the packet table);
- the control-plane agent (a DaemonSet on the masters, host network) scrapes its own master's loopback: etcd's
  metrics listener, kube-scheduler and kube-controller-manager. No packet leaves the machine, so no security group
  rule is needed, and none of the three is exposed to the network to be scraped.

Ports and addresses, from upstream:
- kubelet 10250: KubeletPort, kubernetes/kubernetes cmd/kubeadm/app/constants/constants.go (and pkg/cluster/ports);
  its serving certificate is signed by the cluster CA (serverTLSBootstrap, planning/kubeadm.py), so it is verified.
- kube-scheduler 10259 and kube-controller-manager 10257: KubeSchedulerPort and KubeControllerManagerPort in the same
  constants.go; kubeadm runs both with --bind-address=127.0.0.1 (cmd/kubeadm/app/phases/controlplane/manifests.go
  getSchedulerCommand, getControllerManagerCommand). They serve a self-signed certificate made in memory (no
  --tls-cert-file: k8s.io/apiserver SecureServingOptions.MaybeDefaultWithSelfSignedCerts), which no CA can verify:
  the agent skips verification on loopback only, and authenticates with its ServiceAccount token (their /metrics
  is authorized through the API server: nonResourceURLs /metrics in the agent's ClusterRole).
- etcd 2381: EtcdMetricsPort in constants.go; kubeadm's etcd manifest sets --listen-metrics-urls=http://127.0.0.1:2381
  (cmd/kubeadm/app/phases/etcd/local.go getEtcdCommand), plain HTTP. kubecvm scrapes that rather than the client
  port 2379 with a client certificate: an etcd client certificate reads and writes every key of the cluster, and the
  metrics listener needs none.
- kube-apiserver 6443: the `kubernetes` Service's endpoints (the masters' advertise addresses, planning/plan.py
  API_PORT), verified with the cluster CA of the ServiceAccount's mount.
- CoreDNS 9153: kubeadm's kube-dns Service names the port `metrics` (cmd/kubeadm/app/phases/addons/dns/manifests.go).
- node-exporter 9100: its default --web.listen-address ":9100" (prometheus/node_exporter node_exporter.go,
  kingpinflag.AddFlags(kingpin.CommandLine, ":9100")), stated on its command line (node_exporter.py).
- kube-state-metrics 8080: its default --port (kubernetes/kube-state-metrics pkg/options/options.go), stated too.
- ingress-nginx 10254: the controller's status port (--healthz-port default 10254, which serves /metrics:
  kubernetes/ingress-nginx cmd/nginx/flags.go), planning/addons/ingress_nginx.py's probes use it.
"""

from __future__ import annotations

from typing import Any

API_PORT, KUBELET_PORT, SCHEDULER_PORT, CONTROLLER_MANAGER_PORT, ETCD_METRICS_PORT = 6443, 10250, 10259, 10257, 2381
COREDNS_METRICS_PORT, NODE_EXPORTER_PORT, KSM_PORT, KSM_TELEMETRY_PORT, INGRESS_METRICS_PORT = (
    9153,
    9100,
    8080,
    8081,
    10254,
)
LOOPBACK = "127.0.0.1"
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"  # the projected ServiceAccount token and the cluster CA
VERIFIED = {"ca_file": f"{SA_DIR}/ca.crt"}
TOKEN = {"type": "Bearer", "credentials_file": f"{SA_DIR}/token"}


def _keep(*pairs: tuple[str, str]) -> list[dict[str, Any]]:
    """Relabelings that keep only targets whose source labels match (one rule per pair)."""
    return [{"source_labels": [label], "regex": value, "action": "keep"} for label, value in pairs]


def _endpoints(job: str, namespace: str, service: str, port: str, *, https: bool = False) -> dict[str, Any]:
    """A job over one Service's endpoints (kubernetes_sd role endpoints), one port by its name."""
    return {
        "job_name": job,
        **({"scheme": "https", "tls_config": VERIFIED, "authorization": TOKEN} if https else {}),
        "kubernetes_sd_configs": [{"role": "endpoints", "namespaces": {"names": [namespace]}}],
        "relabel_configs": [
            *_keep(("__meta_kubernetes_service_name", service), ("__meta_kubernetes_endpoint_port_name", port)),
            {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
        ],
    }


def _nodes(job: str, path: str) -> dict[str, Any]:
    """Every kubelet at its node address and KUBELET_PORT (role node's default __address__), TLS verified."""
    return {
        "job_name": job,
        "scheme": "https",
        "metrics_path": path,
        "tls_config": VERIFIED,
        "authorization": TOKEN,
        "kubernetes_sd_configs": [{"role": "node"}],
        "relabel_configs": [{"source_labels": ["__meta_kubernetes_node_name"], "target_label": "node"}],
    }


def cluster_jobs(*, namespace: str, ingress_namespace: str | None) -> list[dict[str, Any]]:
    """The cluster agent's scrape_configs (`ingress_namespace`: ingress-nginx's, when the ingress is on)."""
    jobs = [
        _endpoints("kube-apiserver", "default", "kubernetes", "https", https=True),
        _nodes("kubelet", "/metrics"),
        _nodes("cadvisor", "/metrics/cadvisor"),
        _endpoints("node-exporter", namespace, "node-exporter", "metrics"),
        _endpoints("kube-state-metrics", namespace, "kube-state-metrics", "http-metrics"),
        _endpoints("coredns", namespace, "kube-dns", "metrics"),
    ]
    if ingress_namespace:
        jobs.append(
            {
                "job_name": "ingress-nginx",
                "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [ingress_namespace]}}],
                "relabel_configs": [
                    *_keep(("__meta_kubernetes_pod_label_app_kubernetes_io_component", "controller")),
                    {
                        "source_labels": ["__meta_kubernetes_pod_ip"],
                        "target_label": "__address__",
                        "replacement": f"$1:{INGRESS_METRICS_PORT}",
                    },
                    {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
                ],
            }
        )
    return jobs


def control_plane_jobs() -> list[dict[str, Any]]:
    """The control-plane agent's scrape_configs: its own master's loopback listeners."""
    loopback_tls = {"insecure_skip_verify": True}  # self-signed in memory (module docstring), and on loopback only
    return [
        {"job_name": "etcd", "static_configs": [{"targets": [f"{LOOPBACK}:{ETCD_METRICS_PORT}"]}]},
        *[
            {
                "job_name": job,
                "scheme": "https",
                "tls_config": loopback_tls,
                "authorization": TOKEN,
                "static_configs": [{"targets": [f"{LOOPBACK}:{port}"]}],
            }
            for job, port in (("kube-scheduler", SCHEDULER_PORT), ("kube-controller-manager", CONTROLLER_MANAGER_PORT))
        ],
    ]


# Every port a target listens on, by job: what tests/bootstrap/test_prometheus.py holds against the objects.
TARGET_PORTS = {
    "kube-apiserver": API_PORT,
    "kubelet": KUBELET_PORT,
    "cadvisor": KUBELET_PORT,
    "kube-scheduler": SCHEDULER_PORT,
    "kube-controller-manager": CONTROLLER_MANAGER_PORT,
    "etcd": ETCD_METRICS_PORT,
    "coredns": COREDNS_METRICS_PORT,
    "node-exporter": NODE_EXPORTER_PORT,
    "kube-state-metrics": KSM_PORT,
    "ingress-nginx": INGRESS_METRICS_PORT,
}
