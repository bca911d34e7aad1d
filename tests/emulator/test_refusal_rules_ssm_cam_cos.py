"""The refusal rules of SSM, CAM and COS (kubecvm/planning/tencent/ssm.py, cam.py, cos.py): one case each, refused by
the offline plan and, where the emulator answers the action, on the wire with the same code
(tests/emulator/refusal_case.py)."""

from __future__ import annotations

from refusal_case import Case, rule_tests

from kubecvm.planning.tencent import cam, cos, ssm

CASES = [
    Case(
        ssm.secret_name_free,
        "CreateSecret",
        ssm.SECRET,
        {"secretName": "ca"},
        "secret name ca exists",
        before=((ssm.SECRET, {"secretName": "ca"}),),
    ),
    Case(
        ssm.secret_version_free,
        "PutSecretValue",
        ssm.SECRET_VERSION,
        {"secretName": "ca", "versionId": "v1"},
        "secret ca already has version v1",
        before=((ssm.SECRET_VERSION, {"secretName": "ca", "versionId": "v1"}),),
    ),
    Case(
        cam.role_name_free,
        "CreateRole",
        cam.ROLE,
        {"name": "master"},
        r"master exists \(RoleNameInUse\)",
        before=((cam.ROLE, {"name": "master"}),),
    ),
    Case(
        cam.policy_name_free,
        "CreatePolicy",
        cam.POLICY,
        {"name": "read"},
        r"read exists \(PolicyNameInUse\)",
        before=((cam.POLICY, {"name": "read"}),),
    ),
    Case(
        cos.cos_bucket_name,
        "PutBucket",
        cos.BUCKET,
        {"bucket": "Etcd-backups"},
        "bucket 'Etcd-backups' is not <lower-case name>-<10-digit appid>",
    ),
]

(
    test_the_offline_plan_refuses_what_the_rule_refuses,
    test_where_the_emulator_answers_the_action_the_wire_refuses_with_the_same_code,
) = rule_tests(CASES)
