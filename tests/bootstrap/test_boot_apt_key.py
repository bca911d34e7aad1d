"""kubecvm-boot checks the Kubernetes repository's key against the pinned fingerprint before apt trusts it: with the
fake gpg's listings and with keys made by the real gpg."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kubecvm.planning import bootstrap
from tests.bootstrap._boot_node import PLAN, boot, key_records, node, run_boot

OTHER_FPR = "0123456789ABCDEF0123456789ABCDEF01234567"


def refused_boot(n: dict) -> tuple[str, str]:
    """Run kubecvm-boot expecting it to fail: (its calls, its log)."""
    n["calls"].write_text("")
    result = run_boot(n)
    assert result.returncode != 0
    return n["calls"].read_text(), (n["root"] / "var/log/kubecvm-boot.log").read_text()


def test_the_pinned_repository_key_is_checked_before_it_is_dearmored(tmp_path: Path):
    n = node(tmp_path, PLAN.workers[0])
    calls = boot(n)
    show = next(i for i, c in enumerate(calls) if "--show-keys" in c)
    dearmor = next(i for i, c in enumerate(calls) if "--dearmor" in c)
    assert calls[show] == "gpg --batch --show-keys --with-colons ROOT/tmp/kubernetes.key"
    assert show < dearmor < next(i for i, c in enumerate(calls) if c.startswith("apt-get"))


@pytest.mark.parametrize(
    "release_key",
    [
        key_records(OTHER_FPR),  # another key
        key_records(bootstrap.KUBERNETES_APT_KEY_FINGERPRINT, OTHER_FPR),  # an extra key beside it
        key_records(bootstrap.KUBERNETES_APT_KEY_FINGERPRINT, subkey=OTHER_FPR),  # a subkey the pinned key has not
        "not a key\n",  # garbage (an error page)
    ],
)
def test_a_repository_key_that_is_not_exactly_the_pinned_one_stops_the_boot_before_apt(tmp_path: Path, release_key):
    n = node(tmp_path, PLAN.masters[0])
    n["env"]["RELEASE_KEY"] = release_key
    calls, log = refused_boot(n)
    assert f"Release.key: it is not (only) the key {bootstrap.KUBERNETES_APT_KEY_FINGERPRINT}" in log
    assert "--dearmor" not in calls and "apt-get" not in calls and "pip" not in calls and "kubeadm" not in calls
    assert not (n["root"] / "etc/apt/keyrings/kubernetes.gpg").exists()
    assert not (n["root"] / "etc/apt/sources.list.d/kubernetes.list").exists()


def test_an_expired_repository_key_stops_the_boot_before_apt(tmp_path: Path):
    n = node(tmp_path, PLAN.workers[0])
    n["env"]["RELEASE_KEY"] = key_records(bootstrap.KUBERNETES_APT_KEY_FINGERPRINT, validity="e", expires="1730505600")
    calls, log = refused_boot(n)
    assert log.splitlines()[-1].endswith(
        f"kubecvm: refusing http://mirrors.tencentyun.com/kubernetes_new/core:/stable:/v1.30/deb/Release.key: "
        f"the key {bootstrap.KUBERNETES_APT_KEY_FINGERPRINT} has expired"
    )
    assert "--dearmor" not in calls and "apt-get" not in calls and "kubeadm" not in calls
    assert not (n["root"] / "etc/apt/keyrings/kubernetes.gpg").exists()


def test_an_unexpired_key_with_an_expiry_is_accepted(tmp_path: Path):
    n = node(tmp_path, PLAN.workers[0])
    n["env"]["RELEASE_KEY"] = key_records(bootstrap.KUBERNETES_APT_KEY_FINGERPRINT, expires="4102444800")
    assert "apt-get update -q" in boot(n)


@pytest.fixture(scope="module")
def real_keys(tmp_path_factory) -> dict[str, str]:
    """Throwaway keys made by the real gpg, armored: one primary key, two keys, one key with a subkey."""
    home = tmp_path_factory.mktemp("gnupg")
    home.chmod(0o700)
    gpg = ["gpg", "--homedir", str(home), "--batch", "--passphrase", ""]
    fpr = {}
    # d expired: made on 2020-01-01 (gpg's --faked-system-time) to last a day; e expires in ten years.
    for name, expiry, at in (
        ("a", "never", ()),
        ("b", "never", ()),
        ("c", "never", ()),
        ("d", "1d", ("--faked-system-time", "20200101T000000")),
        ("e", "10y", ()),
    ):
        subprocess.run(
            [*gpg, *at, "--quick-gen-key", f"{name} <{name}@example.com>", "ed25519", "sign", expiry],
            check=True,
            capture_output=True,
        )
        listing = subprocess.run(
            [*gpg, "--with-colons", "--list-keys", f"{name}@example.com"], check=True, capture_output=True, text=True
        ).stdout
        fpr[name] = next(r.split(":")[9] for r in listing.splitlines() if r.startswith("fpr:"))
    subprocess.run([*gpg, "--quick-add-key", fpr["c"], "cv25519", "encr", "never"], check=True, capture_output=True)

    def export(*who):
        return subprocess.run([*gpg, "--armor", "--export", *who], check=True, capture_output=True, text=True).stdout

    return {
        "one": (fpr["a"], export(fpr["a"])),
        "two": (fpr["a"], export(fpr["a"], fpr["b"])),
        "subkey": (fpr["c"], export(fpr["c"])),
        "expired": (fpr["d"], export(fpr["d"])),
        "expiring": (fpr["e"], export(fpr["e"])),
    }


@pytest.mark.skipif(not shutil.which("gpg"), reason="gpg not installed")
@pytest.mark.parametrize(
    "which, accepted", [("one", True), ("two", False), ("subkey", False), ("expired", False), ("expiring", True)]
)
def test_the_key_check_reads_what_the_real_gpg_prints(tmp_path: Path, real_keys, which, accepted):
    # The real gpg instead of the fake, with the expected fingerprint set to the throwaway key's.
    fpr, armored = real_keys[which]
    n = node(tmp_path, PLAN.workers[0])
    (tmp_path / "bin/gpg").unlink()
    (tmp_path / "gnupg").mkdir(mode=0o700)
    n["env"].update(RELEASE_KEY=armored, GNUPGHOME=str(tmp_path / "gnupg"))
    env_file = n["root"] / "etc/kubecvm/boot.env"
    env_file.write_text(env_file.read_text().replace(bootstrap.KUBERNETES_APT_KEY_FINGERPRINT, fpr))
    if accepted:
        assert "apt-get update -q" in boot(n)
        assert (n["root"] / "etc/apt/keyrings/kubernetes.gpg").read_bytes()[:1] != b"-"  # dearmored (binary)
    else:
        calls, log = refused_boot(n)
        reason = f"the key {fpr} has expired" if which == "expired" else f"it is not (only) the key {fpr}"
        assert "apt-get" not in calls and log.splitlines()[-1].endswith(f"/Release.key: {reason}")
