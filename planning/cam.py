"""Tencent CAM policy facts for the CBS calls the nodes make: the one place they are spelled. Pure.

- CAM authorizes CBS's API under the CVM service: "For CBS, use the APIs prefixed with `name/cvm:`, for example
  `name/cvm:CreateDisks` or `name/cvm:DescribeDisks`", disks being `qcs::cvm:<region>:uin/<uin>:volume/<disk id>`
  (tencentyun/intlcloud-documents@31e154d608b1ef3c37bd5defd1f86c3e3e802409
  product_new/存储产品中心/云硬盘/产品简介/访问管理/授权策略语法_intl_en.md). CAM's product list has no CBS service of its
  own: 云硬盘 is part of 云服务器, short name `cvm`, which supports authorization by tag
  (tencentyun/qcloud-documents@17ece2f31e3b98ab85711509aa8f7381c7809adf
  product/监控与管理/访问控制/什么是访问控制（CAM）/支持CAM的产品.md, 计算 table and its footnote 1). A `cbs:` action names
  no CAM service, so a statement with one grants nothing.
- Only the CBS APIs in the resource-level table can be limited by resource or condition; for any other "the resource
  element must be `*`" (intlcloud-documents@241a714fcb119d9f261274db40dd7a68b2e9f949
  product_new/存储产品中心/云硬盘/产品简介/访问管理/可授权的资源类型_intl_cn.md): CBS_RESOURCE_LEVEL below.
- Tag conditions: `{"for_any_value:string_equal": {"qcs:resource_tag": ["<key>&<value>"]}}` for the tags the
  resource carries, `qcs:request_tag` for the tags a create request asks for (CAM's ABAC and "deny does not take
  effect" examples in tencentyun/qcloud-documents, and COS's PutBucket tag-condition examples, spell them so).
  For list-type queries CAM may not apply a deny, nor any condition but an exact match such as string_equal
  (string_not_equal and the like do not take effect: CAM's page on when a deny does not take effect, in
  tencentyun/qcloud-documents). So every tag condition here is for_any_value:string_equal, the one deny fences only
  DetachDisks/ResizeDisk/TerminateDisks, and reads are allowed on "*" with no condition.
"""

from __future__ import annotations

CBS_SERVICE = "cvm"
TAG_OPERATOR = "for_any_value:string_equal"
RESOURCE_TAG, REQUEST_TAG = "qcs:resource_tag", "qcs:request_tag"


def clb(api: str) -> str:
    """The CAM action for a CLB API (CreateLoadBalancer -> clb:CreateLoadBalancer): CLB is its own CAM service,
    `name/clb:*` in CLB's policy examples (tencentyun/intlcloud-documents yehe_doc/网络与CDN/负载均衡/访问管理/
    策略示例_intl_zh.md), which also says CLB instances support authorization by tag."""
    return f"clb:{api}"


def vpc(api: str) -> str:
    """The CAM action for a VPC API (CreateSecurityGroup -> vpc:CreateSecurityGroup): 私有网络 is CAM service `vpc`,
    authorized at resource level and by tag (支持CAM的产品.md above, 网络 table)."""
    return f"vpc:{api}"


def cbs(api: str) -> str:
    """The CAM action for a CBS API (DescribeDisks -> cvm:DescribeDisks)."""
    return f"{CBS_SERVICE}:{api}"


# The resource-level table of 可授权的资源类型_intl_cn.md (above), verbatim.
CBS_RESOURCE_LEVEL = frozenset(
    cbs(api)
    for api in (
        "AttachDisks",
        "CreateDisks",
        "DescribeDiskOperationLogs",
        "DescribeDisks",
        "DetachDisks",
        "ModifyDiskAttributes",
        "ModifyDisksChargeType",
        "ModifyDisksRenewFlag",
        "RenewDisk",
        "ResizeDisk",
        "TerminateDisks",
    )
)


def tag_condition(key_kind: str, key: str, value: str) -> dict:
    """`{"for_any_value:string_equal": {<qcs:resource_tag | qcs:request_tag>: ["key&value"]}}`."""
    if key_kind not in (RESOURCE_TAG, REQUEST_TAG):
        raise ValueError(f"tag condition key {key_kind!r}: expected {RESOURCE_TAG} or {REQUEST_TAG}")
    return {TAG_OPERATOR: {key_kind: [f"{key}&{value}"]}}


def require_resource_level(actions: list[str]) -> list[str]:
    """`actions`, unless one cannot be scoped by a condition: CAM would not apply the condition to it."""
    loose = sorted(a for a in actions if a.startswith(f"{CBS_SERVICE}:") and a not in CBS_RESOURCE_LEVEL)
    if loose:
        raise ValueError(
            f'{", ".join(loose)}: no resource-level authorization in CAM (resource must be "*", no tag condition)'
        )
    return actions
