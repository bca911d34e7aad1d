"""Hostile stack files cost bounded work: what stacks/stack_file.py refuses, and how much it did before refusing,
counted rather than timed."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubecvm.stacks import stack_file
from kubecvm.stacks.errors import ConfigError

HEAD = "config:\n  tencentcloud:region: ap-guangzhou\n  kubecvm:preset: dev\n"
CLUSTER = "  kubecvm:cluster:\n    zones: [ap-guangzhou-3]\n"
# Nine levels of ten aliases each: 10^9 values once expanded.
BOMB = "".join(f"x{i}: &x{i} [{', '.join([f'*x{i - 1}' if i else 'lol'] * 10)}]\n" for i in range(9))


def stack(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "Pulumi.probe.yaml"
    path.write_text(text)
    return path


def indented(text: str, spaces: int) -> str:
    return "".join(" " * spaces + line + "\n" for line in text.splitlines())


@pytest.fixture
def values_read(monkeypatch) -> list[str]:
    """The key path of every value the reader converts, in order."""
    seen: list[str] = []
    value = stack_file._Reader.value

    def counted(self, node, path, *args, **kwargs):
        seen.append(path)
        return value(self, node, path, *args, **kwargs)

    monkeypatch.setattr(stack_file._Reader, "value", counted)
    return seen


def test_deep_flow_nesting_is_refused_before_libyaml_sees_it(tmp_path, monkeypatch):
    # libyaml re-checks every open flow collection at each token, so its time grows with the square of the nesting
    # (200,000 levels took 10 minutes): the text is measured first (stack_file._flow_depth).
    loaders: list[str] = []
    monkeypatch.setattr(stack_file, "_Yaml12Loader", lambda text: loaders.append(text))
    path = stack(
        tmp_path, HEAD + "  kubecvm:cluster: {zones: [ap-guangzhou-3], tags: " + "[" * 5000 + "]" * 5000 + "}\n"
    )
    with pytest.raises(ConfigError, match="nested more than 64 deep"):
        stack_file.read_stack_file(path)
    assert loaders == []


def test_an_alias_bomb_is_refused_after_exactly_the_budget_of_values(tmp_path, values_read):
    path = stack(tmp_path, HEAD + CLUSTER + "    bomb:\n" + indented(BOMB, 6))
    with pytest.raises(ConfigError, match=f"more than {stack_file.MAX_NODES} values after expanding YAML aliases"):
        stack_file.read_stack_file(path)
    assert len(values_read) == stack_file.MAX_NODES + 1  # the last one is refused, not converted


def test_an_alias_bomb_in_another_namespace_is_never_expanded(tmp_path, values_read):
    read = stack_file.read_stack_file(stack(tmp_path, HEAD + CLUSTER))
    plain = list(values_read)
    values_read.clear()
    with_bomb = stack_file.read_stack_file(stack(tmp_path, HEAD + CLUSTER + "  other:bomb:\n" + indented(BOMB, 4)))
    assert with_bomb == read and values_read == plain  # not one value of other:bomb was converted
