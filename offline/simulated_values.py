"""The simulated cloud's deterministic values and its view of inputs: ids and addresses derived from a seed, and
secrets wrapped or unwrapped as the engine and the provider see them.

Apart from offline/simulated_cloud.py because its answers (offline/simulated_pki.py, the resource outputs) and the
account (CloudState) all use them; every name stays importable from offline/simulated_cloud.py.
"""

from __future__ import annotations

import hashlib
import ipaddress

from kubecvm import sdk


def _digest(text: str, n: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _public_ip(seed: str) -> str:
    """A stable address in TEST-NET-3 (RFC 5737), never a real host."""
    return str(ipaddress.IPv4Address("203.0.113.0") + int(_digest(seed, 4), 16) % 254 + 1)


def _plain(value):
    """An input as the provider would see it: secrets unwrapped."""
    if isinstance(value, dict) and sdk.is_secret(value):
        return value.get("value")
    return value


def _secret(value):
    """An output the engine would return as a secret."""
    return value if sdk.is_special(value) else sdk.as_secret(value)


def _private_ip(seed: str) -> str:
    """A stable address in 10.0.0.0/24, for an instance the stack did not create (an existing TMP instance)."""
    return str(ipaddress.IPv4Address("10.0.0.0") + int(_digest(seed, 4), 16) % 250 + 4)


def _plain_all(value):
    value = _plain(value)
    if isinstance(value, dict):
        return {k: _plain_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_all(v) for v in value]
    return value
