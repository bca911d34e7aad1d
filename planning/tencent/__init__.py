"""What Tencent Cloud's APIs accept and refuse, as plain data and pure functions, each fact with its source.

common.py holds the API 3.0 gateway's facts (the TC3-HMAC-SHA256 signature, the common error codes), one module
per service holds that service's (tke.py: the TKE 2018-05-25 cluster routes; cam.py: CAM 2019-01-16 GetRole and
the TKE service role; sts.py: STS 2018-08-13 AssumeRole). The emulator (kubecvm.emulator),
the simulated cloud (kubecvm.offline.simulated_cloud) and the components read them from here, so a rule is
written once. Imports neither pulumi nor Tencent's SDKs, like the rest of kubecvm.planning.
"""
