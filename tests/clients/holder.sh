#!/bin/sh
# SPDX-License-Identifier: MIT
#
# The private mount namespace every real client of tests/integ/t_clients.sh
# runs in, held open by this process (run it as `unshare -m --propagation
# slave holder.sh DIR PLUGIN_DIR`; research/clients.md explains each step):
#
# - /sys/fs/cgroup/unified detached: crun 1.8 and runc refuse the hybrid layout;
# - /var/lib, /run, /opt and /etc/firewalld overlaid onto DIR: libcni's cache,
#   containerd's shim sockets (fixed under /run/containerd), podman's netns
#   mounts, firewalld's and dbus's files land there, never on the machine;
# - /etc/cni/net.d is DIR/net.d and /opt/cni/bin is PLUGIN_DIR: `ctr run --cni`
#   reads only those two fixed places.
#
# It writes DIR/ready once everything is mounted, then sleeps until killed.
set -eu
D=$1
PLUGINS=$2
umount /sys/fs/cgroup/unified 2>/dev/null || true
for m in /var/lib /run /opt /etc/firewalld; do
	[ -d "$m" ] || continue
	o=$D/ovl$(echo "$m" | tr / -)
	mkdir -p "$o/upper" "$o/work"
	mount -t overlay overlay -o "lowerdir=$m,upperdir=$o/upper,workdir=$o/work" "$m"
done
mkdir -p "$D/net.d" /run/dbus /opt/cni
mount --bind "$D/net.d" /etc/cni/net.d
ln -sfn "$PLUGINS" /opt/cni/bin
touch "$D/ready"
exec sleep infinity
