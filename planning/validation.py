"""Platform rules for values that reach Kubernetes or Tencent Cloud verbatim, each in one place with its source.

Pure: the spec (planning/spec/) validates with these, and planning/kubeadm.py checks labels and taints again where
it renders them onto the kubelet's command line (a plan built by hand never went through the spec).
Each function returns the problem as a string, or None when the value is fine.
"""

from __future__ import annotations

import ipaddress
import re

import regex

# --- Kubernetes: label keys, label values, taints --------------------------------------------------------------
# kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go:
#   IsQualifiedName: [prefix/]name, name <= 63 of qualifiedNameFmt, prefix a DNS-1123 subdomain <= 253;
#   IsValidLabelValue: empty, or <= 63 of qualifiedNameFmt. Taint keys and values follow the same two rules
#   (pkg/apis/core/validation/validation.go validateNodeTaints), effects NoSchedule/PreferNoSchedule/NoExecute.
_QUALIFIED = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
NAME_MAX, PREFIX_MAX, VALUE_MAX = 63, 253, 63

# The kubelet refuses to start when --node-labels holds a kubernetes.io or k8s.io label it may not set itself
# (cmd/kubelet/app/options/options.go ValidateKubeletFlags, "unknown 'kubernetes.io' or 'k8s.io' labels");
# what it may set: staging/src/k8s.io/kubelet/pkg/apis/well_known_labels.go (kubeletLabels, kubeletLabelNamespaces).
KUBELET_LABELS = frozenset(
    {
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "failure-domain.beta.kubernetes.io/region",
        "beta.kubernetes.io/instance-type",
        "node.kubernetes.io/instance-type",
        "kubernetes.io/os",
        "kubernetes.io/arch",
        "beta.kubernetes.io/os",
        "beta.kubernetes.io/arch",
    }
)
KUBELET_LABEL_NAMESPACES = ("kubelet.kubernetes.io", "node.kubernetes.io")


def _in_namespace(namespace: str, ns: str) -> bool:
    return namespace == ns or namespace.endswith("." + ns)


def qualified_name_problem(key: str) -> str | None:
    prefix, slash, name = key.rpartition("/")
    if slash and not prefix:
        return f"{key!r}: the prefix before '/' is empty"
    if slash and (len(prefix) > PREFIX_MAX or not _DNS1123_SUBDOMAIN.fullmatch(prefix)):
        return f"{key!r}: the prefix {prefix!r} must be a lower-case DNS subdomain of at most {PREFIX_MAX} characters"
    if not name or len(name) > NAME_MAX or not _QUALIFIED.fullmatch(name):
        return (
            f"{key!r}: the name must be 1..{NAME_MAX} letters, digits, '-', '_' or '.', starting and ending "
            "with a letter or digit"
        )
    return None


def label_value_problem(value: str) -> str | None:
    if value and (len(value) > VALUE_MAX or not _QUALIFIED.fullmatch(value)):
        return (
            f"{value!r}: a label value is empty or 1..{VALUE_MAX} letters, digits, '-', '_' or '.', starting "
            "and ending with a letter or digit (no spaces)"
        )
    return None


def kubelet_label_problem(key: str) -> str | None:
    """A label the kubelet may not set on its own Node with --node-labels."""
    namespace = key.rpartition("/")[0]
    if not any(_in_namespace(namespace, ns) for ns in ("kubernetes.io", "k8s.io")):
        return None
    if key in KUBELET_LABELS or any(_in_namespace(namespace, ns) for ns in KUBELET_LABEL_NAMESPACES):
        return None
    return (
        f"{key!r}: the kubelet refuses kubernetes.io and k8s.io labels other than "
        f"{', '.join(sorted(KUBELET_LABELS))} and those under {' or '.join(KUBELET_LABEL_NAMESPACES)}"
    )


# Labels a pool may not set although the kubelet would take them: the kubelet sets these on its Node itself (the
# well-known labels above: kubernetes.io/os, /arch, /hostname, the topology and instance-type labels), and a value
# given with --node-labels wins over its own (`kubernetes.io/os=windows` hid the workers from every DaemonSet that
# selects kubernetes.io/os=linux: kube-proxy, ingress-nginx, metrics-server). kubecvm sets the topology labels from
# the plan (bootstrap.node_labels) and its own under kubecvm/ (kubecvm/pool, which ingress-nginx selects by).
KUBECVM_LABEL_PREFIX = "kubecvm/"


def reserved_label_problem(key: str) -> str | None:
    if key in KUBELET_LABELS:
        return (
            f"{key!r} is set on every node by the kubelet and kubecvm (its real value: the node's OS, "
            "architecture, hostname, zone, region or instance type); a pool label may not override it"
        )
    if key.startswith(KUBECVM_LABEL_PREFIX):
        return f"{key!r}: labels under {KUBECVM_LABEL_PREFIX} are kubecvm's own (kubecvm/pool is the pool's name)"
    return None


