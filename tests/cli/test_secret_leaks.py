"""The secret-leak scan: every output format of `kubecvm plan` and `kubecvm diff` is searched for every
secret value the simulated cloud handed the program (PKI private keys, the bootstrap token parts, the encryption
key), in clear and base64-encoded, and for PEM private-key markers."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from cli_helpers import kubecvm

from kubecvm.offline.simulated_cloud import SECRET_OUTPUTS, SimulatedCloud

PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
# What is secret by nature: private keys, the token parts, the encryption key. Certificates and public keys are
# Pulumi secrets in kubecvm's own PKI too, but public by design (a webhook's caBundle carries one in clear).
SECRET_VALUES = {
    "privateKeyPem",
    "privateKeyPemPkcs8",
    "privateKeyOpenssh",
    "caPrivateKeyPem",
    "result",
    "bcryptHash",
    "base64",
    "hex",
}
KINDS = {
    "tls:index/privateKey:PrivateKey",
    "random:index/randomPassword:RandomPassword",
    "random:index/randomBytes:RandomBytes",
}


@pytest.fixture
def secrets(monkeypatch) -> dict[str, set[str]]:
    """Every secret output value the simulated cloud returns, by resource type, as the runs make them."""
    seen: dict[str, set[str]] = {}
    original = SimulatedCloud.new_resource

    def recording(self, args):
        rid, state = original(self, args)
        for name in SECRET_OUTPUTS.get(args.typ, ()):
            if name not in SECRET_VALUES:
                continue
            value = state.get(name)
            if isinstance(value, dict) and "value" in value and isinstance(value["value"], str) and value["value"]:
                seen.setdefault(args.typ, set()).add(value["value"])
        return rid, state

    monkeypatch.setattr(SimulatedCloud, "new_resource", recording)
    return seen


def needles(seen: dict[str, set[str]]) -> set[str]:
    """What must never appear: each value, its base64 (kubeconfigs embed PEMs so), and each PEM body line."""
    out = set()
    for values in seen.values():
        for v in values:
            out |= {v, base64.b64encode(v.encode()).decode()}
            out |= {line for line in v.splitlines() if len(line) >= 40 and not line.startswith("-----")}
    return out


def scan(name: str, text: str, found: set[str]) -> None:
    assert not PRIVATE_KEY.search(text), f"{name}: a PEM private key marker"
    assert "PRIVATE KEY" not in text, name
    leaked = sorted(n[:12] + "..." for n in found if n in text)
    assert not leaked, f"{name} holds secret values: {leaked}"


def test_no_output_format_of_plan_or_diff_holds_a_secret(tmp_path: Path, secrets):
    # The prod stack with a world-open API, so the reports hold violations too (their messages name resources);
    # each run writes one plan format, one report and (once) the diagram.
    world = tmp_path / "Pulumi.open.yaml"
    world.write_text(
        json.dumps(
            {
                "config": {
                    "tencentcloud:region": "ap-guangzhou",
                    "kubecvm:preset": "prod",
                    "kubecvm:cluster": {
                        "name": "prod",
                        "zones": ["ap-guangzhou-3", "ap-guangzhou-4", "ap-guangzhou-6"],
                        "apiEndpoint": {"exposure": "public", "allowedCidrs": ["0.0.0.0/0"]},
                    },
                }
            }
        )
    )
    outputs: dict[str, str] = {}
    for fmt, report in (("text", "sarif"), ("markdown", "junit"), ("json", "github")):
        out, svg = tmp_path / f"report.{report}", tmp_path / f"{fmt}.svg"
        extra = ("--diagram", svg) if fmt == "json" else ()
        run = kubecvm("plan", "prod", "--config-file", world, "--format", fmt, "--report", report, "--out", out, *extra)
        assert run.exit_code == 1, run.stderr  # the world-open API is a mandatory violation
        outputs[f"plan --format {fmt}"] = run.stdout + run.stderr
        outputs[f"plan --report {report}"] = out.read_text()
        if extra:
            outputs["plan --diagram"] = svg.read_text()
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(kubecvm("plan", "prod", "--format", "json", "--no-policies").stdout)
    new.write_text(outputs["plan --format json"])
    for fmt in ("text", "json", "markdown"):
        run = kubecvm("diff", old, new, "--format", fmt)
        assert run.exit_code in (0, 3), run.stderr
        outputs[f"diff --format {fmt}"] = run.stdout + run.stderr
    assert "kubecvm-security-api-world-open" in outputs["plan --report sarif"]

    # The scan is not vacuous: the runs did hand out every kind of secret, and the scan finds one planted.
    assert KINDS <= secrets.keys(), sorted(secrets)
    assert any(v.startswith("-----BEGIN PRIVATE KEY-----") for v in secrets["tls:index/privateKey:PrivateKey"])
    key = secrets["random:index/randomBytes:RandomBytes"]  # its base64 and hex forms: 32 bytes
    assert sorted(len(v) for v in key) == [44, 64] and any(len(base64.b64decode(v)) == 32 for v in key if len(v) == 44)
    found = needles(secrets)
    planted = next(iter(secrets["random:index/randomBytes:RandomBytes"]))
    with pytest.raises(AssertionError, match="holds secret values"):
        scan("planted", outputs["plan --format json"] + planted, found)
    for name, text in outputs.items():
        assert text, name
        scan(name, text, found)
    assert "[secret]" in outputs["plan --format json"]  # secrets are there, masked
