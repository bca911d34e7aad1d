# kubecvm boot helpers, sourced by the kubecvm-* scripts. Values come from /etc/kubecvm/boot.env.
# (KUBECVM_DIR, KUBECVM_LIB and TCCLI are overridden only by tests/bootstrap/test_scripts.py.)
KUBECVM_DIR=${KUBECVM_DIR:-/etc/kubecvm}
. "$KUBECVM_DIR/boot.env"
log() { echo "$(date -Is) kubecvm: $*"; }
retry() { local n=0; until "$@"; do n=$((n+1)); [ "$n" -lt "${TRIES:-60}" ] || return 1; sleep 10; done; }
# Tencent API calls with the instance role's temporary credentials: no key is ever stored on the node. The
# endpoint is <service>.$API_DOMAIN: the in-VPC one by default, so no NAT is needed (planning/mirrors.py).
tc() {
  local bin=${TCCLI:-/opt/kubecvm/tccli/bin/tccli}
  "$bin" "$@" --use-cvm-role --region "$REGION" --endpoint "$1.$API_DOMAIN" && return 0
  # The internal name follows Tencent's <service>.internal.tencentcloudapi.com pattern (documented for cbs, cvm,
  # tag, cls, sts); should it not answer, the public endpoint does wherever the node has egress.
  [ "$API_DOMAIN" != tencentcloudapi.com ] && "$bin" "$@" --use-cvm-role --region "$REGION" --endpoint "$1.tencentcloudapi.com"
}
# json KEY... : one value out of a JSON answer on stdin (keys or list indexes).
json() { python3 -c 'import json,sys
d = json.load(sys.stdin)
for k in sys.argv[1:]: d = d[int(k) if k.isdigit() else k]
sys.stdout.write(str(d))' "$@"; }
secret() { tc ssm GetSecretValue --SecretName "$1" --VersionId "$SECRET_VERSION" | json SecretString; }
api_up() { curl -ksf --max-time 5 "https://$1:6443/readyz" >/dev/null; }
