"""Run the controller: settings from the environment (the add-on's Deployment sets them), the in-cluster Kubernetes
client, Tencent credentials from the SDK's default chain (a key pair in the environment, else the master's CAM
role through the CVM metadata service), and leader election through a coordination.k8s.io Lease (the
client's kubernetes.leaderelection with its LeaseLock): two replicas, one acts; the other takes over when the
leader's lease lapses. A replica that loses the lease exits, and its restart is a follower (client-go's
leaderelection does the same: OnStoppedLeading is fatal in kube-controller-manager).

    CLUSTER, REGION                          required
    VPC_ID, SUBNET_ID                        default: the master's own, from the CVM metadata service (METADATA_URL)
    CLB_ENDPOINT, CVM_ENDPOINT, VPC_ENDPOINT default clb/cvm/vpc.internal.tencentcloudapi.com (the in-VPC endpoints:
                                             kubecvm/planning/mirrors.py says what is known of each)
    TENCENTCLOUD_PROTOCOL                    default https
    LEASE_NAMESPACE, LEASE_NAME, POD_NAME    default kube-system, kubecvm-lb-controller, the host name
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import threading
import urllib.request

from kubernetes import client, config
from kubernetes.leaderelection import electionconfig, leaderelection
from kubernetes.leaderelection.resourcelock.leaselock import LeaseLock
from tencentcloud.common import credential

from .kube import Kube
from .loop import Controller
from .tencent import Cloud

# client-go's defaults for kube-controller-manager (--leader-elect-lease-duration 15s, renew-deadline 10s,
# retry-period 2s).
LEASE_SECONDS, RENEW_SECONDS, RETRY_SECONDS = 15, 10, 2
REQUIRED = ("CLUSTER", "REGION")
# Tencent's instance metadata (cloud.tencent.com/document/product/213/4934, "实例元数据"): the primary interface's
# MAC, then that interface's VPC and subnet.
METADATA_URL = "http://metadata.tencentyun.com/latest/meta-data/"


def metadata(base: str, path: str) -> str:
    with urllib.request.urlopen(base + path, timeout=5) as answer:
        return answer.read().decode().strip()


def settings(env: dict[str, str]) -> dict[str, str]:
    missing = [k for k in REQUIRED if not env.get(k)]
    if missing:
        raise SystemExit(f"lb-controller: set {', '.join(missing)}")
    base = env.get("METADATA_URL", METADATA_URL)
    network = {k: env.get(k, "") for k in ("VPC_ID", "SUBNET_ID")}
    if not all(network.values()):
        mac = metadata(base, "mac")
        network = {"VPC_ID": network["VPC_ID"] or metadata(base, f"network/interfaces/macs/{mac}/vpc-id"),
                   "SUBNET_ID": network["SUBNET_ID"] or metadata(base, f"network/interfaces/macs/{mac}/subnet-id")}
    return {
        **{k: env[k] for k in REQUIRED}, **network,
        "CLB_ENDPOINT": env.get("CLB_ENDPOINT", "clb.internal.tencentcloudapi.com"),
        "CVM_ENDPOINT": env.get("CVM_ENDPOINT", "cvm.internal.tencentcloudapi.com"),
        "VPC_ENDPOINT": env.get("VPC_ENDPOINT", "vpc.internal.tencentcloudapi.com"),
        "PROTOCOL": env.get("TENCENTCLOUD_PROTOCOL", "https"),
        "LEASE_NAMESPACE": env.get("LEASE_NAMESPACE", "kube-system"),
        "LEASE_NAME": env.get("LEASE_NAME", "kubecvm-lb-controller"),
        "POD_NAME": env.get("POD_NAME") or socket.gethostname(),
    }


def build(s: dict[str, str], api_client: client.ApiClient) -> Controller:
    cred = credential.DefaultCredentialProvider().get_credential()
    cloud = Cloud(cred, s["REGION"], clb_endpoint=s["CLB_ENDPOINT"], cvm_endpoint=s["CVM_ENDPOINT"],
                  vpc_endpoint=s["VPC_ENDPOINT"], protocol=s["PROTOCOL"])
    return Controller(Kube(api_client), cloud, s["CLUSTER"], s["VPC_ID"], s["SUBNET_ID"])


class Stopped(Exception):
    pass


class Election(leaderelection.LeaderElection):
    """The client's election, which can be stopped (SIGTERM, a test's end): the next attempt to acquire or renew
    then ends run() instead of looping for ever."""

    def __init__(self, election_config: electionconfig.Config, stop: threading.Event):
        super().__init__(election_config)
        self.stop = stop

    def try_acquire_or_renew(self) -> bool:
        if self.stop.is_set():
            raise Stopped
        return super().try_acquire_or_renew()

    def run(self) -> None:
        try:
            super().run()
        except Stopped:
            pass


def elect(s: dict[str, str], api_client: client.ApiClient, lead, stop: threading.Event, *, lease: int = LEASE_SECONDS,
          renew: int = RENEW_SECONDS, retry: int = RETRY_SECONDS) -> Election:
    lock = LeaseLock(s["LEASE_NAME"], s["LEASE_NAMESPACE"], s["POD_NAME"])
    lock.api_instance = client.CoordinationV1Api(api_client)
    return Election(electionconfig.Config(lock, lease, renew, retry, lead, lambda: None), stop)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    s = settings(dict(os.environ))
    config.load_incluster_config()
    api_client = client.ApiClient()
    controller = build(s, api_client)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    elect(s, api_client, lambda: controller.run(stop), stop).run()  # returns when the lease is lost or on SIGTERM
    if stop.is_set():
        return 0
    stop.set()
    logging.getLogger("lb-controller").error("lost the lease %s/%s: exiting", s["LEASE_NAMESPACE"], s["LEASE_NAME"])
    return 1


if __name__ == "__main__":
    sys.exit(main())
