#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/bench/goals-report.sh OUTDIR "N LIST" SCALE: the goals of issue 15
# (and issue 14's dual-stack ADD ≤ 1.3× the IPv4-only one),
# judged from one compare.sh run, as ratios to the plugin's own start (the
# same vmnet binary answering VERSION, timed in the probes' rotation at the
# same N). Prints a Markdown table and writes OUTDIR/goals.csv.
#
# Inputs: OUTDIR/goals-sum.csv (medians of each vmnet variant's own rotation:
# its calls, its start and for shared/netns the bridge probe; an output
# folder of a compare.sh from before those rotations has none, and then
# compare.csv is used), compare.csv (the comparison's figures, shown beside
# the ratios, and the floor's table), rss.csv, scale.csv; BENCH_PROBES (calls
# per median) from the environment.

OUT=$1
read -r -a NL <<<"${2:-1 100 500 1000}"
SCALE=${3:-0}
PROBES=${BENCH_PROBES:-0}
CMP=$OUT/compare.csv
SUM=$CMP
if [ -f "$OUT/goals-sum.csv" ] && [ "$(wc -l <"$OUT/goals-sum.csv")" -gt 1 ]; then
	SUM=$OUT/goals-sum.csv
fi
CSV=$OUT/goals.csv
n1=${NL[0]}
nN=${NL[-1]}

med() { # IMPL OP N [FILE] -> median ms (empty if not measured)
	awk -F, -v i="$1" -v o="$2" -v n="$3" '$1 == i && $2 == o && $3 == n { print $5 }' "${4:-$SUM}"
}
# own NAME IMPL: NAME's row in IMPL's own rotation (start-vmnet@IMPL), or
# NAME when the goals come from the comparison's rotation.
own() { if [ "$SUM" = "$CMP" ]; then echo "$1"; else echo "$1@$2"; fi; }
floor() { med "$(own start-vmnet "$1")" start "$2"; } # IMPL N
# in_cmp OP IMPL N: the same ratio to the start in the comparison's rotation
# (when the goals come from vmnet's own), for the detail column.
in_cmp() {
	local c f
	[ "$SUM" != "$CMP" ] || return 0
	c=$(med "$2" "$1" "$3" "$CMP") f=$(med start-vmnet start "$3" "$CMP")
	[ -n "$c" ] && [ -n "$f" ] && printf "; in the comparison's rotation %s / %s ms, %s×" "$c" "$f" \
		"$(x2 "$(calc 'a / b' "$c" "$f")")"
}
# calc EXPR with a, b: prints the value (empty if a or b is missing)
calc() { [ -n "$2" ] && [ -n "$3" ] && awk -v a="$2" -v b="$3" "BEGIN { printf \"%.3f\", $1 }"; }
# row GOAL SUBJECT N VALUE CMP LIMIT UNIT DETAIL: one line of the table and of goals.csv
echo "goal,subject,n,value,limit,unit,verdict,detail" >"$CSV"
NOT_MET=0
row() {
	local verdict
	if [ -z "$4" ]; then
		verdict="not measured"
	elif awk -v v="$4" -v l="$6" "BEGIN { exit !(v $5 l) }"; then
		verdict=met
	else
		verdict="NOT MET"
		NOT_MET=$((NOT_MET + 1))
	fi
	printf '| %s | %s | %s | %s | %s %s%s | %s | %s |\n' "$1" "$2" "$3" "${4:-–}${4:+$7}" "$5" "$6" "$7" \
		"$verdict" "$8"
	u=${7:-x}; echo "$1,\"$2\",$3,$4,$6,${u// /},$verdict,\"$8\"" >>"$CSV"
}
x2() { [ -n "$1" ] && printf '%.2f' "$1"; }

echo "Goals of issue 15 (ratios to the plugin's own start: vmnet answering VERSION, timed in the"
echo "same rotation as the calls at the same N; medians of $PROBES calls, starts of $((2 * PROBES)))."
if [ "$SUM" != "$CMP" ]; then
	echo "Judged from each vmnet variant's own rotation (its calls, its start and, for shared/netns, the"
	echo "bridge probe), run at each N right after the comparison's on the same population: there a call"
	echo "follows other implementations' and other host namespaces' calls, and each host namespace's netd"
	echo "deletes what its DELs handed it when it has seen no call for 30 ms, whatever the others are doing."
	echo "The comparison's figures are in the detail column; the floor below is the comparison's."
