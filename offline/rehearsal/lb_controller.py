"""Rehearsal scenario: the LoadBalancer controller on a real kube-apiserver, against the Tencent API emulator.

The unit tests drive the controller (planning/addons/programs/lb_controller) against a fake API server; here the API
server is real (apiserver.py), so what a fake cannot show is checked: the API server allocates the NodePorts and the
healthCheckNodePort, validates every patch the controller sends (finalizers, status.loadBalancer, Node taints), and
enforces the add-on's own RBAC: the controller runs as its ServiceAccount with a token from the TokenRequest API,
bound only by the ClusterRole and Role the add-on ships. Two replicas elect a leader through a real Lease.

What stands in for the cluster: there is no kubelet, scheduler or controller manager, so the Nodes, their Ready
condition and the Services' EndpointSlices are written here as those components would write them, with the admin's
certificate. The emulator (one of its own, in this process) holds the CVMs behind the Nodes and the CLBs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlparse

from kubernetes import client, config, utils
from tencentcloud.common import credential

from kubecvm.emulator import SECRET_ID, SECRET_KEY, Emulator
from kubecvm.offline.rehearsal import apiserver
from kubecvm.offline.rehearsal.run import Step
from kubecvm.planning import addons as plan_addons, kubernetes_releases
from kubecvm.planning.addons.programs.lb_controller import __main__ as entry
from kubecvm.planning.addons.programs.lb_controller import model
from kubecvm.planning.addons.programs.lb_controller.kube import Kube
from kubecvm.planning.addons.programs.lb_controller.loop import SERVICE_NAME_LABEL, Controller
from kubecvm.planning.addons.programs.lb_controller.tencent import Cloud

REGION, ZONE, VPC, SUBNET = "ap-guangzhou", "ap-guangzhou-3", "vpc-0000000a", "subnet-0000000a"


def emulator_cloud(url: str, **options) -> Cloud:
    """The controller's Tencent client with every service it calls (CLB, CVM, VPC) aimed at the emulator serving at
    `url`, signed with the emulator's key; `options` go to Cloud (backoff, sleep). The rehearsal and tests/lb_controller
    both use it."""
    endpoint = urlparse(url).netloc
    return Cloud(
        credential.Credential(SECRET_ID, SECRET_KEY),
        REGION,
        clb_endpoint=endpoint,
        cvm_endpoint=endpoint,
        vpc_endpoint=endpoint,
        protocol="http",
        **options,
    )


NAMESPACE, SERVICE = "default", "web"
RANGE = "203.0.113.0/24"  # TEST-NET-3 (RFC 5737)
WAIT_SECONDS = 60  # each step's condition, on a loaded machine (a steady pass takes well under a second)
RBAC_KINDS = ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")


def instance(i: int) -> str:
    return f"ins-{i:08x}"


def node_name(i: int) -> str:
    return f"rehearsal-general-z3-{i}"


class Rig:
    """The admin's clients, the emulator, and the nodes written so far."""

    def __init__(self, admin: client.ApiClient, emulator: Emulator):
        self.admin, self.emulator = admin, emulator
        self.core = client.CoreV1Api(admin)
        self.discovery = client.DiscoveryV1Api(admin)

    def add_node(self, i: int) -> None:
        """A CVM in the emulator and its Node, Ready, as the kubelet registers it (providerID as kubecvm sets it)."""
        self.emulator.cvm.add_instance(instance(i), f"10.0.1.{i + 10}", zone=ZONE)
        self.core.create_node(
            {"metadata": {"name": node_name(i)}, "spec": {"providerID": f"qcloud:///{ZONE}/{instance(i)}"}}
        )
        self.set_ready(i, True)

    def set_ready(self, i: int, ready: bool) -> None:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        condition = {
            "type": "Ready",
            "status": "True" if ready else "False",
            "reason": "KubeletReady",
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
        }
        self.core.patch_node_status(node_name(i), {"status": {"conditions": [condition]}})

    def slice(self, ready_nodes: list[int]) -> None:
        """The Service's EndpointSlice as the endpointslice controller writes it: one endpoint per node given."""
        body = {
            "metadata": {"name": f"{SERVICE}-rehearsal", "labels": {SERVICE_NAME_LABEL: SERVICE}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [
                {"addresses": [f"172.20.{i}.2"], "nodeName": node_name(i), "conditions": {"ready": True}}
                for i in ready_nodes
            ],
        }
        try:
            self.discovery.replace_namespaced_endpoint_slice(body["metadata"]["name"], NAMESPACE, body)
        except client.ApiException as exc:
            if exc.status != 404:
                raise
            self.discovery.create_namespaced_endpoint_slice(NAMESPACE, body)

    def service(self) -> dict | None:
        return Kube(self.admin).service(NAMESPACE, SERVICE)

    def clbs(self) -> list[dict]:
        return list(self.emulator.clb.lbs.values())

    def groups(self) -> dict[str, dict]:
        """The VPC security groups the controller owns, by id."""
        return {g: v for g, v in self.emulator.vpc.groups.items() if v["tags"].get(model.TAG_CLUSTER)}

    def targets(self) -> dict[tuple[str, int], list[tuple[str, int]]]:
        """{(protocol, port): sorted (instance, port)} of the only CLB ({} unless there is exactly one)."""
        lbs = self.clbs()
        if len(lbs) != 1:
            return {}
        (lb,) = lbs
        return {
            (x["Protocol"], x["Port"]): sorted((t["InstanceId"], t["Port"]) for t in x["Targets"])
            for x in lb["Listeners"].values()
        }


def apply_rbac(admin: client.ApiClient, cluster: str) -> None:
    """The add-on's ServiceAccount, ClusterRole, Role and bindings, exactly as planning.addons renders them."""
    settings = plan_addons.AddonSettings(
        cluster=cluster, region=REGION, zones=(ZONE,), kubernetes_version=kubernetes_releases.DEFAULT_VERSION
    )
    for obj in plan_addons.lb_controller_objects(settings):
        if obj["kind"] in RBAC_KINDS:
            utils.create_from_dict(admin, obj)


def service_account_client(admin: client.ApiClient, url: str, ca: Path) -> client.ApiClient:
    """A client that authenticates as the add-on's ServiceAccount (a bound token from the TokenRequest API)."""
    token = (
        client.CoreV1Api(admin)
        .create_namespaced_service_account_token(
            plan_addons.lb_controller.NAME, plan_addons.NAMESPACE, {"spec": {"expirationSeconds": 3600}}
        )
        .status.token
    )
    cfg = client.Configuration(host=url, api_key={"authorization": token}, api_key_prefix={"authorization": "Bearer"})
    cfg.ssl_ca_cert = str(ca)
    return client.ApiClient(cfg)


def wait(what: str, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT_SECONDS} s: {what}")
        time.sleep(0.2)


def steps(
    rig: Rig, cluster: str, replica_api: client.ApiClient, leaders: list[str], replicas: dict[str, threading.Event]
) -> list[tuple[str, Callable[[], None]]]:
    """(name, action and its check) in order; each raises AssertionError with what was expected."""

    def rbac() -> None:
        """The controller's token is bound only by the add-on's roles: what they omit, the API server refuses."""
        sa = Kube(replica_api).core
        for what, call in (
            ("list secrets", lambda: sa.list_secret_for_all_namespaces()),
            ("delete a Service", lambda: sa.delete_namespaced_service("kubernetes", "default")),
            ("list configmaps", lambda: sa.list_config_map_for_all_namespaces()),
        ):
            try:
                call()
            except client.ApiException as exc:
                assert exc.status == 403, f"{what}: {exc.status}"
            else:
                raise AssertionError(f"the controller's ServiceAccount may {what}")

    def created() -> None:
        for i in range(3):
            rig.add_node(i)
        rig.core.create_namespaced_service(
            NAMESPACE,
            {
                "metadata": {"name": SERVICE},
                "spec": {
                    "type": "LoadBalancer",
                    "selector": {"app": SERVICE},
                    "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}],
                },
            },
        )
        rig.slice([0, 1, 2])
        wait(
            "status.loadBalancer.ingress",
            lambda: (rig.service() or {}).get("status", {}).get("loadBalancer", {}).get("ingress"),
        )
        svc = rig.service()
        node_port = svc["spec"]["ports"][0]["nodePort"]  # allocated by the API server
        assert len(rig.clbs()) == 1, f"CLBs: {[lb['LoadBalancerId'] for lb in rig.clbs()]}"
        (lb,) = rig.clbs()
        # the controller writes the ip; the API server adds ipMode VIP (LoadBalancerIPMode, beta and on since 1.30)
        assert svc["status"]["loadBalancer"]["ingress"] == [{"ip": lb["LoadBalancerVips"][0], "ipMode": "VIP"}], svc[
            "status"
        ]
        assert model.FINALIZER in svc["metadata"]["finalizers"], svc["metadata"]
        tags = {t["TagKey"]: t["TagValue"] for t in lb["Tags"]}
        assert tags.items() >= model.owner_tags(cluster, svc).items(), lb["Tags"]
        assert rig.targets() == {("TCP", 80): [(instance(i), node_port) for i in range(3)]}, rig.targets()

    def node_joins() -> None:
        rig.add_node(3)
        port = rig.service()["spec"]["ports"][0]["nodePort"]
        wait(
            "the new node among the targets",
            lambda: rig.targets() == {("TCP", 80): [(instance(i), port) for i in range(4)]},
        )

    def local_policy() -> None:
        rig.core.patch_namespaced_service(SERVICE, NAMESPACE, {"spec": {"externalTrafficPolicy": "Local"}})
        rig.slice([1, 3])
        svc = rig.service()
        port, health = svc["spec"]["ports"][0]["nodePort"], svc["spec"]["healthCheckNodePort"]
        wait(
            "only the endpoints' nodes",
            lambda: rig.targets() == {("TCP", 80): [(instance(1), port), (instance(3), port)]},
        )
        listeners = list(rig.clbs()[0]["Listeners"].values())
        assert len(listeners) == 1, listeners
        (listener,) = listeners
        check = listener["HealthCheck"]
        assert (check.get("CheckType"), check.get("CheckPort"), check.get("HttpCheckPath")) == (
            "HTTP",
            health,
            model.HEALTH_PATH,
        ), check

    def source_ranges() -> None:
        """The API server validates the ranges (ValidateService); the controller makes them the CLB's group."""
        rig.core.patch_namespaced_service(SERVICE, NAMESPACE, {"spec": {"loadBalancerSourceRanges": [RANGE]}})
        rules = [
            {"action": "ACCEPT", "protocol": "TCP", "port": "80", "cidrBlock": RANGE},
            {"action": "DROP", "protocol": "ALL", "cidrBlock": "0.0.0.0/0"},
        ]
        wait(
            "the CLB's security group with the range's rules",
            lambda: (
                [g["ingresses"] for g in rig.groups().values()] == [rules]
                and rig.clbs()[0].get("SecureGroups") == list(rig.groups())
            ),
        )

    def pass_to_target() -> None:
        """Someone turns LoadBalancerPassToTarget off (in the console; here the emulator's record); the controller's
        next resync turns it back on."""
        (lb,) = rig.clbs()
        rig.emulator.clb.lbs[lb["LoadBalancerId"]]["LoadBalancerPassToTarget"] = False
        wait("LoadBalancerPassToTarget on again", lambda: rig.clbs()[0]["LoadBalancerPassToTarget"] is True)

    def cvm_gone() -> None:
        rig.emulator.cvm.instances.pop(instance(2))
        rig.set_ready(2, False)
        wait(
            "the Node of the deleted CVM deleted",
            lambda: node_name(2) not in {n.metadata.name for n in rig.core.list_node().items},
        )

    def cvm_stopped() -> None:
        rig.emulator.cvm.instances[instance(1)]["InstanceState"] = "STOPPED"
        rig.set_ready(1, False)
        wait("the shutdown taint on the stopped CVM's Node", lambda: shutdown_tainted(1))
        rig.emulator.cvm.instances[instance(1)]["InstanceState"] = "RUNNING"
        rig.set_ready(1, True)
        wait("the shutdown taint removed once the Node is Ready", lambda: not shutdown_tainted(1))

    def shutdown_tainted(i: int) -> bool:
        taints = rig.core.read_node(node_name(i)).spec.taints or []
        return any((t.key, t.effect) == (model.SHUTDOWN_TAINT["key"], model.SHUTDOWN_TAINT["effect"]) for t in taints)

    def failover() -> None:
        (first,) = leaders
        replicas[first].set()  # the leader stops without releasing the Lease; the other waits for it to lapse
        rig.add_node(4)
        rig.slice([1, 3, 4])
        port = rig.service()["spec"]["ports"][0]["nodePort"]
        wait(
            "the other replica leading and the new endpoint's node among the targets",
            lambda: len(leaders) == 2 and rig.targets() == {("TCP", 80): [(instance(i), port) for i in (1, 3, 4)]},
        )

    def deleted() -> None:
        rig.core.delete_namespaced_service(SERVICE, NAMESPACE)
        wait(
            "the Service gone (its finalizer removed), its CLB and security group deleted",
            lambda: rig.service() is None and not rig.clbs() and not rig.groups(),
        )

    return [
        ("the controller's RBAC", rbac),
        ("a Service gets a CLB", created),
        ("a node joins", node_joins),
        ("externalTrafficPolicy Local", local_policy),
        ("loadBalancerSourceRanges", source_ranges),
        ("pass-to-target turned off", pass_to_target),
        ("a Node whose CVM is gone", cvm_gone),
        ("a stopped CVM's Node", cvm_stopped),
        ("the leader stops", failover),
        ("the Service deleted", deleted),
    ]


def rehearse(bin_dir: Path, work: Path, cluster_name: str = "rehearsal") -> dict:
    """The scenario's report: {"ok", "steps", "requests", "refusals", "apiServer"[, "error"]}."""
    out: dict = {"ok": True, "steps": [], "requests": 0, "refusals": []}
    emulator = Emulator()
    replicas = {pod: threading.Event() for pod in ("replica-a", "replica-b")}  # each replica's stop
    with ExitStack() as stack:
        try:
            kube = stack.enter_context(apiserver.cluster(bin_dir, work))
        except apiserver.StartFailed as exc:
            return out | {"ok": False, "error": f"the API server did not start: {exc}"}
        out["apiServer"] = kube.url
        emulator_url = stack.enter_context(emulator.serve())
        admin = config.new_client_from_config(config_file=str(kube.kubeconfig))
        apply_rbac(admin, cluster_name)
        leaders: list[str] = []
        threads = []
        for pod, stop in replicas.items():
            api = service_account_client(admin, kube.url, work / "pki" / "ca.crt")
            cloud = emulator_cloud(emulator_url)
            controller = Controller(Kube(api), cloud, cluster_name, VPC, SUBNET, node_period=1, resync=2)
            s = {
                "LEASE_NAMESPACE": plan_addons.NAMESPACE,
                "LEASE_NAME": plan_addons.lb_controller.NAME,
                "POD_NAME": pod,
            }

            def lead(pod=pod, controller=controller, stop=stop) -> None:
                leaders.append(pod)
                controller.run(stop)

            election = entry.elect(s, api, lead, stop, lease=6, renew=4, retry=1)
            threads.append(threading.Thread(target=election.run, name=pod, daemon=True))
        stack.callback(lambda: [t.join(timeout=10) for t in threads])
        stack.callback(lambda: [stop.set() for stop in replicas.values()])
        for t in threads:
            t.start()
        rig = Rig(admin, emulator)
        for name, action in steps(rig, cluster_name, api, leaders, replicas):
            step, started = Step(name), time.monotonic()
            try:
                action()
            except (AssertionError, client.ApiException) as exc:
                step.exit, step.error = 1, str(exc).splitlines()[0][:500]
            step.seconds = time.monotonic() - started
            out["steps"].append(step.to_json())
            if step.error:
                out["ok"] = False
                break
        if out["ok"] and len(leaders) != 2:  # one at a time: the second only after the first stopped
            out["ok"], out["error"] = False, f"replicas that led: {leaders} (one, then the other)"
        out["requests"], out["refusals"] = emulator.requests, emulator.refusals
        out["leaders"] = leaders
    return out
