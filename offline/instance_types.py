"""The CVM instance types the simulated Tencent Cloud sells: family -> size -> (vCPU, memory GiB), and the questions
asked of that catalogue. The table itself is data in instance_catalogue_standard.py and instance_catalogue_more.py.

Transcribed from Tencent's own instance-type pages in tencentyun/qcloud-documents (the 规格/型号, vCPU and 内存 columns
of each family's table, every row), one page per family group, each family modelled whole or not at all, so a size
missing here is one its page does not list (S6 has no SMALL1 or LARGE4, S3 no MEDIUM4, MA2 no MEDIUM16):

- product/计算与网络/云服务器/产品简介/实例/实例规格.md @ 8959e99b1d241c44e88c6266adffec76cbf3f96d: standard S6 SA3
  SR1 S5 S5se SA2 S4 SN3ne S3 SA1 S2ne S2 S1; memory MA3 M6 M6ce M6p M5 MA2 M4 M3 M2 M1; high-IO IT5 IT3; big-data
  D3 D2; compute C6 C5 C4 CN3 C3 C2; batch BC1 BS1. (M6p's 内存 column is its DRAM; its persistent memory is a column
  of its own. S4 and SN3ne name "18XLARGE228" in their prose; their tables list 18XLARGE288 = 72C288G, used here.)
- product/计算与网络/云服务器/产品简介/实例/标准型 SA4 实例规格.md @ 25ddff008a15f808e12db5200ba47513b7a66a1a: SA4.
- product/计算与网络/云服务器/产品简介/实例/高IO型 ITA4 实例规格.md @ 0d718789820f57a86ed4f08c743052559b1a3166: ITA4
  (the page says invitation-only, 邀测).
- product/计算与网络/GPU 云服务器/产品简介/实例类型/计算型实例.md @ 0b751f36d9a476b677660fde7fb3c6885f2b481a (the GPU
  compute page; 实例规格.md's 异构计算 group only links out to it): PNV4 GT4 GN10Xp GN7 GI3X GN10X GN8 GN6 GN6S.
  (An older NVIDIA page, 实例类型/NVIDIA 系列实例.md, still lists GN10X.4XLARGE80; the current one does not.)
- product/计算与网络/GPU 云服务器/产品简介/实例类型/渲染型实例.md @ 0432c640c40db25a8ec65f2f2c54020755da5980: GNV4v
  GNV4 GN7vw GI1.

Names encode memory exactly and vCPU mostly (SMALL=1, MEDIUM=2, LARGE/XLARGE=4, times the multiplier; Tencent also
writes nMEDIUM, M6.31MEDIUM470 = 62C470G); the pages' exceptions are kept as documented, among them SA2.22XLARGE224
(90 vCPU, not 88) and the GPU sizes GN7.2XLARGE40 (10), GN8.LARGE56 (6) and GNV4v.XLARGE24 (6)
(tests/planning/test_sizing.py lists every one).

DOCUMENTED_WITHOUT_SIZES: families a page names but gives no size table for that we could read. 实例规格.md sends its
裸金属云服务器 and 高性能计算集群 groups to other pages (cloud.tencent.com/document/product/386/63404 and 63405);
the families are named in the page's older version, 实例规格.html @ 0043c7b1971fe7f6874fbc2a69b7f36a3c6429a8. The
offline check accepts any size of these (with a note) rather than refuse a type Tencent may sell; under `pulumi up`
the provider's data source decides.

Newer families (SA5, S8, ...) are in none of Tencent's pages stored here, yet Tencent sells them: a later generation of
a documented series (newer_generation) is taken as sold in any size, with a note, and `pulumi preview` decides; a
series no page names (Q9) is refused. Checked in 2026-12 and found to add no family to the ones above: the international pages in
tencentyun/intlcloud-documents, yehe_doc/计算/云服务器/产品简介/实例/实例规格_intl_en.html @
7d10083a823de8b94c1ae0b4ef245cb33fa16f8f (newest: S6, SA3, SR1, M6, M6ce, IT5, D3, C6), 实例规格_intl_zh.html @
7abdce0d53db735906792dd491a93f1426e67ecb and 实例规格_intl_ko.md @ f0121ce6b185619de4fc43f62f56b7f3d315af6d, and
qcloud-documents' 实例规格.html @ 2a08835a903e3ea5d3dadf8aee9d97d974d9c02f. (Their size tables also differ from
each other across versions: the English S6 table starts at S6.SMALL1, 实例规格.md's at S6.MEDIUM2; the catalogue
keeps 实例规格.md's.) The SA5/S8 size tables that turn up in search are third parties' copies, not Tencent's.

The pages also say "各个地域可供售卖的实例规格不一定完全相同，部分配置可能售罄" (what each region sells differs, some
configurations sell out; the buy page is authoritative): they give no per-zone table, so the simulated cloud sells
every catalogued type in every zone and never reports one sold out. The real check (components/lookups.py,
`instance_types_offered`) asks the live data source per zone.
"""