fi
[ "$PROBES" -ge 20 ] || echo "Only $PROBES calls per median (the goals ask for ≥ 20): indicative only."
[ "$nN" -ge 1000 ] || echo "Largest N is $nN (the goals are set at N = 1000): indicative only."
echo
echo "The floor (ms, median):"
echo
printf '| start | %s |\n' "$(for n in "${NL[@]}"; do printf 'N=%s | ' "$n"; done | sed 's/ | $//')"
printf '|---|%s\n' "$(for n in "${NL[@]}"; do printf -- '---|'; done)"
for s in start-bare start-true start-vmnet start-static1 start-dynamic; do
	[ -n "$(med "$s" start "$n1" "$CMP")" ] || continue
	printf '| %s |' "$s"
	for n in "${NL[@]}"; do printf ' %s |' "$(med "$s" start "$n" "$CMP")"; done
	echo
done
bare=$(med start-bare start "$n1" "$CMP") tr=$(med start-true start "$n1" "$CMP") vv=$(med start-vmnet start "$n1" "$CMP")
if [ -n "$bare" ] && [ -n "$tr" ] && [ -n "$vv" ]; then
	echo
	echo "The floor's parts at N=$n1: the exec alone (start-bare, no C library) $bare ms; the loader and"
	echo "glibc's start (start-true − start-bare) $(calc 'a - b' "$tr" "$bare") ms; vmnet's own start beyond /bin/true"
	echo "$(calc 'a - b' "$vv" "$tr") ms. The goals' ratios are to the whole floor (start-vmnet)."
fi
echo
echo "| goal | subject | N | measured | limit | verdict | detail |"
echo "|---|---|---|---|---|---|---|"
for impl in vmnet-shared-netns vmnet-shared-host vmnet-isolated-netns; do
	for n in "$n1" "$nN"; do
		f=$(floor "$impl" "$n") a=$(med "$impl" add "$n")
		row "ADD / start" "$impl" "$n" "$(x2 "$(calc 'a / b' "$a" "$f")")" "<=" 1.6 "×" \
			"$a / $f ms$(in_cmp add "$impl" "$n")"
	done
done
for impl in vmnet-shared-host vmnet-shared-netns vmnet-isolated-netns; do
	lim=5
	[[ $impl == *-host ]] && lim=2.5
	for n in "$n1" "$nN"; do
		f=$(floor "$impl" "$n") d=$(med "$impl" del "$n")
		row "DEL / start" "$impl" "$n" "$(x2 "$(calc 'a / b' "$d" "$f")")" "<=" "$lim" "×" \
			"$d / $f ms$(in_cmp del "$impl" "$n")"
	done
done
# Issue 14: a dual-stack ADD costs at most 1.3× the same IPv4-only ADD.
for n in "$n1" "$nN"; do
	a=$(med vmnet-shared-netns add "$n") d=$(med vmnet-shared-dual add "$n")
	row "dual-stack ADD / IPv4 ADD" "vmnet-shared-dual" "$n" "$(x2 "$(calc 'a / b' "$d" "$a")")" "<=" 1.3 "×" \
		"$d / $a ms (shared, netns wiring)"
done
for impl in vmnet-isolated-netns vmnet-shared-host vmnet-shared-netns; do
	f1=$(floor "$impl" "$n1") fN=$(floor "$impl" "$nN")
	fg=$(calc '100 * (b - a) / a' "$f1" "$fN")
	lim=15
	[ "$impl" = vmnet-shared-netns ] && lim=25
	a=$(med "$impl" add "$n1") b=$(med "$impl" add "$nN")
	g=$(calc '100 * (b - a) / a' "$a" "$b")
	br=
	if [ "$impl" = vmnet-shared-netns ]; then
		e1=$(med "$(own bridge-port "$impl")" enslave "$n1") eN=$(med "$(own bridge-port "$impl")" enslave "$nN")
		sh=$(calc '100 * (b - a)' "$e1" "$eN")
		[ -z "$sh" ] || [ -z "$g" ] || br="; the bridge's own port work (ip link set master) $e1 → $eN ms$(
			awk -v s="$sh" -v a="$a" -v b="$b" 'BEGIN { if (b > a) printf ": %.0f%% of the growth", s / (b - a) }')"
	fi
	c1=$(med "$impl" add "$n1" "$CMP") cN=$(med "$impl" add "$nN" "$CMP") cg="" inc=""
	[ "$SUM" = "$CMP" ] || cg=$(calc '100 * (b - a) / a' "$c1" "$cN")
	[ -z "$cg" ] || inc="; in the comparison's rotation $c1 → $cN ms, $(printf '%+.1f' "$cg")%"
	row "ADD growth" "$impl" "$n1→$nN" "$([ -n "$g" ] && printf '%+.1f' "$g")" "<" "$lim" "%" \
		"$a → $b ms; the floor moved $([ -n "$fg" ] && printf '%+.1f' "$fg")%$br$inc"
