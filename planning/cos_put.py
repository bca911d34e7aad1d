# Upload one file to COS with this CVM's CAM role: cos_put.py BUCKET REGION FILE KEY (run by kubecvm-etcd-backup).
#
# Runs on masters with the tccli virtualenv's Python, where the boot script installs Tencent's official COS SDK
# (cos-python-sdk-v5, planning/backups.py COS_SDK_VERSION). Credentials are the role's temporary ones from the
# metadata service (tencentyun/intlcloud-documents, CVM "Viewing Instance Metadata":
# /meta-data/cam/security-credentials/<role> gives TmpSecretId, TmpSecretKey, Token); nothing is stored. The
# endpoint is the region's default domain, which resolves to COS's internal addresses from a CVM in the same
# region (planning/backups.py cites the doc), so no NAT is involved. Comment lines are dropped when shipped.
import json
import os
import sys
import urllib.request

META = os.environ.get("METADATA_URL", "http://metadata.tencentyun.com/latest/meta-data/cam/security-credentials/")


def role_credentials():
    with urllib.request.urlopen(META, timeout=5) as answer:
        role = answer.read().decode().split()[0]
    with urllib.request.urlopen(META + role, timeout=5) as answer:
        return json.load(answer)


def main(bucket, region, path, key):
    from qcloud_cos import CosConfig, CosS3Client

    c = role_credentials()
    config = CosConfig(Region=region, SecretId=c["TmpSecretId"], SecretKey=c["TmpSecretKey"], Token=c["Token"],
                       Scheme="https", Endpoint="cos.%s.myqcloud.com" % region)
    CosS3Client(config).upload_file(Bucket=bucket, Key=key, LocalFilePath=path, EnableMD5=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
