#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Concurrency: 32 ADDs at once on one shared network (netns wiring, /24),
# all must succeed with distinct addresses and complete kernel/disk state;
# guest stand-ins on some of them answer pings from the host namespace; then
# 32 DELs at once leave nothing behind (the bridge goes with the last one).
# The same with 16 VMs and host wiring on a second network.
#
#   tests/integ/t_parallel.sh BUILDDIR      (root; TAP on stdout)
#   PAR_N=32 PAR_HOST_N=16 PAR_GUESTS=32 override the sizes.
. "$(dirname "$0")/lib.sh"

need_root
need_cmds jq nft
need_bins "$VMNET" "$B/vmnet-ipam" "$FAKEVM"
world_init
host_ns

N=${PAR_N:-32}
NH=${PAR_HOST_N:-16}
NG=${PAR_GUESTS:-$N}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# par_cni CMD TAG NET CONF I: the plugin for VM I, in the background; output
# in $W_TMP/par/TAG-I.{out,err,rc}. The caller waits for the PIDs in PAR_PIDS.
PAR_PIDS=()
par_cni() {
	local cmd=$1 tag=$2 conf=$3 i=$4 f=$W_TMP/par/$2-$4
	(
		ip netns exec "$HOST_NS" env -i PATH="$PATH" CNI_COMMAND="$cmd" \
			CNI_CONTAINERID="${P}$tag-$i" CNI_IFNAME=eth0 CNI_PATH="$B" \
			CNI_NETNS="/run/netns/${P}$tag-vm$i" "$VMNET" <<<"$conf" >"$f.out" 2>"$f.err"
		echo $? >"$f.rc"
	) &
	PAR_PIDS+=($!)
	track_pid $!
}
par_wait() {
	local pid
	for pid in "${PAR_PIDS[@]}"; do wait "$pid"; done
	PAR_PIDS=()
}

# par_failures TAG N: "i: rc, output" for every call that did not exit 0.
par_failures() {
	local tag=$1 n=$2 i f
	for ((i = 1; i <= n; i++)); do
		f=$W_TMP/par/$tag-$i
		[ "$(cat "$f.rc" 2>/dev/null)" = 0 ] && continue
		echo "vm$i: exit $(cat "$f.rc" 2>/dev/null): $(tr -d '\n' <"$f.out") $(tail -3 "$f.err")"
	done
}

par_result() { cat "$W_TMP/par/$1-$2.out"; }

# run_parallel CMD TAG CONF N: N calls at once; sets PAR_SECS (wall time).
run_parallel() {
	local cmd=$1 tag=$2 conf=$3 n=$4 i t0
	rm -f "$W_TMP/par/$tag"-*
	t0=$(now)
	for ((i = 1; i <= n; i++)); do par_cni "$cmd" "$tag" "$conf" "$i"; done
	par_wait
	PAR_SECS=$(elapsed "$t0" "$(now)")
}

ipam_files() {
	find "$W_TMP/ipam/$1" -mindepth 1 -maxdepth 1 -type f ! -name lock ! -name 'last_reserved_ip.*' \
		-printf '%f\n' 2>/dev/null | sort
}
records() { find "$W_TMP/state/$1" -type f ! -name .lock -printf '%f\n' 2>/dev/null | sort; }
set_elems() {
	ip netns exec "$HOST_NS" nft -j list set inet vmnet "$1" 2>/dev/null |
		jq -r '.nftables[].set.elem // empty | .[] | tostring'
}