def node_label_problem(key: str, value: str) -> str | None:
    """A label the kubelet may be given (kubecvm's own topology and pool labels included)."""
    return qualified_name_problem(key) or kubelet_label_problem(key) or label_value_problem(value)


def pool_label_problem(key: str, value: str) -> str | None:
    """A label a user may give a pool: one the kubelet takes and that is neither its own nor kubecvm's."""
    return node_label_problem(key, value) or reserved_label_problem(key)


def duplicate_taint_problem(taints: list[tuple[str, str]]) -> tuple[int, str] | None:
    """(index, problem) of the first taint whose key and effect an earlier one has: the API server refuses the Node
    ("taints must be unique by key and effect pair", pkg/apis/core/validation/validation.go validateNodeTaints),
    so the kubelet never registers."""
    seen: dict[tuple[str, str], int] = {}
    for i, pair in enumerate(taints):
        if pair in seen:
            return i, (
                f"taint {pair[0]!r} with effect {pair[1]} is given twice (also taints[{seen[pair]}]); the API "
                "server refuses a node whose taints are not unique by key and effect, so it would never join"
            )
        seen[pair] = i
    return None


def taint_problem(key: str, value: str) -> str | None:
    return qualified_name_problem(key) or label_value_problem(value)


# --- container image references: distribution's grammar ----------------------------------------------------------
# github.com/distribution/reference (regexp.go, reference.go; what containerd and kubeadm parse images with):
#   name             := [domain '/'] remote-name;  domain := host [':' port-number]
#   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/, joined by '.'
#   path-component   := alpha-numeric [separator alpha-numeric]*;  alpha-numeric := /[a-z0-9]+/
#   separator        := /[_.]|__|[-]+/;  NameTotalLengthMax = 255
# and the first component is a registry host only if it holds a '.' or a ':' or is `localhost` (splitDockerDomain,
# normalize.go): `team/images` would be Docker Hub's docker.io/team/images. kubecvm keeps hosts lower-case (the
# egress planning compares them: planning/mirrors.py) and ports to 1..65535 (the grammar takes any digits).
_DOMAIN_COMPONENT = r"(?:[a-z0-9]|[a-z0-9][a-z0-9-]*[a-z0-9])"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*"
_IMAGE_PREFIX = re.compile(
    rf"(?P<host>{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*)(?::(?P<port>[0-9]+))?"
    rf"(?P<path>(?:/{_PATH_COMPONENT})*)"
)
IMAGE_NAME_MAX = 255


def image_prefix_problem(value: str, longest_suffix: int) -> str | None:
    """A registry (host[:port]) or repository (host[:port]/path) that image names are made under by appending
    `/<name>`, the longest `longest_suffix` characters; None when every such name is a valid reference."""
    m = _IMAGE_PREFIX.fullmatch(value)
    if not m:
        return (
            f"{value[:80]!r} is not a registry or repository: expected host[:port][/path], a lower-case host of "
            "letters, digits, '-' and '.', path components of lower-case letters and digits joined by '.', '_', "
            "'__' or '-' (the distribution reference grammar)"
        )
    if "." not in m["host"] and m["port"] is None and m["host"] != "localhost":
        return (
            f"{value[:80]!r} does not start with a registry host: {m['host']!r} would be read as a Docker Hub "
            f"path (docker.io/{value[:40]}/...); name the registry, e.g. registry.example.com/{value[:40]}"
        )
    if m["port"] is not None and not 1 <= int(m["port"]) <= 65535:
        return f"{value[:80]!r}: port {m['port'][:10]} is not a TCP port (1..65535)"
    if len(m["host"]) > 253 or any(len(label) > 63 for label in m["host"].split(".")):
        return f"{value[:80]!r}: the host is not a DNS name (labels of at most 63 characters, 253 in all)"
    if len(value) + 1 + longest_suffix > IMAGE_NAME_MAX:
        return (
            f"a prefix of {len(value)} characters: the image names made under it (up to {longest_suffix} more "
            f"characters) would pass the {IMAGE_NAME_MAX} a reference's name may have"
        )
    return None


