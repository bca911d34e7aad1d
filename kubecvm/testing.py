"""Unit-test programs that use kubecvm without a cloud: the simulated Tencent Cloud as `pulumi.runtime.Mocks`.

    import pulumi
    from kubecvm.testing import SimulatedCloud
    pulumi.runtime.set_mocks(SimulatedCloud(), preview=False)

It answers what a plain hand-written Mocks cannot: Tencent-style ids, the planned addresses, CLB VIPs, image,
quota and instance-type look-ups (`tencentcloud.instance.get_types`, from the catalogue of Tencent's documented
types in kubecvm.offline.instance_types; a CVM of another type is refused), and a deterministic but valid PKI (pulumi-tls keys and certificates, so the kubeconfig and the
kubeadm CA hash are computed as on a real stack). `SimulatedCloud(route_table_quota=N)` is the account's
route-table quota the cluster's live check reads; `SimulatedCloud(sells=("BMS5.24XLARGE384",))` also sells those
types of the families Tencent's pages name without sizes (bare metal, HPC), as `kubecvm plan` does for a stack's own.
"""

from kubecvm.offline.simulated_cloud import ROUTE_TABLE_QUOTA_DEFAULT, SimulatedCloud

__all__ = ["ROUTE_TABLE_QUOTA_DEFAULT", "SimulatedCloud"]
