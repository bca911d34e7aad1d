# Upload one file to COS with this CVM's CAM role: cos_put.py BUCKET REGION FILE KEY (run by kubecvm-etcd-backup).
#
# Runs on masters with the tccli virtualenv's Python, where the boot script installs Tencent's official COS SDK
# (cos-python-sdk-v5, planning/backups.py COS_SDK_VERSION; tests/bootstrap/test_backups.py runs this file with that
# SDK against a fake COS on 127.0.0.1). Credentials are the role's temporary ones from the metadata service
# (tencentyun/intlcloud-documents, CVM "Viewing Instance Metadata": /meta-data/cam/security-credentials/<role> gives
# TmpSecretId, TmpSecretKey, Token); nothing is stored. In the SDK (qcloud_cos/cos_client.py CosConfig and
# CosS3Client.put_object): the token goes out as x-cos-security-token, ServerSideEncryption as
# x-cos-server-side-encryption (every snapshot encrypted, whatever the bucket's default), EnableMD5 as Content-MD5.
# The request goes to <bucket>.<Endpoint>; cos.<region>.myqcloud.com is also what the SDK builds from Region alone
# (cos_comm.py format_endpoint with EnableOldDomain=True), spelled out so that a change of SDK default (its
# tencentcos.cn domain) cannot move it: the region's default domain resolves to COS's internal addresses from a CVM
# in the region (planning/backups.py cites the doc), so no NAT is involved.
# One PutObject, not upload_file: above 1 MB (every snapshot) upload_file first lists the bucket's multipart uploads
# (cos:ListMultipartUploads, a bucket-level call the masters may not make) and then uploads parts. A PutObject takes
# up to 5 GB (put_object's docstring; COS refuses more), more than etcd's default 2 GiB backend quota, which
# kubeadm keeps.
# Comment lines are dropped when shipped.
import json
import os
import sys
import urllib.request

META = os.environ.get("METADATA_URL", "http://metadata.tencentyun.com/latest/meta-data/cam/security-credentials/")


def role_credentials():
    with urllib.request.urlopen(META, timeout=5) as r:
        role = r.read().decode().split()[0]
    with urllib.request.urlopen(META + role, timeout=5) as r:
        return json.load(r)


def main(bucket, region, path, key):
    from qcloud_cos import CosConfig, CosS3Client

    c = role_credentials()
    # https: CosConfig's default Scheme.
    config = CosConfig(Region=region, SecretId=c["TmpSecretId"], SecretKey=c["TmpSecretKey"], Token=c["Token"],
                       Endpoint="cos.%s.myqcloud.com" % region)
    CosS3Client(config).put_object(Bucket=bucket, Key=key, Body=open(path, "rb"), EnableMD5=True,
                                   ServerSideEncryption="AES256")


if __name__ == "__main__":
    main(*sys.argv[1:])
