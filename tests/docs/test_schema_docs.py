"""One schema: the spec's descriptions are the only prose about a setting, and components/args.py and the
configuration reference are generated from them (tools/gen_schema_docs.py)."""

from __future__ import annotations

import difflib
import importlib.util
import subprocess
import sys

from kubecvm.offline.runner import PROJECT_DIR
from kubecvm.planning import spec
from kubecvm.stacks.arguments import nested_model

TOOL = PROJECT_DIR / "tools" / "gen_schema_docs.py"


def generator():
    loaded = importlib.util.spec_from_file_location("gen_schema_docs", TOOL)
    module = sys.modules.setdefault(loaded.name, importlib.util.module_from_spec(loaded))
    loaded.loader.exec_module(module)
    return module


def models() -> list[type]:
    todo, seen = [spec.ClusterSpec], []
    while todo:
        model = todo.pop()
        if model not in seen:
            seen.append(model)
            todo += [m for info in model.model_fields.values() if (m := nested_model(info.annotation))]
    return seen


def test_every_setting_and_object_has_a_description():
    missing = [
        f"{model.__name__}.{name}"
        for model in models()
        for name, info in model.model_fields.items()
        if not (info.description or "").strip()
    ]
    assert missing == []
    assert all(model.model_config["json_schema_extra"]["description"].strip() for model in models())


def test_the_generated_files_are_up_to_date():
    gen = generator()
    stale = []
    for path, text in gen.outputs().items():
        current = path.read_text()
        if current != text:
            rel = str(path.relative_to(PROJECT_DIR))
            stale.append("".join(difflib.unified_diff(current.splitlines(True), text.splitlines(True), rel, rel)))
    assert not stale, f"generated from planning/spec/ and out of date: run `{gen.COMMAND}`\n" + "\n".join(stale)


def test_the_check_mode_fails_with_a_diff_and_the_command(tmp_path, monkeypatch):
    gen = generator()
    stale = tmp_path / "configuration.md"
    stale.write_text(gen.REFERENCE.read_text().replace("| `kubecvm:cluster.zones` |", "| `kubecvm:cluster.zone` |"))
    monkeypatch.setattr(gen, "REFERENCE", stale)
    monkeypatch.setattr(gen, "ROOT", tmp_path.parent)
    monkeypatch.setattr(gen, "ARGS", PROJECT_DIR / "components" / "args.py")
    assert gen.main(["--check"]) == 1
    assert stale.read_text().count("`kubecvm:cluster.zone` |") == 1  # --check writes nothing


def test_the_command_line_check_passes_on_the_repository():
    proc = subprocess.run(
        [sys.executable, str(TOOL), "--check"], capture_output=True, text=True, timeout=120, cwd=PROJECT_DIR
    )
    assert (proc.returncode, proc.stdout) == (0, "")


def test_arguments_follow_the_spec_types_and_markers():
    gen = generator()
    args = gen.render_args()
    assert "    image_id: pulumi.Input[str]\n" in args and "    ssh_key_ids: list[pulumi.Input[str]]\n" in args
    assert "    subnet_ids: dict[str, pulumi.Input[str]]\n" in args and "    subnet_cidrs: dict[str, str]\n" in args
    assert "    zones: Required[list[str]]\n" in args and "    node_pools: list[NodePoolArgs]\n" in args
    assert "    count_per_zone: Required[int]\n" in args and "    slot: int\n" in args
    # A preset's value is the default where presets set it, per place where a model sits twice.
    assert (
        gen.default(("controlPlane", "count"), spec.ControlPlane.model_fields["count"])
        == "1 in dev, 3 in staging, 3 in prod"
    )
    assert gen.allowed(spec.ClusterSpec.model_fields["node_pod_mask"]) == "8..30"
    assert gen.allowed(spec.ClusterSpec.model_fields["egress"]) == "none, nat, auto"