done
if [ "$SCALE" -gt 0 ] && [ -s "$OUT/scale.csv" ]; then
	w=$((SCALE / 20))
	[ "$w" -ge 50 ] || w=50
	win() { # FIRST LAST OP -> median ms of rows FIRST <= i <= LAST
		awk -F, -v f="$1" -v l="$2" -v o="$3" 'NR > 1 && $2 == o && $1 >= f && $1 <= l { print $3 }' \
			"$OUT/scale.csv" | sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	}
	a=$(win 1 "$w" add) b=$(win $((SCALE - w)) $((SCALE - 1)) add)
	s1=$(win 0 $((SCALE / 10)) start) s2=$(win $((SCALE - SCALE / 10)) "$SCALE" start)
	g=$(calc '100 * (b - a) / a' "$a" "$b")
	tenths=$(for ((k = 0; k < 10; k++)); do
		printf ' %.1f' "$(win $((k * SCALE / 10)) $(((k + 1) * SCALE / 10 - 1)) add)"; done)
	row "scale: last ADDs vs first" "vmnet-isolated-host ×$SCALE" "$SCALE" \
		"$([ -n "$g" ] && printf '%+.1f' "$g")" "<=" 20 "%" \
		"median of ADDs 1–$w: $(x2 "$a") ms, of the last $w: $(x2 "$b") ms; by tenths:$tenths ms; start $(x2 "$s1") → $(x2 "$s2") ms; state on $(cat "$OUT/scale-fs.txt" 2>/dev/null || echo '?')"
else
	row "scale: last ADDs vs first" "vmnet-isolated-host ×10000" 10000 "" "<=" 20 "%" \
		"not run (BENCH_SCALE=10000; off in quick mode)"
fi
# rss.csv: impl,op,n,maxrss_kb (largest process),tree_kb (sum over the call's
# processes),procs (the call's processes: vmnet and the IPAM plugins it execs)
rmax() { awk -F, -v re="$1" -v f="$2" '$1 ~ re && $f != "" { if ($f + 0 > m) m = $f } END { if (m) print m }' "$OUT/rss.csv"; }
rss=$(rmax '^vmnet-' 5) one=$(rmax '^vmnet-' 4) rs=$(rmax '^start-vmnet$' 5) rsd=$(rmax '^start-dynamic$' 5) rsf=$(rmax '^start-static1$' 5)
rt=$(rmax '^start-true$' 5) np=$(rmax '^vmnet-' 6)
if [ "${np:-1}" = 1 ]; then
	who="one process per call (vmnet; IPAM of type vmnet-ipam runs in-process, only IPAM plugins of other types are exec'd)"
else
	who="up to $np processes per call (vmnet and the IPAM plugins of other types it execs)"
fi
row "max RSS of one call" "vmnet ADD and DEL, every N" all "$rss" "<=" 2048 " KiB" \
	"VmHWM summed over the call's processes: $who; largest single process $one KiB; VERSION alone: $rs KiB${rsd:+, dynamic build $rsd KiB}${rsf:+, STATIC=1 build $rsf KiB}${rt:+; /bin/true $rt KiB}"

row "calls per median" "every probe" all "$PROBES" ">=" 20 "" ""

