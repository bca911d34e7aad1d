"""etcd backups to COS (planning/backups.py): names and documents exactly, the bucket under the simulated cloud,
what the masters' user data ships, and planning/cos_put.py with Tencent's COS SDK against a fake COS (the master
scripts run in bash: test_backup_scripts.py)."""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import re
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kubecvm.offline.simulated_cloud import CloudState, cos_bucket_name
from kubecvm.planning import backups, build_plan
from tests.bootstrap._boot import files, preset_plan, user_data
from tests.conftest import make_spec

PLAN = preset_plan("prod")
BP = backups.backup_plan(PLAN)
APPID = "1250000000"


# ---- the plan ---------------------------------------------------------------------------------------------------


def test_backup_plan_of_the_prod_preset():
    assert BP == backups.BackupPlan(
        bucket_prefix="kubecvm-prod-etcd",
        bucket_resource="kubecvm-prod-etcd",
        policy="kubecvm-prod-etcd-backup",
        attachment="kubecvm-prod-etcd-backup-attach",
        component="prod-backups",
        interval_hours=6,
        retention_days=30,
        protect=True,
    )
    assert BP.bucket(APPID) == "kubecvm-prod-etcd-1250000000"
    assert backups.backup_plan(build_plan(make_spec("prod", {"backups": {"etcd": False}}))) is None


@pytest.mark.parametrize(
    "prefix, appid, problem",
    [
        ("kubecvm-prod-etcd", "125000000", "appid '125000000': a Tencent Cloud AppID is 10 digits"),
        ("kubecvm-Prod-etcd", APPID, "COS bucket 'kubecvm-Prod-etcd-1250000000'"),
        ("kubecvm-" + "a" * 42, APPID, "at most 60 characters"),
        ("-kubecvm", APPID, "COS bucket '-kubecvm-1250000000'"),
    ],
)
def test_bucket_names_follow_the_providers_rule(prefix, appid, problem):
    with pytest.raises(ValueError, match=re.escape(problem)):
        backups.bucket_name(prefix, appid)


def test_the_longest_cluster_name_still_fits_a_bucket_name():
    # Cluster names are at most 20 characters (spec): kubecvm-<20>-etcd-<10 digits> is 44 <= 60.
    assert backups.bucket_name("kubecvm-" + "a" * 20 + "-etcd", APPID) == f"kubecvm-{'a' * 20}-etcd-{APPID}"


def test_lifecycle_and_policy_exactly():
    assert backups.lifecycle_rules(BP) == [
        {
            "id": "kubecvm-etcd-retention",
            "filter_prefix": "etcd/",
            "expiration": {"days": 30},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
        }
    ]
    doc = json.loads(backups.policy_document(BP, "ap-guangzhou", APPID))
    assert doc == {
        "version": "2.0",
        "statement": [
            {
                "effect": "allow",
                "action": ["cos:PutObject"],
                "resource": ["qcs::cos:ap-guangzhou:uid/1250000000:kubecvm-prod-etcd-1250000000/etcd/*"],
            }
        ],
    }


@pytest.mark.parametrize(
    "backups_config, field",
    [
        ({"intervalHours": 0}, "backups.intervalHours"),
        ({"retentionDays": 0}, "backups.retentionDays"),
        ({"intervalHours": 25}, "backups.intervalHours"),
        ({"every": 6}, "backups.every"),
    ],
)
def test_bad_backup_settings_name_the_field(backups_config, field):
    from kubecvm.stacks.config import ConfigError

    with pytest.raises(ConfigError, match=rf": {field}: "):
        make_spec("prod", {"backups": backups_config})


# ---- the simulated cloud refuses what COS refuses ----------------------------------------------------------------


def test_simulated_cloud_refuses_bad_or_taken_bucket_names():
    state = CloudState()
    assert cos_bucket_name(state, {"bucket": "kubecvm-prod-etcd-1250000000"}) is None
    assert "10-digit appid" in cos_bucket_name(state, {"bucket": "kubecvm-prod-etcd"})
    assert "10-digit appid" in cos_bucket_name(state, {"bucket": "Kubecvm-prod-etcd-1250000000"})
    state.create(
        "k",
        "tencentcloud:Cos/bucket:Bucket",
        "kubecvm-prod-etcd-1250000000",
        {"bucket": "kubecvm-prod-etcd-1250000000"},
    )
    assert cos_bucket_name(state, {"bucket": "kubecvm-prod-etcd-1250000000"}).startswith("BucketAlreadyExists")


