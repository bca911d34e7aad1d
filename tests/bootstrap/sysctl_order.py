"""The two readers of sysctl settings, on a root directory: the boot tests' `sysctl` (procps's `sysctl --system`)
and a reboot (systemd-sysctl). Each writes the value it ends with for every key under ROOT/proc/sys.

procps-ng src/sysctl.c PreloadSystem: the *.conf files of /etc/sysctl.d, /run/sysctl.d, /usr/local/lib/sysctl.d,
/usr/lib/sysctl.d and /lib/sysctl.d, a name taken from the first directory holding it, applied sorted by name
(qsort with strcmp), then DEFAULT_PRELOAD, /etc/sysctl.conf, when stat (through a link) finds a regular file.
(procps-ng before 4.0 listed /run/sysctl.d first; the order of names is the same.)
systemd-sysctl, sysctl.d(5): the same directories (/lib only on split-usr systems), /etc winning a name, all files
sorted by name whatever their directory, the last setting of a key winning; /etc/sysctl.conf is read only through
the link /etc/sysctl.d/99-sysctl.conf that Debian and Ubuntu ship (systemd NEWS for 207: "systemd-sysctl no longer
natively reads the file /etc/sysctl.conf").
Lines: '#' or ';' starts a comment; "key = value", spaces around both trimmed; a leading '-' (ignore a failure) is
not part of the key; '.' or '/' separates the key's parts.

Run as a program (`python sysctl_order.py procps|systemd ROOT`) it applies ROOT's settings in that reader's order.
"""

from __future__ import annotations

import sys
from pathlib import Path

DIRS = ("etc/sysctl.d", "run/sysctl.d", "usr/local/lib/sysctl.d", "usr/lib/sysctl.d", "lib/sysctl.d")
READERS = ("procps", "systemd")


def files(root: Path, reader: str) -> list[Path]:
    """The files `reader` applies, in its order."""
    named: dict[str, Path] = {}
    for d in DIRS if reader == "procps" else DIRS[:4]:
        if (root / d).is_dir():
            for f in (root / d).iterdir():
                if f.name.endswith(".conf"):
                    named.setdefault(f.name, f)
    out = [named[name] for name in sorted(named)]
    if reader == "procps" and (root / "etc/sysctl.conf").is_file():
        out.append(root / "etc/sysctl.conf")
    return [f for f in out if f.is_file()]  # a dangling link is skipped


def settings(path: Path) -> list[tuple[str, str]]:
    out = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line[0] in "#;" or "=" not in line:
            continue
        key, _, value = line.partition("=")
        out.append((key.strip().removeprefix("-").replace("/", "."), value.strip()))
    return out


def apply(root: Path, reader: str) -> dict[str, str]:
    """Apply ROOT's settings in `reader`'s order to ROOT/proc/sys; the values it ends with."""
    assert reader in READERS, reader
    values: dict[str, str] = {}
    for f in files(root, reader):
        values.update(settings(f))
    for key, value in values.items():
        target = root / "proc/sys" / key.replace(".", "/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(value + "\n")
    return values


def effective(root: Path, keys) -> dict[str, str]:
    """What /proc/sys holds for these keys (None where nothing set it)."""
    out = {}
    for key in keys:
        target = root / "proc/sys" / key.replace(".", "/")
        out[key] = target.read_text().strip() if target.exists() else None
    return out


if __name__ == "__main__":
    apply(Path(sys.argv[2]), sys.argv[1])
