"""What a node needs to boot without a secret in its user data: the bootstrap token, the SSM secrets that hold
it and the PKI, and one CAM role per node role allowed to read exactly its share (planning.bootstrap.boot_plan)."""

from __future__ import annotations

import pulumi
import pulumi_random as random
import tencentcloud_iac_pulumi as tc

from kubecvm.planning import ClusterPlan, MachinePlan, bootstrap, names

from .lifecycle import with_lifecycle
from .pki import Pki

TYPE = "kubecvm:index:Boot"


class Boot(pulumi.ComponentResource):
    """`role_names[role]` goes to the CVM's cam_role_name; `ready[role]` is what a CVM of that role must wait for
    before booting: the secret values it reads and its role's policy."""

    def __init__(self, name: str, plan: ClusterPlan, *, pki: Pki, opts: pulumi.ResourceOptions | None = None):
        super().__init__(TYPE, name, None, with_lifecycle(opts))
        child = pulumi.ResourceOptions(parent=self)
        c, boot = plan.name, bootstrap.boot_plan(plan)

        # RandomPassword, not RandomString: its id is "none" and its result secret, so the token is never in clear.
        def part(which: str, length: int) -> pulumi.Output[str]:
            return random.RandomPassword(
                names.bootstrap_token(c, which),
                length=length,
                lower=True,
                numeric=True,
                upper=False,
                special=False,
                opts=child,
            ).result

        self.token = pulumi.Output.secret(
            pulumi.Output.concat(
                part("id", bootstrap.TOKEN_ID_LENGTH),
                ".",
                part("secret", bootstrap.TOKEN_SECRET_LENGTH),
            )
        )
        # RandomBytes: its base64 output is a secret (pulumi-random's additional_secret_outputs) and its id "none".
        key = random.RandomBytes(names.encryption_key(c), length=bootstrap.ENCRYPTION_KEY_BYTES, opts=child)
        values = {**pki.files, bootstrap.TOKEN_ITEM: self.token, bootstrap.ENCRYPTION_ITEM: key.base64}
        self.ready: dict[str, list[pulumi.Resource]] = {r.role: [] for r in boot.roles}

        def renamed(former: str) -> pulumi.ResourceOptions:
            # Renamed once (planning/names.py ssm_secret): the alias makes the new name a replacement of the
            # old secret (secret_name is ForceNew), created before the old one is deleted; the names differ, so
            # they never collide. docs/operations/changes.md, "Upgrading from ambiguous SSM names", says what it does to running nodes.
            return pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(name=former)])

        for s in boot.secrets:
            secret = tc.ssm.Secret(
                s.name,
                secret_name=s.name,
                description=f"kubecvm {c}: {s.item} (read at node boot)",
                is_enabled=True,
                recovery_window_in_days=boot.recovery_window_days,
                tags=plan.tagged("boot"),
                opts=renamed(s.former),
            )
            version = tc.ssm.SecretVersion(
                s.version,
                secret_name=secret.secret_name,
                version_id=boot.secret_version,
                secret_string=pulumi.Output.secret(values[s.item]),
                opts=renamed(names.ssm_secret_version(s.former)),
            )
            for role in s.readers:
                self.ready[role].append(version)

        self.role_names: dict[str, pulumi.Output[str]] = {}
        self.role_ids: dict[str, pulumi.Output[str]] = {}  # for other policies on the same roles (EtcdBackups)
        for r in boot.roles:
            role = tc.cam.Role(
                r.name,
                name=r.name,
                document=r.trust_document,
                console_login=False,
                description=f"kubecvm {c}: {r.role} nodes read their boot secrets",
                tags=plan.tagged("boot"),
                opts=child,
            )
            policy = tc.cam.Policy(
                r.policy,
                name=r.policy,
                document=r.policy_document,
                description=f"kubecvm {c}: what {r.role} nodes may read",
                opts=child,
            )
            self.ready[r.role].append(
                tc.cam.RolePolicyAttachment(r.attachment, role_id=role.id, policy_id=policy.id, opts=child)
            )
            self.role_names[r.role] = role.name
            self.role_ids[r.role] = role.id
        self.ca_hash = pki.ca_hash
        self.register_outputs({"roles": self.role_names})

    def user_data(self, plan: ClusterPlan, m: MachinePlan) -> pulumi.Output[str]:
        """The machine's cloud-init, once the CA hash is known (rendered by planning.bootstrap), encoded for the
        CVM's `user_data`: base64 of a MIME message holding it gzipped, text once decoded
        (bootstrap.encode_user_data says why). Rendered and encoded once (bootstrap.cvm_user_data)."""
        return self.ca_hash.apply(lambda ca_hash: bootstrap.cvm_user_data(plan, m, ca_hash=ca_hash))
