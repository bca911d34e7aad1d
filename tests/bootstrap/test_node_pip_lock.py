"""planning/node-pip.lock: the closure of tccli and the COS SDK at the pinned versions, every file by sha256.

tools/node_pip_lock.py writes it from PyPI (these tests never reach the network): each package's requirements on
the nodes' interpreters are recorded in its comment lines, so the closure is checked here from the lock alone.
"""

import re

from kubecvm.planning import backups, bootstrap

HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def parse(lock=bootstrap.PIP_LOCK):
    """(roots, name -> what it requires, name -> (version, hashes)) of a lock tools/node_pip_lock.py wrote."""
    roots, requires, pins = [], {}, {}
    for line in lock.read_text().splitlines():
        if line.startswith("# roots: "):
            roots = line.removeprefix("# roots: ").split()
        elif m := re.fullmatch(r"# (\S+) requires: (.*)", line):
            requires[m[1]] = [] if m[2] == "-" else m[2].split()
        elif not line.startswith("#"):
            pin, *hashes = line.split(" ")
            name, version = pin.split("==")
            assert name not in pins, f"{name} twice"
            pins[name] = (version, hashes)
    return roots, requires, pins


def test_the_roots_are_the_pins_in_the_code():
    roots, _, pins = parse()
    sdk = ".".join(bootstrap.TCCLI_VERSION.split(".")[:3])  # tccli 3.1.189.1 is cut from the SDK's 3.1.189
    assert roots == [
        f"tccli=={bootstrap.TCCLI_VERSION}",
        f"tencentcloud-sdk-python=={sdk}",
        f"cos-python-sdk-v5=={backups.COS_SDK_VERSION}",
        "setuptools",
    ]
    assert pins["tccli"][0] == bootstrap.TCCLI_VERSION == "3.1.189.1"
    assert pins["tencentcloud-sdk-python"][0] == sdk
    assert pins["cos-python-sdk-v5"][0] == backups.COS_SDK_VERSION == "1.9.44"


def closure(roots, requires) -> set[str]:
    todo, found = [r.split("==")[0] for r in roots], set()
    while todo:
        name = todo.pop()
        if name not in found:
            found.add(name)
            todo += requires[name]
    return found


def test_the_lock_holds_exactly_the_closure_of_its_roots():
    roots, requires, pins = parse()
    assert closure(roots, requires) == set(pins) == set(requires)
    # tccli needs the COS SDK on every node: tccli/command.py lists the services, which imports every plugin
    # (tccli/plugin.py), and tccli/plugins/cos imports qcloud_cos.
    assert "cos-python-sdk-v5" in requires["tccli"]


def test_every_pin_is_an_exact_version_with_sha256_hashes_only():
    _, _, pins = parse()
    for name, (version, hashes) in pins.items():
        assert re.fullmatch(r"[0-9][0-9a-z.]*", version), name
        assert hashes and all(HASH.fullmatch(h) for h in hashes), name
        assert len(set(hashes)) == len(hashes), name
    # One file for both interpreters, except where PyPI has a wheel per CPython version (3.10 and 3.12).
    assert {n for n, (_, h) in pins.items() if len(h) > 1} == {"charset-normalizer"}
    assert len(pins["charset-normalizer"][1]) == 2
