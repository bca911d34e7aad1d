#!/bin/bash
# A worker's data disk, sourced by kubecvm-boot after disks.sh on workers that have one (only they get this file:
# the user data budget). ROOT prefixes every path, as in disks.sh.

# bind_dir SOURCE TARGET: TARGET served from SOURCE (a directory on the data disk), through fstab.
bind_dir() {
  local src=$1 dst=$2
  install -d -m 0711 "$ROOT$src" "$ROOT$dst" || return 1
  grep -q " $dst none " "$ROOT/etc/fstab" ||
    echo "$src $dst none bind,nofail,x-systemd.requires-mounts-for=${src%/*} 0 0" >>"$ROOT/etc/fstab" || return 1
  mountpoint -q "$ROOT$dst" || mount "$ROOT$dst"
}

# A worker's data disk (the instance's one DATA_DISK of the planned type, before any volume is attached): containerd's
# images and the kubelet's pods live on it, not on the system disk. Layout: the disk at /var/lib/kubecvm-data,
# /var/lib/containerd and /var/lib/kubelet bound from its containerd/ and kubelet/ directories.
data_disk() {
  mount_disk "{\"Name\":\"disk-usage\",\"Values\":[\"DATA_DISK\"]},{\"Name\":\"disk-type\",\"Values\":[\"$DATA_DISK_TYPE\"]}" \
    /var/lib/kubecvm-data data || return 1
  bind_dir /var/lib/kubecvm-data/containerd /var/lib/containerd
  bind_dir /var/lib/kubecvm-data/kubelet /var/lib/kubelet
}
