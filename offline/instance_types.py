"""The CVM instance types the simulated Tencent Cloud sells: family -> size -> (vCPU, memory GiB). Data only.

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

from kubecvm.planning import sizing

CATALOGUE: dict[str, dict[str, tuple[int, int]]] = {
    # 实例规格.md: 标准型 (standard)
    "S6": {
        "MEDIUM2": (2, 2),
        "MEDIUM4": (2, 4),
        "MEDIUM8": (2, 8),
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
        "12XLARGE96": (48, 96),
        "12XLARGE192": (48, 192),
        "16XLARGE216": (64, 216),
        "32XLARGE432": (128, 432),
    },
    "SA3": {
        "MEDIUM2": (2, 2),
        "MEDIUM4": (2, 4),
        "MEDIUM8": (2, 8),
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
        "12XLARGE96": (48, 96),
        "12XLARGE192": (48, 192),
        "16XLARGE128": (64, 128),
        "16XLARGE256": (64, 256),
        "20XLARGE160": (80, 160),
        "20XLARGE320": (80, 320),
        "24XLARGE192": (96, 192),
        "24XLARGE384": (96, 384),
        "29XLARGE216": (116, 216),
        "29XLARGE470": (116, 470),
        "40XLARGE320": (160, 320),
        "40XLARGE640": (160, 640),
        "58XLARGE432": (232, 432),
        "58XLARGE940": (232, 940),
    },
    "SR1": {
        "SMALL1": (1, 1),
        "SMALL2": (1, 2),
        "MEDIUM4": (2, 4),
        "MEDIUM8": (2, 8),
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
        "16XLARGE128": (64, 128),
    },
    "S5": {
        "SMALL1": (1, 1),
        "SMALL2": (1, 2),
        "SMALL4": (1, 4),
        "MEDIUM2": (2, 2),
        "MEDIUM4": (2, 4),
        "MEDIUM8": (2, 8),
        "LARGE4": (4, 4),
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "6XLARGE48": (24, 48),
        "6XLARGE96": (24, 96),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
        "12XLARGE96": (48, 96),
        "12XLARGE192": (48, 192),
        "16XLARGE256": (64, 256),
        "21XLARGE320": (84, 320),
    },
    "S5se": {
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
        "17XLARGE316": (68, 316),
    },
    "SA2": {
        "SMALL1": (1, 1),
        "SMALL2": (1, 2),
        "SMALL4": (1, 4),
        "MEDIUM2": (2, 2),
        "MEDIUM4": (2, 4),
        "MEDIUM8": (2, 8),
        "LARGE4": (4, 4),
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "8XLARGE64": (32, 64),
        "12XLARGE96": (48, 96),
        "16XLARGE128": (64, 128),
        "20XLARGE160": (80, 160),
        "22XLARGE224": (90, 224),
        "24XLARGE192": (96, 192),
        "32XLARGE256": (128, 256),
        "40XLARGE320": (160, 320),
        "45XLARGE464": (180, 464),
    },
    "S4": {
        "SMALL1": (1, 1),
        "SMALL2": (1, 2),
        "SMALL4": (1, 4),
        "MEDIUM2": (2, 2),
        "MEDIUM4": (2, 4),
        "MEDIUM8": (2, 8),
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "6XLARGE48": (24, 48),
        "6XLARGE96": (24, 96),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
        "12XLARGE96": (48, 96),
        "12XLARGE192": (48, 192),
        "16XLARGE256": (64, 256),
        "18XLARGE288": (72, 288),
    },
    "SN3ne": {
        "SMALL2": (1, 2),
        "MEDIUM2": (2, 2),
        "MEDIUM4": (2, 4),
        "LARGE4": (4, 4),
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "3XLARGE24": (12, 24),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "6XLARGE48": (24, 48),
        "6XLARGE96": (24, 96),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
        "12XLARGE96": (48, 96),
        "12XLARGE192": (48, 192),
        "16XLARGE128": (64, 128),
        "16XLARGE256": (64, 256),
        "18XLARGE288": (72, 288),
    },
    "S3": {
        "SMALL1": (1, 1),
        "SMALL2": (1, 2),
        "SMALL4": (1, 4),
        "MEDIUM2": (2, 2),
        "MEDIUM8": (2, 8),
        "LARGE4": (4, 4),
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "3XLARGE24": (12, 24),
        "3XLARGE48": (12, 48),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "6XLARGE48": (24, 48),
        "6XLARGE96": (24, 96),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
        "12XLARGE96": (48, 96),
        "12XLARGE192": (48, 192),
        "16XLARGE256": (64, 256),
        "20XLARGE320": (80, 320),
    },
    "SA1": {
        "SMALL1": (1, 1),
        "SMALL2": (1, 2),
        "SMALL4": (1, 4),
        "MEDIUM2": (2, 2),
        "MEDIUM4": (2, 4),
        "MEDIUM8": (2, 8),
        "LARGE4": (4, 4),
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
    },
    "S2ne": {
        "SMALL2": (1, 2),
        "MEDIUM2": (2, 2),
        "MEDIUM4": (2, 4),
        "LARGE4": (4, 4),
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "3XLARGE24": (12, 24),
        "3XLARGE48": (12, 48),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "6XLARGE48": (24, 48),
        "6XLARGE96": (24, 96),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
        "12XLARGE192": (48, 192),
    },
    "S2": {
        "SMALL1": (1, 1),
        "SMALL2": (1, 2),
        "SMALL4": (1, 4),
        "MEDIUM2": (2, 2),
        "MEDIUM4": (2, 4),
        "MEDIUM8": (2, 8),
        "LARGE4": (4, 4),
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "3XLARGE24": (12, 24),
        "3XLARGE48": (12, 48),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "6XLARGE48": (24, 48),
        "6XLARGE96": (24, 96),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
        "14XLARGE224": (56, 224),
    },
    "S1": {
        "SMALL1": (1, 1),
        "SMALL2": (1, 2),
        "SMALL4": (1, 4),
        "MEDIUM2": (2, 2),
        "MEDIUM4": (2, 4),
        "MEDIUM8": (2, 8),
        "MEDIUM12": (2, 12),
        "LARGE4": (4, 4),
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE8": (8, 8),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "3XLARGE24": (12, 24),
        "3XLARGE48": (12, 48),
        "4XLARGE16": (16, 16),
        "4XLARGE32": (16, 32),
        "4XLARGE48": (16, 48),
        "4XLARGE64": (16, 64),
        "6XLARGE48": (24, 48),
        "8XLARGE64": (32, 64),
        "12XLARGE96": (48, 96),
    },
    # 实例规格.md: 内存型 (memory-optimized)
    "MA3": {
        "SMALL8": (1, 8),
        "MEDIUM16": (2, 16),
        "LARGE32": (4, 32),
        "2XLARGE64": (8, 64),
        "4XLARGE128": (16, 128),
        "8XLARGE256": (32, 256),
    },
    "M6": {
        "SMALL8": (1, 8),
        "MEDIUM16": (2, 16),
        "LARGE32": (4, 32),
        "2XLARGE64": (8, 64),
        "4XLARGE128": (16, 128),
        "8XLARGE256": (32, 256),
        "31MEDIUM470": (62, 470),
        "31XLARGE940": (124, 940),
    },
    "M6ce": {
        "MEDIUM16": (2, 16),
        "LARGE32": (4, 32),
        "2XLARGE64": (8, 64),
        "4XLARGE128": (16, 128),
        "8XLARGE256": (32, 256),
        "31MEDIUM428": (62, 428),
        "31XLARGE856": (124, 856),
    },
    "M6p": {
        "LARGE16": (4, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE53": (16, 53),
        "8XLARGE106": (32, 106),
        "31MEDIUM212": (62, 212),
        "31XLARGE424": (124, 424),
    },
    "M5": {
        "SMALL8": (1, 8),
        "MEDIUM16": (2, 16),
        "LARGE32": (4, 32),
        "2XLARGE64": (8, 64),
        "3XLARGE96": (12, 96),
        "4XLARGE128": (16, 128),
        "8XLARGE256": (32, 256),
        "16XLARGE512": (64, 512),
    },
    "MA2": {
        "SMALL8": (1, 8),
        "LARGE32": (4, 32),
        "2XLARGE64": (8, 64),
        "4XLARGE128": (16, 128),
        "8XLARGE256": (32, 256),
        "12XLARGE384": (48, 384),
    },
    "M4": {
        "SMALL8": (1, 8),
        "MEDIUM16": (2, 16),
        "LARGE32": (4, 32),
        "2XLARGE64": (8, 64),
        "3XLARGE96": (12, 96),
        "3XLARGE144": (12, 144),
        "4XLARGE128": (16, 128),
        "4XLARGE192": (16, 192),
        "8XLARGE256": (32, 256),
        "8XLARGE384": (32, 384),
        "16XLARGE512": (64, 512),
        "18XLARGE648": (72, 648),
    },
    "M3": {
        "SMALL8": (1, 8),
        "MEDIUM16": (2, 16),
        "LARGE32": (4, 32),
        "2XLARGE64": (8, 64),
        "3XLARGE96": (12, 96),
        "3XLARGE144": (12, 144),
        "4XLARGE128": (16, 128),
        "4XLARGE192": (16, 192),
        "8XLARGE256": (32, 256),
        "8XLARGE384": (32, 384),
        "16XLARGE512": (64, 512),
    },
    "M2": {
        "SMALL8": (1, 8),
        "MEDIUM16": (2, 16),
        "LARGE32": (4, 32),
        "2XLARGE64": (8, 64),
        "3XLARGE96": (12, 96),
        "4XLARGE128": (16, 128),
        "6XLARGE192": (24, 192),
        "8XLARGE256": (32, 256),
        "12XLARGE384": (48, 384),
        "14XLARGE448": (56, 448),
    },
    "M1": {
        "SMALL8": (1, 8),
        "MEDIUM16": (2, 16),
        "LARGE32": (4, 32),
        "2XLARGE64": (8, 64),
        "3XLARGE96": (12, 96),
        "4XLARGE128": (16, 128),
        "6XLARGE192": (24, 192),
        "8XLARGE256": (32, 256),
        "12XLARGE368": (48, 368),
    },
    # 实例规格.md: 高 IO 型 (high IO, local NVMe) and 大数据型 (big data, local HDD)
    "IT5": {
        "4XLARGE64": (16, 64),
        "8XLARGE128": (32, 128),
        "16XLARGE256": (64, 256),
    },
    "IT3": {
        "4XLARGE64": (16, 64),
        "8XLARGE128": (32, 128),
        "16XLARGE256": (64, 256),
    },
    "D3": {
        "2XLARGE32": (8, 32),
        "4XLARGE64": (16, 64),
        "8XLARGE128": (32, 128),
        "16XLARGE256": (64, 256),
        "21XLARGE320": (84, 320),
    },
    "D2": {
        "2XLARGE32": (8, 32),
        "4XLARGE64": (16, 64),
        "6XLARGE96": (24, 96),
        "8XLARGE128": (32, 128),
        "16XLARGE256": (64, 256),
        "19XLARGE320": (76, 320),
    },
    # 实例规格.md: 计算型 (compute) and 批量型 (batch)
    "C6": {
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "8XLARGE128": (32, 128),
        "23MEDIUM216": (46, 216),
        "16XLARGE256": (64, 256),
        "20XLARGE320": (80, 320),
        "23XLARGE432": (92, 432),
    },
    "C5": {
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
        "12XLARGE96": (48, 96),
        "12XLARGE192": (48, 192),
        "13XLARGE184": (52, 184),
        "16XLARGE256": (64, 256),
        "26XLARGE368": (104, 368),
    },
    "C4": {
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE64": (16, 64),
        "8XLARGE174": (32, 174),
        "16XLARGE348": (64, 348),
    },
    "CN3": {
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
        "12XLARGE160": (48, 160),
    },
    "C3": {
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
    },
    "C2": {
        "LARGE8": (4, 8),
        "LARGE16": (4, 16),
        "LARGE32": (4, 32),
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "8XLARGE96": (32, 96),
    },
    "BC1": {
        "LARGE16": (4, 16),
        "3XLARGE48": (12, 48),
        "6XLARGE96": (24, 96),
    },
    "BS1": {
        "LARGE8": (4, 8),
        "3XLARGE24": (12, 24),
        "6XLARGE48": (24, 48),
    },
    # 标准型 SA4 实例规格.md and 高IO型 ITA4 实例规格.md
    "SA4": {
        "2XLARGE16": (8, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE32": (16, 32),
        "4XLARGE64": (16, 64),
        "8XLARGE64": (32, 64),
        "8XLARGE128": (32, 128),
        "16XLARGE128": (64, 128),
        "16XLARGE256": (64, 256),
        "24XLARGE192": (96, 192),
        "48XLARGE384": (192, 384),
    },
    "ITA4": {
        "4XLARGE64": (16, 64),
        "8XLARGE128": (32, 128),
        "16XLARGE256": (64, 256),
        "32XLARGE512": (128, 512),
    },
    # GPU 计算型实例.md
    "PNV4": {
        "7XLARGE116": (28, 116),
        "14XLARGE232": (56, 232),
        "28XLARGE466": (112, 466),
        "56XLARGE932": (224, 932),
    },
    "GT4": {
        "4XLARGE96": (16, 96),
        "8XLARGE192": (32, 192),
        "20XLARGE474": (82, 474),
        "41XLARGE948": (164, 948),
    },
    "GN10Xp": {
        "2XLARGE40": (10, 40),
        "5XLARGE80": (20, 80),
        "10XLARGE160": (40, 160),
        "20XLARGE320": (80, 320),
    },
    "GN7": {
        "LARGE20": (4, 20),
        "2XLARGE40": (10, 40),
        "2XLARGE32": (8, 32),
        "5XLARGE80": (20, 80),
        "8XLARGE128": (32, 128),
        "10XLARGE160": (40, 160),
        "20XLARGE320": (80, 320),
    },
    "GI3X": {
        "8XLARGE64": (32, 64),
        "22XLARGE226": (90, 226),
        "45XLARGE452": (180, 452),
    },
    "GN10X": {
        "2XLARGE40": (8, 40),
        "9XLARGE160": (36, 160),
        "18XLARGE320": (72, 320),
    },
    "GN8": {
        "LARGE56": (6, 56),
        "3XLARGE112": (14, 112),
        "7XLARGE224": (28, 224),
        "14XLARGE448": (56, 448),
    },
    "GN6": {
        "7XLARGE48": (28, 48),
        "14XLARGE96": (56, 96),
    },
    "GN6S": {
        "LARGE20": (4, 20),
        "2XLARGE40": (8, 40),
    },
    # GPU 渲染型实例.md
    "GNV4v": {
        "XLARGE24": (6, 24),
        "3XLARGE58": (14, 58),
        "7XLARGE116": (28, 116),
    },
    "GNV4": {
        "3XLARGE44": (12, 44),
    },
    "GN7vw": {
        "LARGE16": (4, 16),
        "2XLARGE32": (8, 32),
        "4XLARGE64": (16, 64),
    },
    "GI1": {
        "10XLARGE160": (42, 160),
        "21XLARGE320": (84, 320),
    },
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
