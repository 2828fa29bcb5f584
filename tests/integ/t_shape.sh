#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The tree's shape, checked mechanically over the product code (every .c and
# .h outside tests/):
#  - no file is over 600 lines;
#  - no function body is over 80 lines: the lines strictly between a "{" at
#    column 0 and the next "}" at column 0 (kernel style puts a function's
#    braces there and nothing else's);
#  - the binaries (cni/, ipam/, netd/) and the shared headers (include/) talk
#    to the kernel only through lib/: they include no kernel-talk header.
#    Kernel-talk headers are the ones that define a netlink protocol or wrap
#    one: <libmnl/...>, <libnftnl/...>, <netlink/...> (libnl), and from
#    <linux/...> netlink.h, rtnetlink.h, genetlink.h, if_link.h, if_addr.h,
#    neighbour.h, pkt_sched.h, pkt_cls.h, tc_act/*, netfilter*.h and
#    netfilter/*. Headers for sockets and ioctls that are not netlink
#    (<net/if.h>, <linux/if_ether.h>, <linux/if_packet.h>, <linux/filter.h>,
#    <linux/if_tun.h>) are not: netd's DHCP server owns its packet socket.
#    lib/'s private headers (lib/*_priv.h) count as kernel talk too.
#  - the plugins are linked statically (issue 15, decision 4; the Makefile's
#    STATIC): build/vmnet and build/vmnet-ipam need no shared library and
#    no dynamic loader (STATIC=1: none but libc and libmnl), and they still
#    answer VERSION with an empty environment.
# Each offender is one "not ok" naming file:function (or file:line).
# No root needed; run.sh runs it with the integration tests (make check).
#
#   tests/integ/t_shape.sh [BUILDDIR]      (TAP on stdout)
# shellcheck source=tests/integ/lib.sh
. "$(dirname "$0")/lib.sh"

cd "$LIB_ROOT" || bail "no repository at $LIB_ROOT"
need_cmds readelf
need_bins "$B/vmnet" "$B/vmnet-ipam" "$B/netd"
MAX_FILE=600
MAX_FUNC=80
KERNEL_TALK='^#[ \t]*include[ \t]*[<"](libmnl/|libnftnl/|netlink/|linux/(netlink|rtnetlink|genetlink|if_link|if_addr|neighbour|pkt_sched|pkt_cls|netfilter)[^>"]*|linux/tc_act/|linux/netfilter/|([.][.]/)*lib/[a-z_]*_priv[.]h)'

# Tracked and new (not ignored) files, so a file not yet committed counts.
FILES=$(git ls-files -co --exclude-standard -- '*.c' '*.h' 2>/dev/null | grep -v '^tests/' | sort -u)
[ -n "$FILES" ] || FILES=$(find . -path ./tests -prune -o -path ./build -prune -o \
	\( -name '*.c' -o -name '*.h' \) -print | sed 's|^\./||' | sort)
[ -n "$FILES" ] || bail "no product sources under $LIB_ROOT"

# long_files: "FILE has N lines" for each file over MAX_FILE lines.
long_files() {
	local f n
	for f in $FILES; do
		n=$(wc -l <"$f")
		[ "$n" -gt $MAX_FILE ] && echo "$f has $n lines"
	done
	return 0
}