def url_host_problem(url: str) -> str | None:
    """The host and port of an http(s) URL: a DNS name or IPv4 address, a port in 1..65535."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"{url[:80]!r}: {exc}"
    host = parts.hostname or ""
    labels = host.split(".")
    if (
        not host
        or len(host) > 253
        or host.endswith(".")
        or not all(re.fullmatch(_DOMAIN_COMPONENT, label, re.I) and len(label) <= 63 for label in labels)
    ):
        return f"{url[:80]!r}: {host[:80]!r} is not a host name (DNS labels of letters, digits and inner '-')"
    if port is not None and port == 0:
        return f"{url[:80]!r}: port 0 is not a TCP port (1..65535)"
    return None


# --- Kubernetes: the service range -------------------------------------------------------------------------------
# kube-apiserver refuses a service range of more than 20 host bits: "specified --service-cluster-ip-range is too
# large; for 32-bit addresses, the mask must be >= 12" (cmd/kube-apiserver/app/options/validation.go, maxCIDRBits).
SERVICE_MIN_PREFIX = 12
# kubeadm gives the cluster DNS service the 10th address of the range (cmd/kubeadm/app/constants GetDNSIP) and the
# API service the first: the range needs at least 16 addresses.
SERVICE_DNS_OFFSET = 10
SERVICE_MAX_PREFIX = 28


def service_cidr_problem(net: ipaddress.IPv4Network) -> str | None:
    if net.prefixlen < SERVICE_MIN_PREFIX:
        return (
            f"/{net.prefixlen} is larger than kube-apiserver accepts: a service range must be /{SERVICE_MIN_PREFIX} "
            "or smaller (at most 20 host bits)"
        )
    if net.prefixlen > SERVICE_MAX_PREFIX:
        return (
            f"/{net.prefixlen} has no room for the cluster DNS address (kubeadm takes the range's "
            f"{SERVICE_DNS_OFFSET}th address): use /{SERVICE_MAX_PREFIX} or larger"
        )
    return None


# --- Tencent Cloud tags ------------------------------------------------------------------------------------------
# Tencent Cloud tag limits: at most 50 tags per resource; keys starting with qcloud, tencent or project are
# reserved (CreateTag error InvalidParameterValue.ReservedTagKey, tag API 2018-08-13, cloud.tencent.com document
# product/651/33015; "使用限制" in product/597/33355); keys and values are letters, digits, spaces or Chinese
# characters and + - = . _ : / @ (same page); a key is 1..127 characters, a value 0..255 (COS bucket tag limits,
# product/436/31509, which apply the tag service's rules).
TAGS_PER_RESOURCE = 50
TAG_KEY_MAX, TAG_VALUE_MAX = 127, 255
TAG_RESERVED_PREFIXES = ("qcloud", "tencent", "project")
_TAG_TEXT = re.compile(r"[A-Za-z0-9 \u4e00-\u9fff+\-=._:/@]*")


def tag_problem(key: str, value: str) -> str | None:
    if not key or len(key) > TAG_KEY_MAX:
        return f"{key[:40]!r}: a tag key is 1..{TAG_KEY_MAX} characters"
    if key.lower().startswith(TAG_RESERVED_PREFIXES):
        return f"{key!r}: tag keys starting with {', '.join(TAG_RESERVED_PREFIXES)} are reserved by Tencent Cloud"
    if len(value) > TAG_VALUE_MAX:
        return f"{key!r}: a tag value is at most {TAG_VALUE_MAX} characters"
    for what, text in (("key", key), ("value", value)):
        if not _TAG_TEXT.fullmatch(text):
            return (
                f"{key!r}: the tag {what} {text[:40]!r} may hold only letters, digits, spaces, Chinese characters "
                "and + - = . _ : / @"
            )
    return None


# kubecvm's own tags on every taggable resource: kubecvm/cluster, kubecvm/role, kubecvm/pool (planning/plan_model.py
# TAG_*); they count against the 50.
KUBECVM_TAGS = 3


# --- imageNameRegex ------------------------------------------------------------------------------------------------
# The provider matches it against Tencent's image list in Go (tencentcloud_images image_name_regex, "A regex string
# to apply to the image list", tencentcloud/services/cvm/data_source_tc_images.go), so it must be Go's RE2 syntax:
# no lookaround, backreferences, atomic groups, possessive quantifiers or conditionals (pkg.go.dev/regexp/syntax).
# RE2 matches in linear time, so what compiles here cannot hang `pulumi up` either.
IMAGE_REGEX_MAX = 512
_NOT_RE2 = regex.compile(r"\(\?(?:[=!]|<[=!]|>|P=|\()|\\[1-9]|\\g|(?<!\\)[*+?}][+]")


def image_regex_problem(pattern: str) -> str | None:
    if len(pattern) > IMAGE_REGEX_MAX:
        return f"a pattern of {len(pattern)} characters; at most {IMAGE_REGEX_MAX}"
    try:
        regex.compile(pattern)
    except (regex.error, ValueError, OverflowError, RecursionError) as exc:
        return f"{pattern[:80]!r} is not a regular expression ({exc})"
    if found := _NOT_RE2.search(pattern):
        return (
            f"{pattern[:80]!r} uses {found[0]!r}, which Go's regexp (RE2), where the provider matches it, does not "
            "support (no lookaround, backreferences, atomic groups or possessive quantifiers)"
        )
    return None


def image_regex_matches(pattern: str, name: str, timeout: float = 0.5) -> bool:
    """Whether an image name matches as the provider would (a search, like Go's MatchString)."""
    return regex.search(pattern, name, timeout=timeout) is not None
