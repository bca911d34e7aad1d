"""User-written regular expressions (exemption `resource` patterns, the user-data secret patterns): compiled and
run with the `regex` package and a time limit per match, so a pattern with nested quantifiers such as `(a|aa)+$`
fails with a message instead of hanging a plan or a `pulumi preview` (the standard `re` cannot be interrupted).
"""

from __future__ import annotations

import regex

MATCH_TIMEOUT_S = 0.5  # a match of kubecvm's own patterns takes microseconds; this is only a backstop


class PatternError(ValueError):
    """A pattern that does not compile, or that ran past the time limit on some text."""


def compile_pattern(pattern: str) -> regex.Pattern:
    try:
        return regex.compile(pattern)
    except (regex.error, TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise PatternError(f"{pattern[:200]!r} is not a regular expression ({exc})") from None


def _run(method: str, pattern: str, text: str) -> bool:
    try:
        return getattr(compile_pattern(pattern), method)(text, timeout=MATCH_TIMEOUT_S) is not None
    except TimeoutError:
        raise PatternError(
            f"{pattern[:200]!r} took more than {MATCH_TIMEOUT_S} s to match {len(text)} characters (nested quantifiers "
            "such as (a+)+ backtrack exponentially); simplify it"
        ) from None


def fullmatch(pattern: str, text: str) -> bool:
    return _run("fullmatch", pattern, text)


def search(pattern: str, text: str) -> bool:
    return _run("search", pattern, text)
