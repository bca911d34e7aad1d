#!/bin/bash
# kubecvm disk helpers, sourced by kubecvm-boot after lib.sh. ROOT prefixes every path (tests run it under a
# temporary directory with fake mkfs/blkid/mount/tccli on PATH: tests/bootstrap/test_boot_run.py).
ROOT=${KUBECVM_ROOT:-}

# One CBS disk attached to this instance whose id DescribeDisks answers for FILTERS (JSON), exactly one, or fail.
disk_id() {
  local me
  me=$(curl -fsS http://metadata.tencentyun.com/latest/meta-data/instance-id) || return 1
  tc cbs DescribeDisks --Filters "[{\"Name\":\"instance-id\",\"Values\":[\"$me\"]},$1]" | python3 -c 'import json,sys
disks = json.load(sys.stdin)["DiskSet"]
if len(disks) != 1:
    sys.exit("expected exactly one disk, found %d" % len(disks))
print(disks[0]["DiskId"])'
}

# mount_disk FILTER MOUNTPOINT LABEL: format the disk only when it holds no filesystem (so data survives a replaced
# instance or a re-run), add it to fstab by UUID, mount it. Already in fstab (a reboot or a re-run): no API call,
# no format, only the mount. The virtio serial of a CBS disk is its id (/dev/disk/by-id/virtio-disk-xxxxxxxx).
# Every step says when it fails: this runs under `retry`, where bash's errexit does not apply.
mount_disk() {
  local filter=$1 dir=$2 label=$3 id dev uuid
  if ! grep -q " $dir ext4 " "$ROOT/etc/fstab"; then
    id=$(disk_id "$filter") || return 1
    dev=$ROOT/dev/disk/by-id/virtio-$id
    [ -e "$dev" ] || return 1  # udev's by-id link appears once the disk is attached
    blkid "$dev" >/dev/null || mkfs.ext4 -q -L "$label" "$dev" || return 1
    uuid=$(blkid -s UUID -o value "$dev") && [ -n "$uuid" ] || return 1
    # nofail keeps a late disk from dropping the boot to emergency mode; the kubelet (and containerd) drop-ins
    # RequiresMountsFor= the directory, so they refuse to start on the empty root-disk directory instead.
    echo "UUID=$uuid $dir ext4 defaults,nofail,x-systemd.device-timeout=5min 0 2" >>"$ROOT/etc/fstab" || return 1
    systemctl daemon-reload || return 1
  fi
  install -d -m 0700 "$ROOT$dir" || return 1
  mountpoint -q "$ROOT$dir" || mount "$ROOT$dir"
}

# The etcd disk, found by its planned name.
etcd_disk() { mount_disk "{\"Name\":\"disk-name\",\"Values\":[\"$ETCD_DISK\"]}" /var/lib/etcd etcd; }