# suite WIRING TAG N NET BRIDGE SUBNET_PREFIX (e.g. 10.66.0)
suite() {
	local w=$1 tag=$2 n=$3 net=$4 br=$5 pfx=$6 t="[$2 $1 x$3]"
	local conf i res ip dev cid guests ips=() devs=() bad fails dup left
	conf=$(conf_shared "$net" "$br" "$pfx.0/24" "$pfx.1" ".tap = \"$w\"")
	mkdir -p "$W_TMP/par"
	for ((i = 1; i <= n; i++)); do vm_ns "$tag-vm$i"; done

	run_parallel ADD "$tag" "$conf" "$n"
	diag "$t $n parallel ADDs: ${PAR_SECS}s wall time"
	fails=$(par_failures "$tag" "$n")
	if [ -z "$fails" ]; then ok "$t all $n parallel ADDs succeed"; else
		not_ok "$t all $n parallel ADDs succeed" "$fails"; fi

	for ((i = 1; i <= n; i++)); do
		res=$(par_result "$tag" "$i")
		ips[i]=$(json_get "$res" '.ips[0].address' | cut -d/ -f1)
		devs[i]=$(json_get "$res" '.interfaces[1].name')
	done
	dup=$(printf '%s\n' "${ips[@]}" | grep . | sort | uniq -d)
	t_eq "$t $n distinct addresses" "$(printf '%s\n' "${ips[@]}" | grep -c "^${pfx//./\\.}\.")/$dup" "$n/"
	dup=$(printf '%s\n' "${devs[@]}" | grep . | sort | uniq -d)
	t_eq "$t $n distinct host devices" "$(printf '%s\n' "${devs[@]}" | grep -c .)/$dup" "$n/"

	t_ok "$t bridge $br holds $pfx.1/24" sh -c "ip -n $HOST_NS -o addr show dev $br | grep -qF ' $pfx.1/24 '"
	for ((i = 1; i <= n; i++)); do
		ip=${ips[i]} dev=${devs[i]} cid=${P}$tag-$i bad=()
		if [ -z "$ip" ] || [ -z "$dev" ]; then
			not_ok "$t vm$i: state" "no address or device in: $(par_result "$tag" "$i")"
			continue
		fi
		hlink -o link show dev "$dev" 2>/dev/null | grep -q " master $br " || bad+=("$dev is not a port of $br")
		case $w in
		netns) [[ $dev =~ ^vmv[0-9a-f]{12}$ ]] || bad+=("host device $dev is not vmv…")
		       ip -n "${P}$tag-vm$i" -o addr show dev eth0 2>/dev/null | grep -qF " $ip/24 " ||
			       bad+=("eth0 in the VM netns does not hold $ip/24") ;;
		host) [[ $dev =~ ^vmt[0-9a-f]{12}$ ]] || bad+=("host device $dev is not vmt…") ;;
		esac
		nft_has_elem guests4 "$ip" || bad+=("$ip not in guests4")
		[ -f "$(record_path "$net" "$cid" eth0)" ] || bad+=("no record")
		[ -f "$(ipam_path "$net" "$ip")" ] || bad+=("no IPAM file for $ip")
		if [ ${#bad[@]} -eq 0 ]; then ok "$t vm$i: $ip on $dev: bridge port, guests4, record, IPAM file"
		else not_ok "$t vm$i: $ip on $dev: bridge port, guests4, record, IPAM file" "${bad[@]}"; fi
	done
	t_eq "$t guests4 holds exactly the $n addresses" "$(set_elems guests4 | grep -F "$pfx." | sort | tr '\n' ' ')" \
		"$(printf '%s\n' "${ips[@]}" | grep . | sort | tr '\n' ' ')"

	# Guest stand-ins on the first guests, then every one pinged from the
	# host namespace (spread over the range: first, last, and between).
	local ng=$((NG < n ? NG : n)) k
	guests=$(for ((k = 0; k < ng; k++)); do echo $((ng > 1 ? 1 + k * (n - 1) / (ng - 1) : 1)); done | sort -nu)
	for i in $guests; do
		t_ok "$t guest stand-in on vm$i" guest_attach "$tag-$i" "$(par_result "$tag" "$i")" "${P}$tag-vm$i"
	done
	for i in $guests; do
		[ -n "${G_PID[$tag-$i]:-}" ] || continue
		t_ok "$t host namespace pings guest vm$i at ${ips[i]}" host_ping "${ips[i]}"
	done
	for i in $guests; do guest_stop "$tag-$i"; done

	run_parallel DEL "$tag" "$conf" "$n"
	diag "$t $n parallel DELs: ${PAR_SECS}s wall time"
	fails=$(par_failures "$tag" "$n")
	if [ -z "$fails" ]; then ok "$t all $n parallel DELs succeed"; else
		not_ok "$t all $n parallel DELs succeed" "$fails"; fi
	t_eq "$t no vmv/vmt link left in the host namespace" \
		"$(hlink -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -E '^(vmv|vmt)' | tr '\n' ' ')" ""
	t_fail "$t bridge $br gone" hlink link show dev "$br"
	t_eq "$t no guests4 element of $pfx.0/24 left" "$(set_elems guests4 | grep -F "$pfx." | tr '\n' ' ')" ""
	t_eq "$t no masq4 element of $pfx.0/24 left" "$(set_elems masq4 | grep -F "$pfx." | tr '\n' ' ')" ""
	t_eq "$t no record left" "$(records "$net" | tr '\n' ' ')" ""
	t_eq "$t no IPAM reservation left" "$(ipam_files "$net" | tr '\n' ' ')" ""
	if [ "$w" = netns ]; then
		left=$(for ((i = 1; i <= n; i++)); do
			ip -n "${P}$tag-vm$i" -o link show | awk -F': ' '$2 != "lo" { print "vm'"$i"': " $2 }'
		done)
		t_eq "$t VM namespaces hold only lo" "$left" ""
	fi
}

# host_ping IP: one echo request from the host namespace, answered within 5 s
# (the host's ARP for the guest is flooded to every port: no first contact
# from the guest is needed).
host_ping() {
	ip netns exec "$HOST_NS" "${PING[@]}" -c1 -W5 "$1" 2>&1
}

suite netns pn "$N" par vmbr-par 10.66.0
suite host ph "$NH" parh vmbr-parh 10.66.1

t_done
