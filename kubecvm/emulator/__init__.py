"""A Tencent Cloud API emulator on 127.0.0.1, for tests and local runs: the API 3.0 wire (TC3-HMAC-SHA256 signed
JSON requests, Tencent's answers and error codes) with the state and refusals of the services it emulates (TKE's
cluster routes, CAM's GetRole, STS's AssumeRole and the temporary credentials it issues, VPC's security groups and
their rules, Cloud Monitor's alarm policies and their tag bindings). docs/emulator.md has what it covers.

    python -m kubecvm.emulator --port 0       # prints: kubecvm-emulator listening on http://127.0.0.1:PORT

    from kubecvm.emulator import Emulator, SECRET_ID, SECRET_KEY
    emulator = Emulator()
    with emulator.serve() as url:              # a thread; point TENCENTCLOUD_{TKE,CAM,STS}_ENDPOINT (or an SDK) at url
        ...
    emulator.tke.tables, emulator.summary()    # its state; emulator.tke.fail["CreateClusterRoute"] = [code, ...]
    emulator.tke.callers                       # who signed each TKE call: a SecretId or an assumed role's RoleArn
"""

# The one credential pair the emulator accepts unless told others (--secret-id/--secret-key, Emulator(...)).
# Test values, never a real key: Tencent's SecretIds start with AKID, so this one looks like one to SDKs.
# Defined before the imports below, which read them.
SECRET_ID = "AKIDkubecvmTEST0000000000000000000000"
SECRET_KEY = "kubecvm-test-secret-key-0000000000"
# The emulated account's UIN (in RoleArns: qcs::cam::uin/<UIN>:roleName/<name>); a test value.
ACCOUNT_UIN = "100000000001"

from kubecvm.emulator.server import Emulator, base_url, make_server  # noqa: E402
from kubecvm.emulator.service import ApiError, Service  # noqa: E402

__all__ = ["ACCOUNT_UIN", "SECRET_ID", "SECRET_KEY", "ApiError", "Emulator", "Service", "base_url", "make_server"]
