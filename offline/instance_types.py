"""The CVM instance types the simulated Tencent Cloud sells: family -> size -> (vCPU, memory GiB). Data only.

Taken from Tencent's own instance-types page, tencentyun/qcloud-documents
product/计算与网络/云服务器/产品简介/实例/实例规格.md at commit 8959e99b1d241c44e88c6266adffec76cbf3f96d (the 规格 /
vCPU / 内存（GB） columns of each family's table, every row). A family is modelled whole or not at all, so a size
missing here is one that page does not list (S6 has no SMALL1 or LARGE4; SA2.22XLARGE224 has 90 vCPU, not 88).
Families: S5 (the presets, `instanceType: auto`), SA2 and S6 (the project's examples), and SA3, the standard
families the page lists first. Others (M5, C6, GPU families, ...) are not modelled: offline they are refused as
unknown, under `pulumi up` the provider's instance-types data source decides.

The page also says "各个地域可供售卖的实例规格不一定完全相同，部分配置可能售罄" (what each region sells differs, some
configurations sell out; the buy page is authoritative): it gives no per-zone table, so the simulated cloud sells
every catalogued type in every zone and never reports one sold out. The real check (components/cluster.py,
`instance_types_offered`) asks the live data source per zone.
"""

from __future__ import annotations

CATALOGUE: dict[str, dict[str, tuple[int, int]]] = {
    "S5": {
        "SMALL1": (1, 1), "SMALL2": (1, 2), "SMALL4": (1, 4),
        "MEDIUM2": (2, 2), "MEDIUM4": (2, 4), "MEDIUM8": (2, 8),
        "LARGE4": (4, 4), "LARGE8": (4, 8), "LARGE16": (4, 16),
        "2XLARGE16": (8, 16), "2XLARGE32": (8, 32), "4XLARGE32": (16, 32), "4XLARGE64": (16, 64),
        "6XLARGE48": (24, 48), "6XLARGE96": (24, 96), "8XLARGE64": (32, 64), "8XLARGE128": (32, 128),
        "12XLARGE96": (48, 96), "12XLARGE192": (48, 192), "16XLARGE256": (64, 256), "21XLARGE320": (84, 320),
    },
    "SA2": {
        "SMALL1": (1, 1), "SMALL2": (1, 2), "SMALL4": (1, 4),
        "MEDIUM2": (2, 2), "MEDIUM4": (2, 4), "MEDIUM8": (2, 8),
        "LARGE4": (4, 4), "LARGE8": (4, 8), "LARGE16": (4, 16),
        "2XLARGE16": (8, 16), "2XLARGE32": (8, 32), "4XLARGE32": (16, 32), "4XLARGE64": (16, 64),
        "8XLARGE64": (32, 64), "12XLARGE96": (48, 96), "16XLARGE128": (64, 128), "20XLARGE160": (80, 160),
        "22XLARGE224": (90, 224), "24XLARGE192": (96, 192), "32XLARGE256": (128, 256), "40XLARGE320": (160, 320),
        "45XLARGE464": (180, 464),
    },
    "S6": {
        "MEDIUM2": (2, 2), "MEDIUM4": (2, 4), "MEDIUM8": (2, 8),
        "LARGE8": (4, 8), "LARGE16": (4, 16),
        "2XLARGE16": (8, 16), "2XLARGE32": (8, 32), "4XLARGE32": (16, 32), "4XLARGE64": (16, 64),
        "8XLARGE64": (32, 64), "8XLARGE128": (32, 128), "12XLARGE96": (48, 96), "12XLARGE192": (48, 192),
        "16XLARGE216": (64, 216), "32XLARGE432": (128, 432),
    },
    "SA3": {
        "MEDIUM2": (2, 2), "MEDIUM4": (2, 4), "MEDIUM8": (2, 8),
        "LARGE8": (4, 8), "LARGE16": (4, 16),
        "2XLARGE16": (8, 16), "2XLARGE32": (8, 32), "4XLARGE32": (16, 32), "4XLARGE64": (16, 64),
        "8XLARGE64": (32, 64), "8XLARGE128": (32, 128), "12XLARGE96": (48, 96), "12XLARGE192": (48, 192),
        "16XLARGE128": (64, 128), "16XLARGE256": (64, 256), "20XLARGE160": (80, 160), "20XLARGE320": (80, 320),
        "24XLARGE192": (96, 192), "24XLARGE384": (96, 384), "29XLARGE216": (116, 216), "29XLARGE470": (116, 470),
        "40XLARGE320": (160, 320), "40XLARGE640": (160, 640), "58XLARGE432": (232, 432), "58XLARGE940": (232, 940),
    },
}


def family_of(instance_type: str) -> str:
    """`S5.LARGE8` -> `S5` (the provider's `family` / the API's `instance-family`)."""
    return instance_type.partition(".")[0]


def shape(instance_type: str) -> tuple[int, int] | None:
    """(vCPU, memory GiB) of a catalogued type; None for one Tencent's page does not list."""
    family, _, size = instance_type.partition(".")
    return CATALOGUE.get(family, {}).get(size)


def types_of(family: str) -> list[str]:
    """Every catalogued type of a family, in the page's order (empty for an unknown family)."""
    return [f"{family}.{size}" for size in CATALOGUE.get(family, {})]