# Where the largest call's resident pages are: its smaps at exit (compare.sh's
# RSS pass keeps them in smaps-N/), summed by mapping.
big=$(awk -F, 'NR > 1 && $1 ~ /^vmnet-/ && $5 != "" && $5 + 0 > m { m = $5; c = $1 "-" $2 " " $3 } END { print c }' "$OUT/rss.csv")
if [ -n "$big" ] && compgen -G "$OUT/smaps-${big#* }/${big% *}-*.smaps" >/dev/null; then
	echo
	b=${big% *}
	echo "Where the largest call's pages are (${b%-*} ${b##*-}, N=${big#* }; Rss at its exit, KiB, all its processes):"
	awk '/^[0-9a-f]+-[0-9a-f]+ / { n = NF >= 6 ? $6 : "[anon]"
		if (n ~ /\/(libc\.so|ld-linux)/) n = "libc + ld.so"
		else if (n ~ /\/vmnet$/) n = "the vmnet binary"
		else if (n ~ /\//) { sub(/.*\//, "", n); sub(/\.so.*/, "", n) }
		else if (n != "[heap]" && n != "[stack]") n = "other anonymous"
		next }
		/^Rss:/ { r[n] += $2; t += $2 }
		END { printf "%d KiB in all:\n", t; for (k in r) if (r[k]) printf "%d %s\n", r[k], k }' \
		"$OUT/smaps-${big#* }/${big% *}"-*.smaps | sort -rn | awk 'NR == 1 { printf "%s", $0; next }
		{ n = $1; $1 = ""; printf "%s%s %d", s, $0, n; s = ";" } END { print "." }'
	echo "A shared libc and ld.so are mapped in 64 KiB windows around each page touched (the kernel's fault-around),"
	echo "so any dynamically linked C program starts near /bin/true's ${rt:-?} KiB; the default build links libc statically."
fi
s1=$(rmax '^static1-vmnet-' 5)
if [ -n "$s1" ]; then
	echo "The same ADDs and DELs by the STATIC=1 build (libc and libmnl shared): max $s1 KiB$(
		awk -v f="$s1" 'BEGIN { print (f <= 2048) ? ", within 2 MiB." : ", over 2 MiB." }')"
	echo "rss,static1,all,$s1,2048,KiB,$( ((s1 <= 2048)) && echo within || echo over),\"STATIC=1 build, same calls\"" >>"$CSV"
else
	echo "No STATIC=1 build measured (make bench builds one in BUILDDIR/static1)."
fi

# Item 4, decided: the plugins link every library statically (the
# Makefile's STATIC, default full). The dynamic build
# (make STATIC=0) shows what that saves: its start and the default's take
# their turns in the same rotation (probe P among the ADDs, PROBES+P among
# the DELs), so each pair's difference is one sample.
diffs() { # N ("" = every N): one line per probe, dynamic start - vmnet start (ms)
	awk -F, -v n="$1" '$2 == "start" && (n == "" || $3 == n) && ($1 == "start-vmnet" || $1 == "start-dynamic") {
		v[$1, $3 "/" $4] = $5; k[$3 "/" $4] = 1 }
		END { for (p in k) if (("start-vmnet", p) in v && ("start-dynamic", p) in v)
			print v["start-dynamic", p] - v["start-vmnet", p] }' "$OUT/compare-raw.csv" 2>/dev/null
}
quart() { # "p25 median p75 count" of the numbers on stdin
	sort -g | awk '{ v[NR] = $1 } function q(f,  i) { i = int((NR - 1) * f + 1.5); return v[i < 1 ? 1 : i > NR ? NR : i] }
		END { if (NR) printf "%.3f %.3f %.3f %d", q(0.25), q(0.5), q(0.75), NR }'
}
t=$(med start-true start "$n1" "$CMP") v=$(med start-vmnet start "$n1" "$CMP") dy=$(med start-dynamic start "$n1" "$CMP")
echo
echo "Shared libraries: decided (issue 15, decision 4): the plugins link every library statically, libc and"
echo "vmnet's own libmnl (mnl/) too, the default build (make STATIC=full; STATIC=1 leaves libc and libmnl shared)."
if [ -n "$dy" ]; then
	read -r q1 qm q3 qn <<<"$(diffs "$n1" | quart)"
	read -r a1 am a3 an <<<"$(diffs "" | quart)"
	echo "N=$n1: vmnet VERSION $v ms, the same linked dynamically (make STATIC=0) $dy ms, /bin/true $t ms (medians)."
	echo "The dynamic build's extra start, start by start in the same rotation: at N=$n1 median ${qm:-?} ms,"
	echo "p25–p75 ${q1:-?}–${q3:-?} ms ($qn pairs); over every N median ${am:-?} ms, p25–p75 ${a1:-?}–${a3:-?} ms ($an pairs)."
	echo "start,static-saves,all,$am,0.3,ms,decided: static,\"dynamic - static start: p25-p75 $a1-$a3 ms over $an pairs; N=$n1: median $qm, p25-p75 $q1-$q3; static $v / dynamic $dy / true $t ms\"" >>"$CSV"
else
	echo "The dynamic build was not measured (make STATIC=0 B=build/dynamic build/dynamic/vmnet)."
	echo "start,static-saves,all,,0.3,ms,decided: static,\"dynamic build not measured\"" >>"$CSV"
fi
echo
echo "$NOT_MET goal(s) not met."
