"""The model of Tencent Cloud: what its APIs accept and refuse, as plain data and pure functions, each fact with its source.

common.py holds the API 3.0 gateway's facts (the TC3-HMAC-SHA256 signature, the common error codes), one module
per service holds that service's: vpc.py, cvm.py, cbs.py, clb.py, ssm.py, cos.py (the resources the Tencent
provider makes), cam.py (CAM 2019-01-16 GetRole, the TKE service role, the roles and policies the stacks make),
sts.py (STS 2018-08-13 AssumeRole), tke.py (the TKE 2018-05-25 cluster routes, and the ClusterRouteTable kubecvm
makes) and monitor.py (Cloud Monitor 2018-07-24 alarm policies and TMP instances; monitor_wire.py holds its helpers
that are not facts). A service module whose resources the stacks make holds their engine type tokens, id prefixes, ForceNew
inputs, what a create returns that kubecvm reads, and its create and delete refusal rules; account.py is the account
those rules read (CloudState), services.py merges the modules' tables. The emulator (kubecvm.emulator), the
simulated cloud (kubecvm.offline.simulated_cloud), `kubecvm diff`, the diagram, the policies and the components read
them from here, so a fact is written once. Imports neither pulumi nor Tencent's SDKs, like the rest of
kubecvm.planning.
"""
