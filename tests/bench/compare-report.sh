#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/bench/compare-report.sh OUTDIR "IMPLS" "N LIST": the printed table of
# compare.sh (Markdown, so the README can show it as is), from
# OUTDIR/compare.csv, packet.csv and machine.txt.

OUT=$1
read -r -a IMPLS <<<"${2:-vmnet-shared-netns vmnet-shared-host vmnet-isolated-netns ref netavark}"
read -r -a NL <<<"${3:-1 100 500 1000}"
SUM=$OUT/compare.csv

get() { # IMPL OP N FIELD(5 median, 6 p95)
	awk -F, -v i="$1" -v o="$2" -v n="$3" -v f="$4" '$1 == i && $2 == o && $3 == n { print $f }' "$SUM"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "–"; else printf (a / b >= 10 ? "%.0f×" : "%.1f×"), a / b }'; }

echo "Machine: $(paste -sd';' "$OUT/machine.txt" | sed 's/;/; /g')"
echo
echo "Wall time of one plugin call (ms, median / p95) with N attachments present:"
echo
printf "| implementation | op |"
for n in "${NL[@]}"; do printf " N=%s |" "$n"; done
echo
printf "|---|---|"
for n in "${NL[@]}"; do printf -- "---|"; done
echo
for op in add del; do
	for impl in "${IMPLS[@]}"; do
		printf "| %s | %s |" "$impl" "${op^^}"
		for n in "${NL[@]}"; do printf " %s / %s |" "$(get "$impl" $op "$n" 5)" "$(get "$impl" $op "$n" 6)"; done
		echo
	done
done

anchors=()
for a in ref netavark; do [[ " ${IMPLS[*]} " == *" $a "* ]] && anchors+=("$a"); done
echo
echo "How many times faster vmnet is (anchor median / vmnet median):"
echo
printf "| vmnet | op | vs |"
for n in "${NL[@]}"; do printf " N=%s |" "$n"; done
echo
printf "|---|---|---|"
for n in "${NL[@]}"; do printf -- "---|"; done
echo
for impl in "${IMPLS[@]}"; do
	[[ $impl == vmnet-* ]] || continue
	for op in add del; do
		for a in "${anchors[@]}"; do
			printf "| %s | %s | %s |" "$impl" "${op^^}" "$a"
			for n in "${NL[@]}"; do printf " %s |" "$(ratio "$(get "$a" $op "$n" 5)" "$(get "$impl" $op "$n" 5)")"; done
			echo
		done
	done
done

echo
echo "Max RSS of one plugin call (KiB, VmHWM of its largest process; for the reference chain the largest of bridge and portmap and of their children host-local, iptables; vmnet or vmnet-ipam):"
echo
rss() { awk -F, -v i="$1" -v o="$2" -v n="$3" '$1 == i && $2 == o && $3 == n { print $4 }' "$OUT/rss.csv"; }
echo "| implementation | ADD, N=${NL[0]} | DEL, N=${NL[0]} | ADD, N=${NL[-1]} | DEL, N=${NL[-1]} |"
echo "|---|---|---|---|---|"
for impl in "${IMPLS[@]}"; do
	echo "| $impl | $(rss "$impl" add "${NL[0]}") | $(rss "$impl" del "${NL[0]}") | $(rss "$impl" add "${NL[-1]}") | $(rss "$impl" del "${NL[-1]}") |"
done

if [ -s "$OUT/packet.csv" ]; then
	med() { awk -F, -v k="$1" 'NR > 1 && $1 == k { print $3 }' "$OUT/packet.csv" | sort -n |
		awk '{ v[++n] = $1 } END { print (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }'; }
	p1=$(med 1)
	p5=$(med 5000)
	echo
	echo "Packet path (vmnet shared/netns, iperf3 TCP from wan through a published port into the guest stand-in, median of the runs):"
	echo "1 published port: $p1 Mbit/s; 5,000 published ports: $p5 Mbit/s; ratio $(awk -v a="$p5" -v b="$p1" 'BEGIN { printf "%.2f", (b ? a / b : 0) }')"
	PKT_RATIO=$(awk -v a="$p5" -v b="$p1" 'BEGIN { printf "%.2f", (b ? a / b : 0) }')
fi

# Goals (issue 7).
echo
echo "Goals:"
goal() { # TEXT CONDITION(awk expr with a, b) A B
	if awk -v a="$3" -v b="$4" "BEGIN { exit !($2) }" && [ -n "$3" ] && [ -n "$4" ]; then
		echo "- MET: $1"
	else
		echo "- NOT MET: $1"
	fi
}
n1=${NL[0]}
nN=${NL[-1]}
for impl in "${IMPLS[@]}"; do
	[[ $impl == vmnet-* ]] || continue
	if [[ " ${IMPLS[*]} " == *" ref "* ]]; then
		r=$(get ref add "$n1" 5) v=$(get "$impl" add "$n1" 5)
		goal "$impl ADD ≥10× faster than the reference at N=$n1 ($(ratio "$r" "$v"))" "a >= 10 * b" "$r" "$v"
		r=$(get ref add "$nN" 5) v=$(get "$impl" add "$nN" 5)
		goal "$impl ADD ≥50× faster than the reference at N=$nN ($(ratio "$r" "$v"))" "a >= 50 * b" "$r" "$v"
	fi
	a=$(get "$impl" add "$n1" 5) b=$(get "$impl" add "$nN" 5)
	goal "$impl ADD grows <20% from N=$n1 to N=$nN ($a → $b ms, $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.0f%%", (a ? 100 * (b - a) / a : 0) }'))" "b < 1.2 * a" "$a" "$b"
	lim=20
	[[ $impl == *-host ]] && lim=5
	d=$(get "$impl" del "$nN" 5) p=$(get "$impl" del "$nN" 6)
	goal "$impl DEL <$lim ms at N=$nN (median $d ms, p95 $p ms)" "a < $lim" "$d" "$p"
done
if [ -n "${PKT_RATIO:-}" ]; then
	goal "throughput does not drop with 5,000 published ports (ratio $PKT_RATIO)" "a >= 0.9" "$PKT_RATIO" 1
fi
