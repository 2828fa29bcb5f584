#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the test guest from Debian packages only, into a cache directory:
#
#   OUTDIR/vmlinux            the uncompressed kernel of linux-image-amd64, taken
#                             out of its bzImage. QEMU boots the ELF through the
#                             PVH entry point, which skips the xz decompressor
#                             that costs ~2 s per boot under TCG.
#   OUTDIR/initramfs.cpio.gz  busybox-static, the virtio modules of that kernel
#                             (in modprobe's dependency order), tests/vm/guest/
#                             and Debian's dhcpcd (dhcpcd-base: the guest's
#                             DHCPv6 client) with the shared libraries and the
#                             loader it is linked against, its hook runner and
#                             the privilege-separation user and chroot it needs
#   OUTDIR/stamp              what the two were built from; a rebuild happens
#                             only when it changes
#
#   tests/vm/build-guest.sh OUTDIR        (prints the kernel version)
#   KVER=6.1.0-56-amd64 tests/vm/build-guest.sh OUTDIR
#
# Needs linux-image-amd64, busybox-static, dhcpcd-base, kmod, cpio, gzip,
# xz-utils (make deps).
# (The linux-image-*-dbg package also carries a vmlinux, but it is a ~850 MB
# download for a file we can take out of the 70 MB package we already have.)
set -euo pipefail

OUT=${1:?usage: build-guest.sh OUTDIR}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BB=/bin/busybox
DHCPCD=/usr/sbin/dhcpcd
DHCPCD_HOOKS=/usr/lib/dhcpcd/dhcpcd-run-hooks
# virtio_pci for -M pc, virtio_mmio for -M microvm; deps come from modprobe.
MODS="virtio_pci virtio_mmio virtio_net"

die() {
	echo "build-guest: $*" >&2
	exit 1
}

if [ -z "${KVER:-}" ]; then
	# The kernel linux-image-amd64 depends on; else the newest in /boot.
	KVER=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
		grep -o 'linux-image-[0-9][^ ,]*' | head -n1 | sed 's/^linux-image-//') || true
	[ -n "$KVER" ] && [ -r "/boot/vmlinuz-$KVER" ] ||
		KVER=$(find /boot -maxdepth 1 -name 'vmlinuz-*' -printf '%f\n' 2>/dev/null |
			sed 's/^vmlinuz-//' | sort -V | tail -n1)
fi
[ -n "$KVER" ] || die "no kernel in /boot: apt-get install linux-image-amd64"
KERNEL=/boot/vmlinuz-$KVER
[ -r "$KERNEL" ] || die "cannot read $KERNEL"
[ -d "/lib/modules/$KVER" ] || die "no /lib/modules/$KVER"
[ -x "$BB" ] || die "$BB missing: apt-get install busybox-static"
if [ ! -x "$DHCPCD" ] || [ ! -r "$DHCPCD_HOOKS" ]; then
	die "$DHCPCD or $DHCPCD_HOOKS missing: apt-get install dhcpcd-base (the guest's DHCPv6 client)"
fi
command -v ldd >/dev/null || die "ldd missing: apt-get install libc-bin"
# shellcheck source=tests/need.sh
. "$HERE/../need.sh"
miss=$(need_missing cpio gzip xz modprobe dhcpcd)
[ -z "$miss" ] || die "not installed: $(echo $miss) (make deps)"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# One builder at a time (the demo and the tests may start together).
exec 9>"$OUT/.lock"
flock -w 300 9 || die "timed out waiting for $OUT/.lock"