from __future__ import annotations

import re

from kubecvm.offline import instance_catalogue_more, instance_catalogue_standard
from kubecvm.planning import sizing

# One table in the pages' order: the standard families first, as 实例规格.md lists them.
CATALOGUE: dict[str, dict[str, tuple[int, int]]] = {
    **instance_catalogue_standard.FAMILIES,
    **instance_catalogue_more.FAMILIES,
}

DOCUMENTED_WITHOUT_SIZES: frozenset[str] = frozenset(
    {
        "BMS5",
        "BMS4",
        "BMI5",
        "BMD3",
        "BMD2",
        "BMG5t",
        "BMG5v",  # 黑石物理服务器2.0 (bare metal), 实例规格.html
        "HCCIC5",
        "HCCG5v",  # 高性能计算集群 (HPC clusters), 实例规格.html
    }
)


family_of = sizing.instance_family  # `S5.LARGE8` -> `S5` (the provider's `family` / the API's `instance-family`)


def shape(instance_type: str) -> tuple[int, int] | None:
    """(vCPU, memory GiB) of a catalogued type; None for one Tencent's pages do not list."""
    family, _, size = instance_type.partition(".")
    return CATALOGUE.get(family, {}).get(size)


def types_of(family: str) -> list[str]:
    """Every catalogued type of a family, in its page's order (empty for a family without sizes or unknown)."""
    return [f"{family}.{size}" for size in CATALOGUE.get(family, {})]


_FAMILY = re.compile(r"([A-Z]+)([0-9]+)([A-Za-z]*)")


def _series(family: str) -> tuple[str, int] | None:
    """`SA4` -> ("SA", 4), `S5se` -> ("S", 5), `GN10Xp` -> ("GN", 10): the series letters and the generation."""
    m = _FAMILY.fullmatch(family)
    return (m[1], int(m[2])) if m else None


# The newest documented generation of each series (S 6, SA 4, M 6, C 6, ...).
NEWEST: dict[str, int] = {}
for _family in [*CATALOGUE, *DOCUMENTED_WITHOUT_SIZES]:
    if (_s := _series(_family)) is not None:
        NEWEST[_s[0]] = max(NEWEST.get(_s[0], 0), _s[1])


def newer_generation(family: str) -> bool:
    """A later generation of a documented series (SA5 after SA4, S8 after S6): Tencent's pages stored here predate
    it, so the offline plan cannot know its sizes and must not refuse it (SA5 and S8 are sold today); a series no
    page names (Q9, SS5) is still refused."""
    series = _series(family)
    return series is not None and series[0] in NEWEST and series[1] > NEWEST[series[0]]


def sizes_untranscribed(instance_type: str) -> bool:
    """True for a type of a family the pages name without a size table we transcribed, or of a generation newer than
    the pages: accepted as sold offline (with a note); `pulumi preview` asks the provider's data source."""
    family = family_of(instance_type)
    return family in DOCUMENTED_WITHOUT_SIZES or (family not in CATALOGUE and newer_generation(family))