def test_bucket_under_the_simulated_cloud():
    from kubecvm.offline.runner import run_program

    import pulumi

    from kubecvm.components.backups import EtcdBackups

    def program():
        EtcdBackups("prod-backups", PLAN, BP, master_role_id=pulumi.Output.from_input("4611686018427387905"))

    recorded = run_program({}, stack="prod", program=program)
    (bucket,) = recorded.of_type("tencentcloud:Cos/bucket:Bucket")
    assert bucket.id == "kubecvm-prod-etcd-1250000000"
    assert {k: bucket.inputs[k] for k in ("bucket", "acl", "encryptionAlgorithm", "forceClean")} == {
        "bucket": "kubecvm-prod-etcd-1250000000",
        "acl": "private",
        "encryptionAlgorithm": "AES256",
        "forceClean": False,
    }
    assert bucket.inputs["lifecycleRules"] == [
        {
            "id": "kubecvm-etcd-retention",
            "filterPrefix": "etcd/",
            "expiration": {"days": 30},
            "abortIncompleteMultipartUpload": {"daysAfterInitiation": 1},
        }
    ]
    assert bucket.inputs["tags"]["kubecvm/cluster"] == "prod" and bucket.inputs["tags"]["kubecvm/role"] == "backup"
    assert bucket.protect is True  # prod: the bucket outlives a mistaken destroy
    (policy,) = recorded.of_type("tencentcloud:Cam/policy:Policy")
    assert json.loads(policy.inputs["document"]) == json.loads(backups.policy_document(BP, "ap-guangzhou", APPID))
    (attach,) = recorded.of_type("tencentcloud:Cam/rolePolicyAttachment:RolePolicyAttachment")
    assert attach.inputs["roleId"] == "4611686018427387905" and attach.inputs["policyId"] == policy.id


# ---- user data ----------------------------------------------------------------------------------------------------


def test_masters_ship_the_timers_workers_none():
    for m in PLAN.machines:
        written = files(user_data(PLAN, m))
        timers = sorted(p for p in written if p.startswith("/etc/systemd/system/kubecvm-") and p.endswith(".timer"))
        if m.role == "master":
            assert timers == [
                "/etc/systemd/system/kubecvm-cert-renew.timer",
                "/etc/systemd/system/kubecvm-etcd-backup.timer",
                "/etc/systemd/system/kubecvm-token-sync.timer",
            ]
            assert "OnUnitActiveSec=6h" in written["/etc/systemd/system/kubecvm-etcd-backup.timer"]["content"]
            assert (
                "BACKUP_BUCKET=kubecvm-prod-etcd "
                in written["/etc/systemd/system/kubecvm-etcd-backup.service"]["content"]
            )
            assert written["/usr/local/lib/kubecvm/cos_put.py"]["content"].startswith("# Upload one file to COS")
        else:
            assert timers == []
    hours = [
        files(user_data(PLAN, m))["/etc/systemd/system/kubecvm-cert-renew.timer"]["content"].split("OnCalendar=")[1][
            :16
        ]
        for m in PLAN.masters
    ]
    assert hours == ["Sun *-*-* 02:30:", "Sun *-*-* 04:30:", "Sun *-*-* 06:30:"]  # never two masters at once


def test_without_backups_no_backup_files():
    plan = build_plan(make_spec("prod", {"backups": {"etcd": False}}))
    written = files(user_data(plan, plan.masters[0]))
    assert not [p for p in written if "etcd-backup" in p or p.endswith("cos_put.py")]
    # The COS SDK comes with tccli anyway (tccli imports its cos plugin): planning/node-pip.lock, on every node.
    assert "cos-python-sdk-v5==" in written["/etc/kubecvm/pip.lock"]["content"]
    assert "/etc/systemd/system/kubecvm-cert-renew.timer" in written  # renewal has nothing to do with backups


# ---- cos_put.py with Tencent's COS SDK against a fake COS on 127.0.0.1 -----------------------------------------
# The real SDK makes the request: cos-python-sdk-v5, pinned for the tests at the version masters install. The child
# process gets a sitecustomize that resolves the bucket's host name to the fake's port on 127.0.0.1 and refuses
# every other name, so nothing leaves the machine; TLS is real (the fake's certificate names that host, and
# REQUESTS_CA_BUNDLE trusts its CA), so the script's https endpoint is what is exercised.