# long_functions: "FILE:FUNCTION has N lines" for each body over MAX_FUNC lines. The
# function's name is the last identifier before a "(" in the lines above its
# "{" (back to the previous blank line, "}" or ";"), as in
#   static int
#   foo(int a,
#       int b)
#   {
long_functions() {
	# shellcheck disable=SC2086
	awk -v max=$MAX_FUNC '
		FNR == 1 { head = ""; inside = 0 }
		/^\{/ && !inside {
			inside = 1; start = FNR; name = head
			sub(/\(.*/, "", name); n = split(name, w, /[ \t*]+/); name = w[n]
			if (name == "") name = "line " FNR
			next
		}
		/^\}/ && inside {
			inside = 0
			if (FNR - start - 1 > max) print FILENAME ":" name " has " FNR - start - 1 " lines"
			head = ""; next
		}
		inside { next }
		/^[ \t]*$/ || /;[ \t]*$/ || /^#/ { head = ""; next }
		{ head = head " " $0 }
	' $FILES
}

# kernel_includes: "FILE:LINE: #include ..." in cni/, ipam/, netd/, include/.
kernel_includes() {
	local f
	for f in $FILES; do
		case $f in cni/* | ipam/* | netd/* | include/*) ;; *) continue ;; esac
		grep -nE "$KERNEL_TALK" "$f" | sed "s|^|$f:|"
	done
	return 0
}

report() { # NAME OFFENDERS: one "not ok" per offender, or one "ok"
	local l
	if [ -z "$2" ]; then
		ok "$1"
		return
	fi
	while IFS= read -r l; do
		not_ok "$1: $l"
	done <<<"$2"
}

# The checks must see something, or they prove nothing.
nfiles=$(wc -w <<<"$FILES")
# shellcheck disable=SC2016 # $1 is bash -c's
t_ok "found the product sources ($nfiles files, cni/ ipam/ netd/ lib/ among them)" \
	bash -c 'for d in cni ipam netd lib; do grep -q "^$d/.*\.c$" <<<"$1" || exit 1; done' _ "$FILES"
# shellcheck disable=SC2086
nfuncs=$(awk '/^\{/' $FILES | wc -l)
t_ok "found the functions ($nfuncs)" test "$nfuncs" -gt 100
# ...and must see an offender when there is one.
t_match "the include pattern catches <libmnl/libmnl.h>" "$(echo '#include <libmnl/libmnl.h>' | grep -E "$KERNEL_TALK")" libmnl
t_eq "the include pattern passes <net/if.h>" "$(echo '#include <net/if.h>' | grep -cE "$KERNEL_TALK")" 0

# needed FILE: the shared libraries FILE names (ELF NEEDED), one a line.
needed() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }
# The build's link mode (the Makefile keeps it in obj/link-mode): full, the
# default, links everything statically; 1 leaves libc and libmnl shared.
MODE=$(cat "$B/obj/link-mode" 2>/dev/null || echo full)
# shared_plugins: "PLUGIN needs LIB" for each shared library a plugin needs
# beyond what the mode allows (STATIC=0 builds, or a library added shared),
# and "PLUGIN has a dynamic loader" for a full build that has one.
shared_plugins() {
	local p l
	for p in vmnet vmnet-ipam; do
		for l in $(needed "$B/$p"); do
			case $MODE:$l in 1:libc.so.* | 1:libmnl.so.*) ;; *) echo "$p needs $l (build with STATIC=full, the default, or STATIC=1)" ;; esac
		done
		[ "$MODE" = 1 ] || ! readelf -l "$B/$p" | grep -q INTERP || echo "$p has a dynamic loader (STATIC=$MODE)"
	done
}
# ...and the check sees a shared library where there is one: netd's.
t_match "readelf shows netd's shared libnl-3 (the check can see one)" "$(needed "$B/netd" | tr '\n' ' ')" 'libnl-3[.]so'
echo "# plugins' shared libraries (STATIC=$MODE): vmnet: $(needed "$B/vmnet" | tr '\n' ' ')vmnet-ipam: $(needed "$B/vmnet-ipam" | tr '\n' ' ')"
if [ "$MODE" = 1 ]; then
	report "the plugins carry libnl-3, libnl-route-3, libnftnl and jansson inside them" "$(shared_plugins)"
else
	report "the plugins are static: no shared library, no dynamic loader" "$(shared_plugins)"
fi
for p in vmnet vmnet-ipam; do
	t_match "$p answers VERSION with an empty environment" \
		"$(env -i CNI_COMMAND=VERSION "$B/$p" </dev/null 2>&1)" '"supportedVersions": *\['
done

report "no product file over $MAX_FILE lines" "$(long_files)"
report "no function over $MAX_FUNC lines" "$(long_functions)"
report "cni/, ipam/, netd/ and include/ include no kernel-talk header" "$(kernel_includes)"
t_done
