#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# cpu.sh: where a plugin call's CPU goes, function by function (the "where
# a call's CPU goes" tables of tests/bench/README.md). It runs ab.sh with
# BUILD as both A and B; once the population is there, every ADD and DEL of
# the probes runs under `perf record --call-graph dwarf` (the plugins keep
# their unwind index, .eh_frame_hdr, so perf unwinds them; see the Makefile's
# STATIC). For each verb it prints the samples' shares by the outermost
# vmnet functions on the stack below the call's spine (main, the dispatch,
# vmnet_cmd_add/del; CPU_DEPTH of them, 2 by default), kernel and user
# apart; "(start/exit)" are the samples with no vmnet function on the
# stack: exec, the C library's start and the exit. A second table
# charges the kernel's samples to the system call they ran in.
#
#   sudo tests/bench/cpu.sh BUILD [MODE [TAP [N [PROBES [netd]]]]]
#   sudo tests/bench/cpu.sh build shared host 30 25 netd
#
# The arguments after BUILD are ab.sh's; CPU_FREQ is perf's sampling rate
# (10000 Hz by default); CPU_KERNEL=K adds a third table, the K kernel
# functions found on the most samples' stacks (inclusive: where a kernel
# walk that grows with N shows); CPU_KEEP=DIR keeps perf's recordings
# there (DIR/rec, one per call). perf's own work is not in the
# samples (it records the plugin's), but it slows each call several times:
# read shares, not times. Rule 8: a profile, not a timed test.
set -u
[ "$(id -u)" = 0 ] || { echo "cpu.sh: needs root" >&2; exit 1; }
[ $# -ge 1 ] || { sed -n '3,26p' "$0" >&2; exit 2; }
command -v perf >/dev/null || { echo "cpu.sh: no perf (Debian: linux-perf)" >&2; exit 1; }
BUILD=$(realpath "$1")
shift
HERE=$(cd "$(dirname "$0")" && pwd)
[ -x "$BUILD/vmnet" ] || { echo "cpu.sh: no $BUILD/vmnet" >&2; exit 1; }
readelf -lW "$BUILD/vmnet" | grep -q GNU_EH_FRAME ||
	echo "cpu.sh: $BUILD/vmnet has no unwind index: only kernel stacks will be whole" >&2
W=$(mktemp -d /tmp/vmnet-cpu.XXXXXX)
trap '[ -z "${CPU_KEEP:-}" ] || cp -r "$W/rec" "$CPU_KEEP"; rm -rf "$W"' EXIT INT TERM
mkdir -p "$W/rec"
# The functions of vmnet's own objects: what the tables are made of.
find "$BUILD/obj" -name '*.o' ! -path '*/tests/*' ! -path '*/netd/*' -print0 |
	xargs -0 nm --defined-only 2>/dev/null | awk '$2 ~ /^[tT]$/ {print $3}' | sort -u >"$W/syms"
[ -s "$W/syms" ] || { echo "cpu.sh: no objects under $BUILD/obj" >&2; exit 1; }
cat >"$W/wrap" <<EOF
#!/bin/sh
# Only the probes' ADD and DEL, once ab.sh's hook said the population is there.
case "\$CNI_COMMAND" in ADD|DEL) ;; *) exec "\$@" ;; esac
[ -e "$W/on" ] || exec "\$@"
exec perf record -q -F ${CPU_FREQ:-10000} --call-graph dwarf,65528 \\
	-o "$W/rec/\$CNI_COMMAND.\$\$.data" "\$@"
EOF
chmod +x "$W/wrap"
DRIVE_WRAP=$W/wrap AB_HOOK="touch '$W/on'" AB_HOOK_END="rm -f '$W/on'" \
	"$HERE/ab.sh" "$BUILD" "$BUILD" "$@" >"$W/ab.txt" || { cat "$W/ab.txt"; exit 1; }
head -1 "$W/ab.txt"
for verb in ADD DEL; do
	set -- "$W/rec/$verb".*.data
	[ -e "$1" ] || { echo "cpu.sh: no $verb recorded" >&2; exit 1; }
	for f in "$@"; do perf script -i "$f" -F ip,sym,dso 2>/dev/null; echo; done |
		awk -v verb="$verb" -v calls=$# -v depth="${CPU_DEPTH:-2}" -v kdepth="${CPU_KERNEL:-0}" -v syms="$W/syms" '
		BEGIN {
			while ((getline s <syms) > 0) ours[s] = 1
			split("main vmnet_plugin_main dispatch add del check vmnet_cmd_add vmnet_cmd_del", sp)
			for (s in sp) spine[sp[s]] = 1
		}
		function flush(   i, path, m, k, sc, own) {
			if (!nf) return
			n++
			k = kern[1]
			# Outermost first: the last frames perf printed.
			m = 0; path = ""; own = 0
			for (i = nf; i >= 1 && m < depth; i--) {
				if (!(fn[i] in ours)) continue
				own = 1
				if (fn[i] in spine) continue
				path = path (m ? " > " : "") fn[i]; m++
			}
			if (!own) path = "(start/exit)"
			else if (!m) path = "(the spine itself)"
			tot[path]++
			if (k) { kin[path]++; nk++ }
			if (k) {
				sc = "(page fault or interrupt)"
				for (i = 1; i <= nf; i++)
					if (fn[i] == "do_syscall_64" && i > 1) { sc = fn[i - 1]; break }
				sys[sc]++
				if (kdepth) {
					delete seen
					for (i = 1; i <= nf && kern[i]; i++)
						if (!(fn[i] in seen)) { seen[fn[i]] = 1; kfn[fn[i]]++ }
				}
			}
			nf = 0
		}
		/^[ \t]*$/ { flush(); next }
		/^[ \t]/ {
			nf++; fn[nf] = $2
			kern[nf] = index($0, "[kernel.kallsyms]") > 0
			next
		}
		END {
			flush()
			printf "\n%s: %d calls, %d samples, %.0f %% in the kernel\n", verb, calls, n, 100 * nk / n
			printf "%6s %6s  %s\n", "all %", "kern %", "vmnet functions (outermost first)"
			for (p in tot) printf "%6.1f %6.1f  %s\n", 100 * tot[p] / n, 100 * kin[p] / n, p | "sort -rn | head -25"
			close("sort -rn | head -25")
			printf "\n%s, the kernel'"'"'s samples by system call (%% of all samples)\n", verb
			for (s in sys) printf "%6.1f  %s\n", 100 * sys[s] / n, s | "sort -rn | head -15"
			close("sort -rn | head -15")
			if (!kdepth) exit
			printf "\n%s, kernel functions on the stack of a sample (%% of all samples, each counted once)\n", verb
			for (s in kfn) printf "%6.1f  %s\n", 100 * kfn[s] / n, s | "sort -rn | head -" kdepth
			close("sort -rn | head -" kdepth)
		}'
done