stamp="kver=$KVER kernel=$(stat -c '%s.%Y' "$KERNEL") busybox=$(stat -c '%s.%Y' "$BB")
dhcpcd=$(stat -c '%s.%Y' "$DHCPCD")
recipe=$(cat "${BASH_SOURCE[0]}" "$HERE"/guest/* | sha256sum | cut -c1-16)"
if [ -r "$OUT/stamp" ] && [ "$(cat "$OUT/stamp")" = "$stamp" ] &&
	[ -s "$OUT/vmlinux" ] && [ -s "$OUT/initramfs.cpio.gz" ]; then
	echo "$KVER"
	exit 0
fi

STAGE=$(mktemp -d "$OUT/stage.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT

# ---- initramfs
R=$STAGE/root
mkdir -p "$R"/{bin,etc,proc,sys,dev,tmp,www,lib/modules}
cp "$BB" "$R/bin/busybox"
for a in $("$BB" --list); do
	[ "$a" = busybox ] || ln -s busybox "$R/bin/$a"
done
install -m 0755 "$HERE/guest/init" "$R/init"
install -m 0755 "$HERE/guest/udhcpc.sh" "$R/etc/udhcpc.sh"
install -m 0755 "$HERE/guest/retry" "$R/bin/retry"
echo "hello from a vmnet guest" >"$R/www/index.html"
echo "root:x:0:0:root:/:/bin/sh" >"$R/etc/passwd"
echo "root:x:0:" >"$R/etc/group"

# dhcpcd as Debian ships it: the binary, every library ldd names and the
# loader (same paths, so the binary's interpreter and search path hold),
# dhcpcd-run-hooks with only our hook (no resolvconf, hostname or NTP hooks:
# the IPv4 side of the guest keeps its resolv.conf), its state and run
# directories, and the unprivileged user it chroots to (privilege separation,
# Debian's PRIVSEP_USER dhcpcd, chroot /usr/lib/dhcpcd).
install -D -m 0755 "$DHCPCD" "$R$DHCPCD"
libs=$(ldd "$DHCPCD" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }')
[ -n "$libs" ] || die "ldd $DHCPCD named no libraries"
for l in $libs; do
	[ -r "$l" ] || die "$DHCPCD needs $l, which is missing"
	mkdir -p "$R$(dirname "$l")"
	cp -L "$l" "$R$l"
done
install -D -m 0755 "$DHCPCD_HOOKS" "$R$DHCPCD_HOOKS"
install -D -m 0644 "$HERE/guest/dhcpcd-hook" "$R/usr/lib/dhcpcd/dhcpcd-hooks/90-vmnet"
install -m 0644 "$HERE/guest/dhcpcd.conf" "$R/etc/dhcpcd.conf"
mkdir -p "$R/var/lib/dhcpcd" "$R/run/dhcpcd" "$R/usr/bin" "$R/usr/sbin"
echo "dhcpcd:x:101:65534:DHCP Client Daemon:/usr/lib/dhcpcd:/bin/false" >>"$R/etc/passwd"
echo "nogroup:x:65534:" >>"$R/etc/group"
printf 'passwd: files\ngroup: files\n' >"$R/etc/nsswitch.conf"

# Modules in load order, each once; "builtin X" lines (built into the
# kernel) need nothing.
for m in $MODS; do
	modprobe -S "$KVER" --show-depends "$m" || die "module $m not found for $KVER"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$STAGE/mods"
: >"$R/etc/modules"
while read -r ko; do
	b=$(basename "$ko")
	case $ko in
	*.ko.xz) xz -dc "$ko" >"$R/lib/modules/${b%.xz}" && b=${b%.xz} ;;
	*.ko.zst) zstd -qdc "$ko" >"$R/lib/modules/${b%.zst}" && b=${b%.zst} ;;
	*.ko.gz) gzip -dc "$ko" >"$R/lib/modules/${b%.gz}" && b=${b%.gz} ;;
	*) cp "$ko" "$R/lib/modules/$b" ;;
	esac
	echo "$b" >>"$R/etc/modules"
done <"$STAGE/mods"
grep -q '^virtio_net\.ko$' "$R/etc/modules" || die "virtio_net is not a module of $KVER?"

# Reproducible: sorted, owned by root, no timestamps in the gzip header.
(cd "$R" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet --owner=0:0 --reproducible) |
	gzip -9n >"$STAGE/initramfs.cpio.gz"

# ---- vmlinux: the bzImage carries it compressed after a small decompressor
# stub. Find each candidate magic, decompress from there and keep the first
# result that is an ELF file (the approach of the kernel's
# scripts/extract-vmlinux). Trailing bytes make the decompressors complain;
# what they wrote before that is complete.
extract() { # MAGIC(grep -P) DECOMPRESSOR...
	local magic=$1 off
	shift
	for off in $(LC_ALL=C grep -obUaP "$magic" "$KERNEL" | cut -d: -f1); do
		tail -c +$((off + 1)) "$KERNEL" | "$@" >"$STAGE/vmlinux" 2>/dev/null || true
		[ "$(head -c4 "$STAGE/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] && return 0
	done
	return 1
}
extract '\xfd7zXZ\x00' xz -dc ||
	extract '\x28\xb5\x2f\xfd' zstd -qdc ||
	extract '\x1f\x8b\x08' gzip -dc ||
	die "could not find the vmlinux inside $KERNEL"

mv "$STAGE/initramfs.cpio.gz" "$OUT/initramfs.cpio.gz"
mv "$STAGE/vmlinux" "$OUT/vmlinux"
echo "$stamp" >"$OUT/stamp"
echo "$KVER"
