"""The add-ons scenario's parts, without building or starting anything: the wrapper modules' versions, the build
steps' decisions and manifest entries, the API server's certificates and flags, the program's plans.

The scenario itself (the real provider against a real kube-apiserver) is `./dev rehearse`, which CI runs.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from kubecvm.offline.rehearsal import __main__ as cli, apiserver, engine, gobuild, run, scenarios
from kubecvm.planning import kubernetes_releases

REPO = Path(__file__).resolve().parents[2]
PSEUDO = "v4.0.0-20260115033456-f47bc2d6f199"


def binary(name: str) -> gobuild.GoBinary:
    return next(b for b in gobuild.BINARIES if b.name == name)


def test_each_binary_is_built_from_the_version_its_wrapper_requires():
    assert {b.name: gobuild.version_of(b) for b in gobuild.BINARIES} == {
        "etcd": "v3.5.15",
        "kube-apiserver": "v1.30.14",
        "kube-controller-manager": "v1.30.14",
        "kubernetes": PSEUDO,
    }
    assert gobuild.required_version("module x\n\nrequire (\n\ta/b v1.2.3 // indirect\n)\n", "a/b") == "v1.2.3"
    with pytest.raises(engine.BuildError, match="no `require a/c`"):
        gobuild.required_version("require a/b v1\n", "a/c")


def test_kube_apiserver_is_of_the_minor_kubecvm_deploys_by_default():
    major_minor = kubernetes_releases.DEFAULT_VERSION.rsplit(".", 1)[0]
    assert gobuild.version_of(binary("kube-apiserver")).startswith(f"v{major_minor}.")


def test_every_staging_module_is_replaced_by_its_release_of_the_same_kubernetes_version():
    """k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging paths; the wrapper
    replaces each with the module published for the release (v1.30.14 -> v0.30.14)."""
    go_mod = (engine.wrappers() / "kube-apiserver" / "go.mod").read_text()
    version = gobuild.version_of(binary("kube-apiserver"))
    replaces = re.findall(r"^\s*(k8s\.io/\S+) => (k8s\.io/\S+) (v\S+)$", go_mod, re.M)
    assert len(replaces) == 30
    assert {(a == b, v) for a, b, v in replaces} == {(True, "v0" + version.removeprefix("v1"))}


def test_the_kubernetes_version_is_stamped_as_the_release_build_stamps_it():
    assert gobuild.kube_version_flags("v1.30.14") == (
        "-X k8s.io/component-base/version.gitVersion=v1.30.14 -X k8s.io/component-base/version.gitMajor=1 "
        "-X k8s.io/component-base/version.gitMinor=30 -X k8s.io/component-base/version.gitTreeState=clean"
    )


def test_the_provider_carries_the_python_sdks_version_as_its_plugin_version(tmp_path, monkeypatch):
    lock = (REPO / "requirements.lock").read_text()
    assert re.search(r"^pulumi-kubernetes==(\S+)", lock, re.M).group(1) == gobuild.plugin_label() == "4.34.2"
    assert (
        gobuild.provider_flags(PSEUDO)
        == "-X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=4.34.2"
    )
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert gobuild.output(binary("kubernetes")) == (
        tmp_path / "kubecvm/engine/3.274.0/home/plugins/resource-kubernetes-v4.34.2/pulumi-resource-kubernetes"
    )
    assert gobuild.output(binary("etcd")) == tmp_path / "kubecvm/engine/3.274.0/bin/etcd"


def test_the_provider_schema_is_embedded_with_the_plugin_version_as_go_generate_writes_it(tmp_path):
    src = tmp_path / "module" / gobuild.PROVIDER_MAIN
    src.mkdir(parents=True)
    (src / "schema.json").write_text('{"name": "kubernetes",\n "version": "", "resources": {}}')
    (src / "terraform-mapping.json").write_text('{"a": [1, 2]}\n')
    gobuild.provider_embeds(tmp_path / "module", tmp_path)
    assert (tmp_path / "schema-embed.json").read_text() == '{"name":"kubernetes","version":"4.34.2","resources":{}}'
    assert (tmp_path / "terraform-mapping-embed.json").read_text() == '{"a":[1,2]}'


def test_the_first_module_error_of_go_mod_download_is_the_refusal():
    ok = json.dumps({"Path": "a/b", "Version": "v1.0.0", "Zip": "/x.zip"}, indent="\t")
    bad = json.dumps(
        {
            "Path": "k8s.io/pod-security-admission",
            "Version": "v0.30.6",
            "Error": "reading .../v0.30.6.zip: 403 Forbidden",
        },
        indent="\t",
    )
    assert gobuild.first_refusal(f"{ok}\n{bad}\n{ok}\n") == (
        "k8s.io/pod-security-admission@v0.30.6: reading .../v0.30.6.zip: 403 Forbidden"
    )
    assert gobuild.first_refusal(f"{ok}\n") is None and gobuild.first_refusal("") is None


def fake_go(answers: dict, calls: list):
    def go(args, cwd, env=None):
        calls.append((args[0], Path(cwd).name))
        stdout = answers.get((args[0], Path(cwd).name), "")
        return subprocess.CompletedProcess(["go", *args], 0, stdout, "")

    return go


def test_a_refused_module_is_recorded_and_its_binary_not_built(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    refusal = json.dumps({"Path": "go.etcd.io/etcd/server/v3", "Version": "v3.5.15", "Error": "403 Forbidden"})
    calls: list = []
    monkeypatch.setattr(engine, "_go", fake_go({("mod", "etcd"): refusal}, calls))
    monkeypatch.setattr(gobuild, "BINARIES", (binary("etcd"),))
    built, refused = gobuild.build_all({}, say=lambda _m: None)
    assert (built, calls) == ({}, [("mod", "etcd")])
    assert refused == {
        "etcd": {
            "module": "go.etcd.io/etcd/server/v3@v3.5.15",
            "error": "go.etcd.io/etcd/server/v3@v3.5.15: 403 Forbidden",
            "neededBy": "the add-ons scenario's API server storage",
        }
    }


def test_a_binary_built_from_the_same_version_is_kept_and_one_from_another_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    etcd = binary("etcd")
    monkeypatch.setattr(gobuild, "BINARIES", (etcd,))
    gobuild.output(etcd).parent.mkdir(parents=True)
    gobuild.output(etcd).write_text("")
    calls: list = []
    monkeypatch.setattr(engine, "_go", fake_go({}, calls))
    entry = {"module": "go.etcd.io/etcd/server/v3@v3.5.15", "path": str(gobuild.output(etcd))}
    assert gobuild.build_all({"etcd": entry}, say=lambda _m: None) == ({"etcd": entry}, {})
    assert calls == []
    built, _ = gobuild.build_all(
        {"etcd": {**entry, "module": "go.etcd.io/etcd/server/v3@v3.5.14"}}, say=lambda _m: None
    )
    assert calls == [("mod", "etcd"), ("build", "etcd")] and set(built["etcd"]) == {"module", "path", "seconds"}


def test_the_add_ons_scenario_cannot_run_until_its_binaries_are_built():
    sc = scenarios.addons(REPO / "Pulumi.prod.yaml")
    assert sc.needs == ("kubernetes", "kube-apiserver", "kube-controller-manager", "etcd") and sc.cluster
    assert sc.controller_manager and scenarios.pools(sc) == ["general", "batch"]
    out = cli.skipped(sc, {"kubernetes": {"error": "403"}}, ("kube-apiserver", "kubernetes"))
    assert out["cannotRun"] == (
        "needs kubernetes, which cannot be built here; "
        "needs kube-apiserver, not built yet: run `./dev rehearse --build`"
    )


def test_the_report_names_each_built_binarys_module():
    manifest = {
        "built": {
            "kubernetes": {"module": f"{gobuild.PROVIDER}@{PSEUDO}", "pluginVersion": "4.34.2"},
            "etcd": {"module": "go.etcd.io/etcd/server/v3@v3.5.15"},
        }
    }
    assert cli.built_binaries(manifest) == {
        "kubernetes": f"4.34.2 ({gobuild.PROVIDER}@{PSEUDO})",
        "etcd": "go.etcd.io/etcd/server/v3@v3.5.15",
    }


def test_the_add_ons_states_are_created_a_pool_added_the_disk_type_moved_prometheus_added_then_destroyed():
    sc = scenarios.addons(REPO / "Pulumi.prod.yaml")
    assert [s.label for s in sc.states] == [
        "create",
        "a pool added",
        "volumes on CLOUD_PREMIUM",
        "Prometheus in agent mode",
        "destroy",
    ]
    pools = [
        [(p["name"], p.get("dataDisk", {}).get("type")) for p in s.config["kubecvm:cluster"]["nodePools"]]
        for s in sc.states
    ]
    assert pools == [
        [("general", "CLOUD_SSD")],
        [("general", "CLOUD_SSD"), ("batch", None)],
        *[[("general", "CLOUD_PREMIUM"), ("batch", None)]] * 3,
    ]
    assert [s.config["kubecvm:cluster"].get("monitoring") for s in sc.states][2:] == [None, *[scenarios.PROMETHEUS] * 2]


def test_predictions_of_the_add_ons_scenario_come_from_kubecvm_plan_and_diff(tmp_path):
    """46 objects (the Kubernetes provider is not counted, as the engine's count leaves it out); a pool added updates
    the CSR approver's ConfigMap and the ingress DaemonSet; a new disk type is a new StorageClass; Prometheus in agent mode adds 16 objects."""
    sc = scenarios.addons(REPO / "Pulumi.prod.yaml")
    docs = [
        run.state_plan(sc.program, "prod", state.config, tmp_path / str(i)) for i, state in enumerate(sc.states[:4])
    ]
    assert run.predict(None, docs[0])[0] == {"create": 46, "update": 0, "replace": 0, "delete": 0}
    assert run.predict(docs[0], docs[1])[0] == {"create": 0, "update": 2, "replace": 0, "delete": 0}
    assert run.predict(docs[1], docs[2])[0] == {"create": 1, "update": 0, "replace": 0, "delete": 1}
    assert run.predict(docs[2], docs[3])[0] == {"create": 16, "update": 0, "replace": 0, "delete": 0}
    assert run.predict(docs[3], None)[0] == {"create": 0, "update": 0, "replace": 0, "delete": 62}
    annotations = {
        tuple(
            r["inputs"]["metadata"].get("annotations", {}).get(f"pulumi.com/{a}")
            for a in ("skipAwait", "deletionPropagationPolicy")
        )
        for r in docs[0]["resources"]
        if r["type"].startswith("kubernetes:") and "metadata" in r["inputs"]
    }
    assert annotations == {("true", None)}  # deleted as the component deletes (foreground; the GC runs here)


def test_the_programs_test_certificate_is_the_same_bytes_every_time():
    import runpy

    program = runpy.run_path(str(scenarios.ADDONS), run_name="not-main")
    first = program["test_tls"]("metrics-server.kube-system.svc", ("metrics-server.kube-system.svc",))
    assert first == program["test_tls"]("metrics-server.kube-system.svc", ("metrics-server.kube-system.svc",))
    assert first[0].startswith("-----BEGIN CERTIFICATE-----") and "PRIVATE KEY" in first[2]


def test_the_api_servers_certificates_name_loopback_and_make_the_admin_a_master(tmp_path):
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    files = apiserver.pki(tmp_path)
    assert sorted(files) == ["admin.crt", "admin.key", "apiserver.crt", "apiserver.key", "ca.crt", "sa.key", "sa.pub"]
    serving = x509.load_pem_x509_certificate(files["apiserver.crt"].read_bytes())
    sans = serving.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "10.96.0.1"]
    admin = x509.load_pem_x509_certificate(files["admin.crt"].read_bytes()).subject
    assert [a.value for a in admin.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)] == ["system:masters"]
    assert {oct(f.stat().st_mode & 0o777) for f in files.values()} == {"0o600"}
    doc = yaml.safe_load(apiserver.kubeconfig("https://127.0.0.1:6443", files))
    assert doc["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    assert set(doc["users"][0]["user"]) == {"client-certificate-data", "client-key-data"}


def test_the_api_server_runs_with_kubeadms_authorization_and_admission_on_loopback(tmp_path):
    files = {f: tmp_path / f for f in ("ca.crt", "apiserver.crt", "apiserver.key", "sa.key", "sa.pub")}
    cmd = apiserver.apiserver_command(tmp_path / "kube-apiserver", files, 2379, 6443)
    for flag in (
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        "--allow-privileged=true",
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        "--etcd-servers=http://127.0.0.1:2379",
        "--secure-port=6443",
    ):
        assert flag in cmd
    assert all(
        "127.0.0.1" in u
        for u in apiserver.etcd_command(tmp_path / "etcd", tmp_path, 2379, 2380)
        if u.startswith("http")
    )


def test_the_controller_scenario_needs_the_api_server_and_names_what_is_not_built():
    sc = scenarios.lb_controller()
    assert (sc.program, sc.lb_controller, sc.needs) == (None, True, ("kube-apiserver", "etcd"))
    out = cli.skipped(sc, {}, ("kube-apiserver",))
    assert (out["ok"], out["cannotRun"]) == (None, "needs kube-apiserver, not built yet: run `./dev rehearse --build`")


def test_the_controller_runs_as_the_add_ons_own_service_account(monkeypatch):
    """The scenario binds nothing of its own: the RBAC it applies is every ServiceAccount, role and binding the add-on
    renders, and nothing else."""
    from kubecvm.offline.rehearsal import lb_controller
    from kubecvm.planning import addons

    applied = []
    monkeypatch.setattr(lb_controller.utils, "create_from_dict", lambda _api, obj: applied.append(obj))
    lb_controller.apply_rbac(None, "demo")
    settings = addons.AddonSettings(
        cluster="demo", region="ap-guangzhou", zones=("ap-guangzhou-3",), kubernetes_version="1.30"
    )
    rendered = [o for o in addons.lb_controller_objects(settings) if o["kind"] in lb_controller.RBAC_KINDS]
    assert applied == rendered and {o["kind"] for o in applied} == set(lb_controller.RBAC_KINDS)
    assert all("*" not in str(r) for o in applied for r in o.get("rules", []))


def test_the_controller_manager_runs_with_kubeadms_controller_flags(tmp_path):
    files = {f: tmp_path / f for f in ("ca.crt", "sa.key")}
    cmd = apiserver.controller_manager_command(tmp_path / "kcm", files, tmp_path / "kubeconfig")
    for flag in (
        "--use-service-account-credentials=true",
        f"--service-account-private-key-file={files['sa.key']}",
        f"--root-ca-file={files['ca.crt']}",
        f"--kubeconfig={tmp_path / 'kubeconfig'}",
        "--controllers=*",
    ):
        assert flag in cmd
    assert gobuild.version_of(binary("kube-controller-manager")) == gobuild.version_of(binary("kube-apiserver"))