BUCKET_HOST = "kubecvm-prod-etcd-1250000000.cos.ap-guangzhou.myqcloud.com"
RESOLVE_ONLY_THE_FAKE = """
import os, socket
_real = socket.getaddrinfo
def getaddrinfo(host, port, *args, **kwargs):
    if host == os.environ["FAKE_COS_HOST"]:
        return _real("127.0.0.1", int(os.environ["FAKE_COS_PORT"]), *args, **kwargs)
    if host == "127.0.0.1":
        return _real(host, port, *args, **kwargs)
    raise socket.gaierror("test: %s is not the fake COS" % host)
socket.getaddrinfo = getaddrinfo
"""


class _Meta(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        base = "/latest/meta-data/cam/security-credentials/"
        body = {
            base: b"kubecvm-prod-master\n",
            base + "kubecvm-prod-master": json.dumps(
                {"TmpSecretId": "AKIDtmp", "TmpSecretKey": "tmpkey", "Token": "tok", "ExpiredTime": 1}
            ).encode(),
        }.get(self.path)
        self.send_response(200 if body else 404)
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args):
        pass


class _FakeCos(BaseHTTPRequestHandler):
    seen: list = []

    def _answer(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _FakeCos.seen.append((self.command, self.path, dict(self.headers), body))
        ok = self.command == "PUT"
        self.send_response(200 if ok else 403)
        if ok:
            self.send_header("ETag", '"%s"' % hashlib.md5(body).hexdigest())
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_PUT = do_GET = do_POST = _answer  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.fixture
def cos_put(tmp_path: Path, loopback_tls):
    """Run the shipped cos_put.py for `path` with the real SDK; (result, requests the fake COS saw)."""
    meta = ThreadingHTTPServer(("127.0.0.1", 0), _Meta)
    threading.Thread(target=meta.serve_forever, daemon=True).start()
    cos = loopback_tls(_FakeCos, dns=[BUCKET_HOST], subject=BUCKET_HOST)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sitecustomize.py").write_text(RESOLVE_ONLY_THE_FAKE)
    script = tmp_path / "cos_put.py"
    script.write_text(files(user_data(PLAN, PLAN.masters[0]))["/usr/local/lib/kubecvm/cos_put.py"]["content"])
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(tmp_path / "site"),
        "REQUESTS_CA_BUNDLE": cos.ca_file,
        "FAKE_COS_HOST": BUCKET_HOST,
        "FAKE_COS_PORT": str(cos.port),
        "METADATA_URL": f"http://127.0.0.1:{meta.server_port}/latest/meta-data/cam/security-credentials/",
    }

    def run(path: Path):
        _FakeCos.seen = []
        result = subprocess.run(
            [
                sys.executable,
                str(script),
                "kubecvm-prod-etcd-1250000000",
                "ap-guangzhou",
                str(path),
                "etcd/prod-master-0/x.db",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return result, _FakeCos.seen

    yield run
    meta.shutdown()
    meta.server_close()


def test_the_tests_run_the_cos_sdk_version_masters_install():
    assert importlib.metadata.version("cos-python-sdk-v5") == backups.COS_SDK_VERSION


def test_cos_put_is_one_encrypted_signed_put_with_the_role_credentials(tmp_path: Path, cos_put):
    snapshot = tmp_path / "snapshot.db"
    snapshot.write_bytes(os.urandom(1024) * 2049)  # above upload_file's 1 MB part size: still one PutObject
    result, seen = cos_put(snapshot)
    assert result.returncode == 0, result.stderr
    [(method, path, headers, body)] = seen
    headers = {k.lower(): v for k, v in headers.items()}
    assert (method, path, body) == ("PUT", "/etcd/prod-master-0/x.db", snapshot.read_bytes())
    assert headers["host"] == BUCKET_HOST
    assert headers["x-cos-server-side-encryption"] == "AES256"
    assert headers["x-cos-security-token"] == "tok"
    assert headers["content-md5"] == base64.b64encode(hashlib.md5(body).digest()).decode()
    sign = dict(part.split("=", 1) for part in headers["authorization"].split("&"))
    assert sign["q-sign-algorithm"] == "sha1" and sign["q-ak"] == "AKIDtmp" and len(sign["q-signature"]) == 40
    assert "host" in sign["q-header-list"].split(";")
    # The one COS action that request needs is the one the masters' policy allows.
    assert backups.CAM_ACTIONS == ("cos:PutObject",)
