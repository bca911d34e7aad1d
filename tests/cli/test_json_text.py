"""The plan's JSON writer (offline/json_text.py) makes json.dumps' canonical text, byte for byte, and its errors."""

from __future__ import annotations

import enum
import io
import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubecvm.offline import json_text, render


def canonical(doc: object) -> str:
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False)


class Size(enum.IntEnum):
    SMALL = 1


class Word(str):
    pass


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),  # every code point: quotes, backslashes, control characters, non-ASCII, surrogates
    st.sampled_from([Size.SMALL, Word("w\u00e9rd"), -0.0, 1e16, 1e-7]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=8), inner, max_size=5),
        st.dictionaries(st.integers(min_value=-5, max_value=5), inner, max_size=3),
        st.dictionaries(st.booleans(), inner, max_size=2),  # keys of one kind: json sorts them
        st.dictionaries(st.floats(allow_nan=False), inner, max_size=2),
        st.dictionaries(st.none(), inner, max_size=1),
    ),
    max_leaves=30,
)


@given(documents)
def test_the_text_is_json_dumps_canonical_text(doc):
    assert json_text.dumps(doc) == canonical(doc)


@given(documents, st.integers(min_value=1, max_value=4))
def test_written_in_batches_it_is_the_same_text(doc, batch):
    out: list[str] = []
    json_text.write(doc, out.append, batch=batch)
    assert "".join(out) == canonical(doc)
    assert len(out) >= 1


def test_a_large_document_reaches_the_sink_in_pieces_not_whole():
    doc = {"resources": [{"name": f"node-{i}", "inputs": {"n": i, "tags": ["a", "b"]}} for i in range(3000)]}
    out = io.StringIO()
    sizes: list[int] = []
    json_text.write(doc, lambda text: (sizes.append(len(text)), out.write(text)), batch=100)
    assert out.getvalue() == canonical(doc)
    assert len(sizes) > 100 and max(sizes) < len(out.getvalue()) / 50


def test_the_plan_writers_end_with_a_newline():
    doc = {"b": [1, {"a": None}], "a": "x"}
    out = io.StringIO()
    render.write_json(doc, out)
    assert out.getvalue() == render.to_json(doc) == canonical(doc) + "\n"


@pytest.mark.parametrize(
    "doc",
    [
        {"a": object()},  # not JSON
        [{1: "a", "b": "c"}],  # keys that cannot be sorted together
        {(1, 2): "tuple key"},  # a key json refuses
    ],
    ids=["object", "mixed-keys", "tuple-key"],
)
def test_what_json_refuses_it_refuses_with_the_same_error(doc):
    with pytest.raises(TypeError) as theirs:
        canonical(doc)
    with pytest.raises(TypeError) as ours:
        json_text.dumps(doc)
    assert str(ours.value) == str(theirs.value)


def test_nan_and_infinity_are_written_as_json_writes_them():
    doc = {"n": math.nan, "i": [math.inf, -math.inf]}
    assert json_text.dumps(doc) == canonical(doc)
