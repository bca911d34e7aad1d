"""The exit-code contract for what `kubecvm diff` and the markdown renderers read: plan files that are not plans
are refused naming the resource, and crafted names cannot inject markup into a pull-request comment."""

from __future__ import annotations

import json

import pytest
from markdown_it import MarkdownIt
from cli_helpers import assert_refused, kubecvm

from kubecvm.offline import plan as offline

# --- diff: plan files that are not plans -------------------------------------------------------------------


def good_resource(urn: str = "urn:pulumi:dev::kubecvm::t::a") -> dict:
    return {"urn": urn, "type": "t", "name": "a", "parent": None, "custom": True, "id": "id-a", "inputs": {}}


@pytest.mark.parametrize(
    "resources, needle",
    [
        ([{**good_resource(), "inputs": [1, 2]}], "resources[0].inputs: expected an object"),
        ([{**good_resource(), "inputs": "x"}], "resources[0].inputs: expected an object"),
        ([{**good_resource(), "urn": ["a"]}], "resources[0].urn: expected a string"),
        ([{**good_resource(), "urn": {"a": 1}}], "resources[0].urn: expected a string"),
        ([{k: v for k, v in good_resource().items() if k != "urn"}], "resources[0].urn: required"),
        ([{k: v for k, v in good_resource().items() if k != "type"}], "resources[0].type: required"),
        ([{k: v for k, v in good_resource().items() if k != "id"}], "resources[0].id: required"),
        ([{**good_resource(), "type": 7}], "resources[0].type: expected a string"),
        ([good_resource(), good_resource()], "resources[1].urn: 'urn:pulumi:dev::kubecvm::t::a' appears twice"),
        ([7], "resources[0]: expected an object"),
    ],
)
def test_malformed_plan_files_are_refused_naming_the_resource(tmp_path, resources, needle):
    bad, good = tmp_path / "bad.json", tmp_path / "good.json"
    bad.write_text(json.dumps({"resources": resources}))
    good.write_text(json.dumps({"resources": [good_resource()]}))
    for args in ((bad, good), (good, bad)):
        assert_refused(kubecvm("diff", *args), needle)


@pytest.mark.parametrize(
    "text, needle",
    [
        ("[" * 100000 + "]" * 100000, "not a JSON plan"),
        (
            '{"resources": ['
            + '{"urn": "u", "type": "t", "id": null, "inputs": {"x": '
            + "[" * 500
            + "]" * 500
            + "}}]}",
            "nested more than 100 deep",
        ),
        ('{"resources": [], "x": NaN}', "NaN is not a JSON number"),
        ("\xff", "not a JSON plan"),
        ('{"resources": {}}', "a 'resources' list"),
    ],
)
def test_plan_files_that_are_not_json_plans_are_refused(tmp_path, text, needle):
    bad, good = tmp_path / "bad.json", tmp_path / "good.json"
    bad.write_bytes(text.encode("latin-1") if text == "\xff" else text.encode())
    good.write_text(json.dumps({"resources": []}))
    assert_refused(kubecvm("diff", bad, good), needle)


def test_a_directory_is_not_a_plan_file(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"resources": []}))
    assert_refused(kubecvm("diff", tmp_path, good), "is a directory")


# --- markdown: crafted plans cannot inject markup into a pull-request comment ----------------------------------

EVIL = "urn:pulumi:x::y::t::a](https://evil.example/x) ![px](https://evil.example/p.png) <img src=x> | `code` *b*\nrow"


def test_crafted_urns_and_keys_are_escaped_in_diff_markdown(tmp_path):
    old, new = good_resource(EVIL), {**good_resource(EVIL), "inputs": {"k](https://evil.example)": 1}}
    added = {**good_resource(EVIL + "2"), "type": "[t](https://evil.example)"}
    (tmp_path / "old.json").write_text(json.dumps({"resources": [old]}))
    (tmp_path / "new.json").write_text(json.dumps({"resources": [new, added]}))
    run = kubecvm("diff", tmp_path / "old.json", tmp_path / "new.json", "--format", "markdown")
    assert run.exit_code == 0, run.stderr
    md = run.stdout
    html = MarkdownIt("commonmark").enable("table").render(md)  # what a CommonMark renderer makes of it
    assert "<a " not in html and "<img" not in html and "<em>" not in html and "<code>" not in html
    assert "https://" not in md and "www." not in md  # nor can GitHub's extended autolinks find a link
    assert html.count("<tr>") == 3  # header, the added and the changed resource: the newline started no row
    assert "&lt;img src=x&gt;" in html  # shown as text
    rows = [line for line in md.splitlines() if line.startswith("| ")][1:]
    assert len(rows) == 2  # one row each: the newline did not start another
    for row in rows:
        assert row.count(" | ") == 2 and row.endswith(" |")  # the pipe inside the URN is escaped
    assert "\\]\\(https:\\/\\/evil.example/x\\) \\!\\[px\\]" in md


def test_plan_markdown_escapes_what_a_program_or_stack_name_could_inject():
    from kubecvm.offline import render

    doc = offline.build(offline.load_stack("dev"), policies=False).document
    evil = "x`](https://evil.example) ![p](https://evil.example/p.png)\n```\n# heading"
    doc = {
        **doc,
        "stack": evil,
        "resources": [
            {**r, "name": evil} if r["type"] == "tencentcloud:Vpc/instance:Instance" else r for r in doc["resources"]
        ],
    }
    doc["policies"] = {
        **doc["policies"],
        "evaluated": True,
        "config": evil,
        "mandatoryFailed": True,
        "waivers": [],
        "violations": [
            {"policy": evil, "enforcement": "mandatory", "severity": "high", "message": evil, "urn": "urn:x::" + evil}
        ],
    }
    md = render.markdown(doc)
    html = MarkdownIt("commonmark").enable("table").render(md)
    assert "<a " not in html and "<img" not in html and "<h1>" not in html
    fence = md.split("```mermaid\n", 1)[1]
    assert "`" not in fence.split("\n```", 1)[0]  # nothing inside closes the diagram's fence early
