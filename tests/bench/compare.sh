#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tests/bench/compare.sh BUILDDIR — vmnet against the reference CNI chain
# (bridge + host-local + portmap, Debian containernetworking-plugins) and
# netavark, side by side in one run (issue 7).
#
# For N = 1, 100, 500, 1000 attachments already present (each with one
# published TCP port) it times ADD and DEL of one more attachment, probe by
# probe alternating between the implementations:
#   vmnet shared/netns, vmnet shared/netns dual-stack (IPv4 + IPv6),
#   vmnet shared/host, vmnet isolated/netns,
#   ref (bridge → portmap, prevResult chaining, runtimeConfig.portMappings;
#        DEL in reverse with prevResult, as libcni does),
#   netavark (setup/teardown with one port mapping).
# Plus the max RSS of one plugin call, and the packet path: iperf3 from the
# wan namespace through a published port into a guest stand-in (fakevm)
# with 1 and with 5,000 published ports present.
#
# The goals of issue 15 are ratios to the plugin's own start: the same vmnet
# binary answering VERSION (start-vmnet), timed in the same rotation as the
# ADDs and DELs (the default build: libnl, libnftnl and jansson linked
# statically, libc too: issue 15 decision 4), with /bin/true (start-true) and the same
# plugin linked dynamically (start-dynamic, `make STATIC=0 B=BUILDDIR/dynamic`)
# beside it: what the shared libraries would cost at each start (and the
# STATIC=1 build, libc and libmnl shared, start-static1, when there is
# one); and a scale
# run of 10,000 isolated host-wired attachments (vmnet-isolated-host), every
# ADD timed. goals-report.sh judges them: goals.txt, goals.csv.
#
# Everything runs in namespaces of its own (tests/integ/lib.sh: cleanup trap,
# only our own PIDs are ended). Plugins are exec'd by tests/bench/drive.c, a
# tiny runtime that setns()es into the host namespace once per call (what
# `nsenter --net=` does, without the tool's start-up in the timing).
#
# Environment: BENCH_QUICK=1 (N = 1, 50, 200; 8 probes), BENCH_N="1 100",
# BENCH_PROBES=20, BENCH_OUT (default build/bench), BENCH_IMPLS (subset),
# BENCH_NO_PACKET=1 (skip iperf3), BENCH_SCALE (attachments of the scale run:
# 10000 by default, 0 in quick mode; 0 skips it), BENCH_DYNAMIC_VMNET (the
# dynamic build; default BUILDDIR/dynamic/vmnet, skipped if absent),
# BENCH_STATIC1_VMNET (a STATIC=1 build, libc and libmnl shared: the RSS
# pass measures its ADDs and DELs; default BUILDDIR/static1/vmnet, skipped if
# absent),
# BENCH_PROFILE=1 (at the last N, one ADD and one DEL of each vmnet variant
# under `strace -f -c -w`: profile-IMPL-add.txt, profile-IMPL-del.txt;
# BENCH_PROFILE=trace: every syscall with its time, `strace -f -tt -T`;
# BENCH_PROFILE=perf: `perf trace`, far less overhead than strace),
# BENCH_NETD=0 (no netd in the host namespaces: DEL then closes its
# netfilter sockets itself and parked taps wait for the next call),
# BENCH_NETD_ARGS (more options for those netd, e.g. -v; their logs are
# kept as netd-IMPL.log).
# Output: $BENCH_OUT/compare.csv (summary), compare-raw.csv (every probe),
# goals-sum.csv and goals-raw.csv (the same of each vmnet variant's own
# rotation, which the goals are judged from), rss.csv, smaps-N/ (the RSS
# pass's smaps), packet.csv, scale.csv, machine.txt, compare-table.txt (the
# printed table), goals.txt and goals.csv, add-latency.dat and add-latency.png.

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../integ/lib.sh
. "$HERE/../integ/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "compare.sh: needs root (sudo make bench)" >&2
	exit 77
fi
need_cmds jq ip nft iptables gnuplot iperf3 gcc pkg-config
NETAVARK=${NETAVARK:-/usr/lib/podman/netavark}
REFDIR=${REFDIR:-/usr/lib/cni}
for f in "$VMNET" "$B/vmnet-ipam" "$FAKEVM" "$NETAVARK" "$REFDIR/bridge" "$REFDIR/portmap" \
	"$REFDIR/host-local"; do
	[ -x "$f" ] || { echo "compare.sh: $f missing (make, make deps)" >&2; exit 1; }
done

OUT=${BENCH_OUT:-$LIB_ROOT/build/bench}
mkdir -p "$OUT"
if [ -n "${BENCH_QUICK:-}" ]; then
	NS_LIST=${BENCH_N:-"1 50 200"}
	PROBES=${BENCH_PROBES:-8}
	SCALE=${BENCH_SCALE:-0}
else
	NS_LIST=${BENCH_N:-"1 100 500 1000"}
	PROBES=${BENCH_PROBES:-20}
	SCALE=${BENCH_SCALE:-10000}
fi
read -r -a IMPLS <<<"${BENCH_IMPLS:-vmnet-shared-netns vmnet-shared-dual vmnet-shared-host vmnet-isolated-netns ref netavark}"
# The starts measured in the probes' rotation: the plugin answering VERSION
# (the floor of the goals), /bin/true, the dynamic build if there is one,
# and a build with only libc and libmnl shared (make STATIC=1) if there is
# one: the RSS pass measures its ADDs and DELs as well.
DYNAMIC_VMNET=${BENCH_DYNAMIC_VMNET:-$B/dynamic/vmnet}
STATIC1_VMNET=${BENCH_STATIC1_VMNET:-$B/static1/vmnet}
declare -A START_BIN=([start-vmnet]=$VMNET [start-true]=/bin/true)
STARTS=(start-vmnet start-true)
if [ -x "$DYNAMIC_VMNET" ]; then
	START_BIN[start-dynamic]=$DYNAMIC_VMNET
	STARTS+=(start-dynamic)
fi
if [ -x "$STATIC1_VMNET" ]; then
	START_BIN[start-static1]=$STATIC1_VMNET
	STARTS+=(start-static1)
fi
# And a program with no C library at all (bare.c, start-bare): the exec
# alone. What lies between it and /bin/true is the loader and libc's start,
# every glibc program's (glibc probes the CPU's caches with CPUID, which a
# hypervisor may trap: tests/bench/README.md, "The floor").
STARTS+=(start-bare)

log() { echo "[$(date +%T)] $*" >&2; }

world_init
mkdir -p "$W_TMP/drive"

# The driver, built for this run (jansson is a build dependency of vmnet).
DRIVE=$W_TMP/drive/drive
# shellcheck disable=SC2046 # pkg-config output is a list of flags
gcc -O2 -std=gnu11 -Wall -o "$DRIVE" "$HERE/drive.c" $(pkg-config --cflags --libs jansson) ||
	bail "cannot build drive.c"
START_BIN[start-bare]=$W_TMP/drive/bare
gcc -O2 -static -nostdlib -o "${START_BIN[start-bare]}" "$HERE/bare.c" || bail "cannot build bare.c"

# ---------------------------------------------------------------- worlds
#
# Per implementation: a host namespace of its own (iptables rules of one must
# not slow another), a probe VM namespace, and background VM namespaces that
# hold up to BG_PER_NS attachments each, with ifnames eth0, eth1, ...
BG_PER_NS=250
# A host's conntrack table is never empty, and vmnet's DEL skips the flush
# of the guest's flows only for an empty one (the kernel's flush walks every
# bucket of every namespace's table, ~0.4 ms here); every device taken down
# then also makes the masquerade notifier walk it: one entry, as on a real
# host.
ct_seed() { # NS
	ip netns exec "$1" conntrack -I -p udp -s 192.0.2.1 -d 192.0.2.2 --sport 9 --dport 9 \
		-t 86400 >/dev/null 2>&1 || bail "cannot add a conntrack entry in $1 (conntrack)"
}
declare -A HNS PNS CONF STATE BGNS_LIST SUBNET_OCT
declare -A SHORT=([vmnet-shared-netns]=sn [vmnet-shared-dual]=sd [vmnet-shared-host]=sh [vmnet-isolated-netns]=in
	[ref]=ref [netavark]=nv [vmnet-isolated-host]=ih)
oct=40
for impl in "${IMPLS[@]}"; do
	[ -n "${SHORT[$impl]:-}" ] || bail "unknown implementation $impl"
	ns_add "h-${SHORT[$impl]}"; HNS[$impl]=$REPLY
	ct_seed "$REPLY"
	ns_add "p-${SHORT[$impl]}"; PNS[$impl]=$REPLY
	SUBNET_OCT[$impl]=$oct
	oct=$((oct + 1))
done
# The starts run in the first host namespace (no network work in them).
START_NS=/run/netns/${HNS[${IMPLS[0]}]}

# vmnet conflist: mode, tap wiring, ipam extra (jq); its state and IPAM
# folders in DIR (default $W_TMP/IMPL)
vmnet_conf() { # IMPL MODE TAP IPAMEXTRA [DIR]
	local d=${5:-$W_TMP/$1} o=${SUBNET_OCT[$1]}
	mkdir -p "$d"
	jq -n --arg name "${1//-/}" --arg mode "$2" --arg tap "$3" --arg br "vmbr$o" \
		--arg state "$d/state" --arg ipam "$d/ipam" --arg sub "10.$o.0.0/16" --arg gw "10.$o.0.1" '{
		cniVersion: "1.0.0", name: $name, plugins: [{
			type: "vmnet", mode: $mode, tap: $tap, tapName: "t@IFNAME@", ipMasq: true,
			stateDir: $state, capabilities: {portMappings: true},
			ipam: ({type: "vmnet-ipam", dataDir: $ipam, ranges: [[{subnet: $sub, gateway: $gw}]]}
			       + '"$4"')
		} + (if $mode == "shared" then {bridge: $br} else {} end)]}' >"$d/conf.json"
	CONF[$1]=$d/conf.json
	STATE[$1]=$d/state
}
ref_conf() {
	local d=$W_TMP/ref o=${SUBNET_OCT[ref]}
	mkdir -p "$d"
	jq -n --arg hl "$d/host-local" --arg sub "10.$o.0.0/16" --arg gw "10.$o.0.1" '{
		cniVersion: "1.0.0", name: "refnet", plugins: [
			{type: "bridge", bridge: "cni-ref0", isGateway: true, ipMasq: true, hairpinMode: true,
			 ipam: {type: "host-local", dataDir: $hl, ranges: [[{subnet: $sub, gateway: $gw}]]}},
			{type: "portmap", capabilities: {portMappings: true}, snat: true}]}' >"$d/conf.json"
	CONF[ref]=$d/conf.json
}
# netavark options for attachment INDEX (a podman-style document: podman's
# own IPAM hands out static_ips; netavark only applies them).
NV_NETID=$(printf 'be%062x' 7)
nv_opts() { # INDEX IFNAME HOSTPORT -> file name in REPLY
	local o=${SUBNET_OCT[netavark]} i=$1 f=$W_TMP/netavark/opts-$1.json
	printf '{"container_id":"%064x","container_name":"c%d","networks":{"nvnet":{"interface_name":"%s","static_ips":["10.%d.%d.%d"]}},"network_info":{"nvnet":{"name":"nvnet","id":"%s","driver":"bridge","network_interface":"nvbr0","subnets":[{"subnet":"10.%d.0.0/16","gateway":"10.%d.0.1"}],"ipv6_enabled":false,"internal":false,"dns_enabled":false,"ipam_options":{"driver":"host-local"}}},"port_mappings":[{"host_ip":"","container_port":80,"host_port":%d,"range":1,"protocol":"tcp"}]}\n' \
		"$((i + 1))" "$i" "$2" "$o" "$(((i + 2) / 250))" "$(((i + 2) % 250 + 2))" "$NV_NETID" "$o" "$o" "$3" >"$f"
	REPLY=$f
}

for impl in "${IMPLS[@]}"; do
	case $impl in
	vmnet-shared-netns) vmnet_conf "$impl" shared netns '{}' ;;
	vmnet-shared-dual) # vmnet-shared-netns with an IPv6 range beside the IPv4 one
		o=${SUBNET_OCT[$impl]}
		vmnet_conf "$impl" shared netns \
			"{ranges: [[{subnet: \"10.$o.0.0/16\", gateway: \"10.$o.0.1\"}], [{subnet: \"fd$o::/64\"}]]}" ;;
	vmnet-shared-host) vmnet_conf "$impl" shared host '{}' ;;
	vmnet-isolated-netns) vmnet_conf "$impl" isolated netns '{blockSize: 30}' ;;
	ref) ref_conf ;;
	netavark) mkdir -p "$W_TMP/netavark/config" ;;
	*) bail "unknown implementation $impl" ;;
	esac
done

# netd in every vmnet host namespace, as on a real host (BENCH_NETD=0: none):
# DEL hands it the netfilter sockets whose close would wait for nf_tables'
# destroy work, and it reaps parked taps. drive points each plugin at the
# netd of the host namespace it runs in (DRIVE_NETD_DIR).
BENCH_NETD=${BENCH_NETD:-1}
bench_netd() { # IMPL: netd in HNS[IMPL] on that implementation's state
	local impl=$1 h=${HNS[$1]} i st=${STATE[$1]:-$W_TMP/$1/state}
	mkdir -p "$st" "$W_TMP/netd"
	ip netns exec "$h" "$NETD" --state-dir "$st" --socket "$W_TMP/netd/$h.sock" \
		--cni-path "$B" --interval 60 ${BENCH_NETD_ARGS:-} </dev/null >>"$W_TMP/netd-$impl.log" 2>&1 &
	track_pid $!
	for i in $(seq 100); do
		ip netns exec "$h" "$NETD" status --socket "$W_TMP/netd/$h.sock" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	bail "netd did not start in $h: $(tail -5 "$W_TMP/netd-$impl.log")"
}
if [ "$BENCH_NETD" != 0 ]; then
	export DRIVE_NETD_DIR=$W_TMP/netd
	for impl in "${IMPLS[@]}"; do
		[[ $impl == vmnet-* ]] && bench_netd "$impl"
	done
fi

# ---------------------------------------------------------------- driver

export CNI_PATH="$B:$REFDIR" DRIVE_NETAVARK=$NETAVARK DRIVE_NV_CONFIG=$W_TMP/netavark/config
export DRIVE_LOG=$W_TMP/plugins.log DRIVE_RESULT_DIR=$W_TMP/results
mkdir -p "$DRIVE_RESULT_DIR"
coproc DRV { exec "$DRIVE"; }
track_pid "$DRV_PID"

# drv LINE: one command; REPLY_US (the time); returns 1 (with the reply on
# stderr) on failure.
drv() {
	local st a b
	echo "$*" >&"${DRV[1]}"
	read -r st a b <&"${DRV[0]}" || bail "driver died on: $*"
	if [ "$st" != ok ]; then
		echo "failed: $* -> $st $a $b" >&2
		return 1
	fi
	REPLY_US=$a
}

# op IMPL add|del CID IFNAME VMNS HOSTPORT [NPORTS] [NVINDEX]
op() {
	local impl=$1 verb=$2 cid=$3 ifn=$4 vmns=$5 hp=$6 np=${7:-1} nvi=${8:-}
	local h=/run/netns/${HNS[$impl]}
	if [ "$impl" = netavark ]; then
		nv_opts "$nvi" "$ifn" "$hp"
		if [ "$verb" = add ]; then
			drv nv "$h" setup "$REPLY" "/run/netns/$vmns"
		else
			drv nv "$h" teardown "$REPLY" "/run/netns/$vmns"
		fi
	else
		drv "$verb" "$h" "${CONF[$impl]}" "$cid" "$ifn" "/run/netns/$vmns" "$hp" 80 "$np"
	fi
}

# ---------------------------------------------------------------- population

declare -A HAVE # attachments present per implementation
for impl in "${IMPLS[@]}"; do HAVE[$impl]=0; done

grow() { # IMPL N
	local impl=$1 n=$2 i ns t0=$SECONDS
	while [ "${HAVE[$impl]}" -lt "$n" ]; do
		i=${HAVE[$impl]}
		if [ $((i % BG_PER_NS)) -eq 0 ]; then
			ns_add "b$((i / BG_PER_NS))-${SHORT[$impl]}"
			BGNS_LIST[$impl]="${BGNS_LIST[$impl]:-} $REPLY"
		fi
		ns=${BGNS_LIST[$impl]##* }
		op "$impl" add "bg$i" "eth$((i % BG_PER_NS))" "$ns" $((20000 + i)) 1 $((i + 1)) ||
			bail "population of $impl failed at $i: $(tail -5 "$DRIVE_LOG")"
		# netavark adds a default route in the container namespace; the
		# next attachment sharing this namespace would collide with it.
		[ "$impl" = netavark ] && ip -n "$ns" route del default 2>/dev/null
		HAVE[$impl]=$((i + 1))
	done
	log "$impl: $n attachments present (+$((SECONDS - t0)) s)"
}

# ---------------------------------------------------------------- probes

# Max RSS of one plugin call: one more ADD and DEL of the probe per
# implementation (and one of each start), through a second driver that
# follows each plugin and its children with ptrace (DRIVE_RSS) and reads each
# process's VmHWM as it exits: rss.csv has the largest process (maxrss_kb)
# and the sum over the call's processes (tree_kb, the call including any
# child) and their number (procs: 1 when vmnet execs no IPAM plugin; IPAM of
# type vmnet-ipam runs in-process). The wait4() figure of the timing driver would include the driver's
# own pages, which a forked child inherits in its RSS high-water mark.
# Each traced process's /proc/PID/smaps as it exits is kept in
# OUTDIR/smaps-N/IMPL-OP-PID.smaps (where a call's resident pages are: the
# goals report sums the largest call's by mapping), with IMPL-OP-PID.pages
# (every resident page of a file mapping, the heap and the stack).
rss_pass() { # N
	local impl verb st kb sum np sd=$OUT/smaps-$1 k=0 f
	rm -rf "$sd" && mkdir -p "$sd"
	{
		for impl in "${IMPLS[@]}"; do
			for verb in add del; do
				if [ "$impl" = netavark ]; then
					nv_opts 0 eth0 10000
					echo "nv /run/netns/${HNS[$impl]} $([ $verb = add ] && echo setup || echo teardown) $REPLY /run/netns/${PNS[$impl]}"
				else
					echo "$verb /run/netns/${HNS[$impl]} ${CONF[$impl]} probe eth0 /run/netns/${PNS[$impl]} 10000 80 1"
				fi
			done
		done
		for impl in "${STARTS[@]}"; do echo "start $START_NS ${START_BIN[$impl]}"; done
	} | DRIVE_RSS=1 DRIVE_SMAPS=$sd DRIVE_RESULT_DIR='' "$DRIVE" | {
		for impl in "${IMPLS[@]}"; do
			for verb in add del; do
				read -r st _ kb sum np
				[ "$st" = ok ] || kb='' sum='' np=''
				echo "$impl,$verb,$1,$kb,$sum,$np" >>"$RSS"
			done
		done
		for impl in "${STARTS[@]}"; do
			read -r st _ kb sum np
			[ "$st" = ok ] || kb='' sum='' np=''
			echo "$impl,start,$1,$kb,$sum,$np" >>"$RSS"
		done
	}
	# drive names the files by command number: give them the call's name
	for impl in "${IMPLS[@]}"; do
		for verb in add del; do
			k=$((k + 1))
			for f in "$sd/$k"-*; do [ -e "$f" ] && mv "$f" "$sd/$impl-$verb-${f##*-}"; done
		done
	done
	for impl in "${STARTS[@]}"; do
		k=$((k + 1))
		for f in "$sd/$k"-*; do [ -e "$f" ] && mv "$f" "$sd/$impl-${f##*-}"; done
	done
	# The same ADDs and DELs by the STATIC=1 build (rows static1-IMPL): its
	# directory first in CNI_PATH (vmnet-ipam is still looked up there).
	[ -x "$STATIC1_VMNET" ] || return 0
	for impl in "${IMPLS[@]}"; do
		[[ $impl == vmnet-* ]] || continue
		for verb in add del; do
			echo "$verb /run/netns/${HNS[$impl]} ${CONF[$impl]} probe eth0 /run/netns/${PNS[$impl]} 10000 80 1"
		done
	done | CNI_PATH="$(dirname "$STATIC1_VMNET"):$CNI_PATH" DRIVE_RSS=1 DRIVE_RESULT_DIR='' "$DRIVE" | {
		for impl in "${IMPLS[@]}"; do
			[[ $impl == vmnet-* ]] || continue
			for verb in add del; do
				read -r st _ kb sum np
				[ "$st" = ok ] || kb='' sum='' np=''
				echo "static1-$impl,$verb,$1,$kb,$sum,$np" >>"$RSS"
			done
		done
	}
}

RAW=$OUT/compare-raw.csv
echo "impl,op,n,probe,ms" >"$RAW"
RSS=$OUT/rss.csv
echo "impl,op,n,maxrss_kb,tree_kb,procs" >"$RSS"

ms() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); } # MICROSECONDS -> ms
# probe_start IMPL: one start of START_BIN[IMPL] (time in REPLY_US).
probe_start() {
	drv start "$START_NS" "${START_BIN[$1]}" || bail "start of ${START_BIN[$1]} failed"
}

ROT=("${IMPLS[@]}" "${STARTS[@]}")
# The kernel bridge's own per-port work: a veth device enslaved to the
# shared/netns network's bridge (with `ip`) in the same rotation, and
# released among the DELs; its growth from N = 1 to 1000 is the bridge's
# share of the ADD growth.
BRP=
if [ -n "${HNS[vmnet-shared-netns]:-}" ]; then
	BRP=bridge-port
	ROT+=("$BRP")
	IP=$(command -v ip)
fi
# bridge_port enslave|release: one `ip link set` of the dummy (REPLY_US).
bridge_port() {
	local h=/run/netns/${HNS[vmnet-shared-netns]} br=vmbr${SUBNET_OCT[vmnet-shared-netns]}
	ip -n "${HNS[vmnet-shared-netns]}" link show bprobe >/dev/null 2>&1 || {
		ip -n "${HNS[vmnet-shared-netns]}" link add bprobe type veth peer name bprobe1 &&
			ip -n "${HNS[vmnet-shared-netns]}" link set bprobe1 up &&
			ip -n "${HNS[vmnet-shared-netns]}" link set bprobe up
	} || bail "cannot create the bridge probe"
	if [ "$1" = enslave ]; then
		drv exec "$h" "$IP" link set bprobe master "$br" || bail "cannot enslave the bridge probe"
	else
		drv exec "$h" "$IP" link set bprobe nomaster || bail "cannot release the bridge probe"
	fi
}
# extra_probe NAME add|del N P: a start or the bridge probe taking its turn
# among the ADDs (add) or the DELs (del); returns 1 for an implementation.
extra_probe() {
	local what=release probe=$((PROBES + $4))
	[ "$2" = del ] || what=enslave probe=$4
	if [ -n "${START_BIN[$1]:-}" ]; then
		probe_start "$1"
		echo "$1${TAG:-},start,$3,$probe,$(ms "$REPLY_US")" >>"$RAW"
	elif [ "$1" = "$BRP" ]; then
		bridge_port "$what"
		echo "$1${TAG:-},$what,$3,$4,$(ms "$REPLY_US")" >>"$RAW"
	else
		return 1
	fi
}

# rotation N RAWFILE TAG IMPL...: PROBES rounds of an ADD of each IMPL (and a
# start or the bridge probe in their turn, their rows named NAMETAG), then a
# DEL of each. The starting one moves round by round so none always goes
# first; the starts (the goals' floor) take their turn among the ADDs and
# again among the DELs.
rotation() {
	local n=$1 raw=$2 tag=$3 p impl
	shift 3
	local rot=("$@") order
	for ((p = 0; p < PROBES; p++)); do
		order=("${rot[@]:p % ${#rot[@]}}" "${rot[@]:0:p % ${#rot[@]}}")
		for impl in "${order[@]}"; do
			RAW=$raw TAG=$tag extra_probe "$impl" add "$n" "$p" && continue
			op "$impl" add probe eth0 "${PNS[$impl]}" 10000 1 0 ||
				bail "probe ADD $impl N=$n: $(tail -5 "$DRIVE_LOG")"
			echo "$impl,add,$n,$p,$(ms "$REPLY_US")" >>"$raw"
		done
		for impl in "${order[@]}"; do
			RAW=$raw TAG=$tag extra_probe "$impl" del "$n" "$p" && continue
			op "$impl" del probe eth0 "${PNS[$impl]}" 10000 1 0 ||
				bail "probe DEL $impl N=$n: $(tail -5 "$DRIVE_LOG")"
			echo "$impl,del,$n,$p,$(ms "$REPLY_US")" >>"$raw"
		done
	done
}

# Each vmnet variant's own rotation, for the goals: its calls with the
# floor (and, for shared/netns, the bridge probe) taking turns, the rows of
# those named start-vmnet@IMPL and bridge-port@IMPL. In the comparison's
# rotation a call comes after other implementations' and other host
# namespaces' calls, and each
# host namespace has a netd of its own that deletes what its DELs handed it
# when it has seen no call for 30 ms, whatever the other namespaces are
# doing; on a host one netd sees every call (README.md, "Each variant in a
# rotation of its own").
OWN_RAW=$OUT/goals-raw.csv
echo "impl,op,n,probe,ms" >"$OWN_RAW"
own_rotations() { # N
	local impl extra
	for impl in "${IMPLS[@]}"; do
		[[ $impl == vmnet-* ]] || continue
		extra=()
		[ "$impl" != vmnet-shared-netns ] || [ -z "$BRP" ] || extra=("$BRP")
		rotation "$1" "$OWN_RAW" "@$impl" "$impl" start-vmnet "${extra[@]}"
	done
}

for n in $NS_LIST; do
	for impl in "${IMPLS[@]}"; do grow "$impl" "$n"; done
	log "N=$n: $PROBES probes each"
	rotation "$n" "$RAW" "" "${ROT[@]}"
	log "N=$n: $PROBES probes each, every vmnet variant in a rotation of its own"
	own_rotations "$n"
	rss_pass "$n"
done

# Where the time of one call goes (opt-in): wall time per system call, the
# plugin and its children, at the last N.
if [ -n "${BENCH_PROFILE:-}" ]; then
	need_cmds strace
	for impl in "${IMPLS[@]}"; do
		[[ $impl == vmnet-* ]] || continue
		for verb in add del; do
			st="-f -c -w"
			[ "$BENCH_PROFILE" = trace ] && st="-f -tt -T"
			if [ "$BENCH_PROFILE" = perf ]; then wrap="$(command -v perf) trace -o"; else wrap="$(command -v strace) $st -o"; fi
			echo "$verb /run/netns/${HNS[$impl]} ${CONF[$impl]} probe eth0 /run/netns/${PNS[$impl]} 10000 80 1" |
				DRIVE_WRAP="$wrap $OUT/profile-$impl-$verb.txt" \
					DRIVE_RESULT_DIR='' "$DRIVE" | grep -q '^ok' || log "profile of $impl $verb failed"
		done
	done
	log "profiles: $OUT/profile-*.txt"
fi

# ---------------------------------------------------------------- scale run
#
# SCALE isolated host-wired attachments in a host namespace of their own,
# every ADD timed (scale.csv: i,op,ms), with a start of the plugin every
# 50 ADDs (op start) so a drift of the floor (other load) shows.
#
# Their state and IPAM folders are on a tmpfs (/dev/shm, BENCH_SCALE_FS):
# on a filesystem whose inode allocator passes over recently freed inodes
# one by one (ext4 without a journal, as on the machine the README's runs
# come from: `recently_deleted()`, up to six minutes after the files went),
# each new inode after a run's clean-up cost 0.5-0.7 ms and the first
# thousand ADDs 5-6 ms instead of 2 (tests/bench/README.md). That is the
# file system's history, not a cost that grows with N. scale-fs.txt says
# where they were.
SCALE_CSV=$OUT/scale.csv
echo "i,op,ms" >"$SCALE_CSV"
scale_dir() { # -> REPLY: a folder of ours on a tmpfs, else in W_TMP
	local fs=${BENCH_SCALE_FS:-/dev/shm}
	if [ "$(stat -f -c %T "$fs" 2>/dev/null)" = tmpfs ] &&
		REPLY=$(mktemp -d "$fs/vmnet-bench-scale.XXXXXX"); then
		W_DIRS+=("$REPLY")
		echo "tmpfs ($fs)" >"$OUT/scale-fs.txt"
	else
		REPLY=$W_TMP/scale
		mkdir -p "$REPLY"
		echo "$(stat -f -c %T "$W_TMP") ($W_TMP: $fs is no tmpfs)" >"$OUT/scale-fs.txt"
	fi
}
scale_run() {
	local impl=vmnet-isolated-host i ns t0=$SECONDS
	ns_add "h-${SHORT[$impl]}"; HNS[$impl]=$REPLY
	ct_seed "$REPLY"
	SUBNET_OCT[$impl]=60
	scale_dir
	vmnet_conf "$impl" isolated host '{blockSize: 30}' "$REPLY"
	[ "$BENCH_NETD" = 0 ] || bench_netd "$impl"
	for ((i = 0; i < SCALE; i++)); do
		if [ $((i % BG_PER_NS)) -eq 0 ]; then
			ns_add "b$((i / BG_PER_NS))-${SHORT[$impl]}"
			ns=$REPLY
		fi
		op "$impl" add "sc$i" "eth$((i % BG_PER_NS))" "$ns" $((20000 + i)) 1 ||
			bail "scale run failed at $i: $(tail -5 "$DRIVE_LOG")"
		echo "$i,add,$(ms "$REPLY_US")" >>"$SCALE_CSV"
		if [ $((i % 50)) -eq 0 ]; then
			probe_start start-vmnet
			echo "$i,start,$(ms "$REPLY_US")" >>"$SCALE_CSV"
		fi
		[ $((i % 1000)) -ne 999 ] || log "scale run: $((i + 1)) attachments (+$((SECONDS - t0)) s)"
	done
	log "scale run: $SCALE isolated host-wired attachments in $((SECONDS - t0)) s"
}
if [ "$SCALE" -gt 0 ]; then scale_run; fi

# netd's passes during the run: how many of each kind (full: every record;
# incremental: what events named), how long the last of each took.
# Then the cost of one pass at the N each netd holds now (the largest):
# three full passes (`netd reconcile`) and five incremental ones (a record
# rewritten once netd is quiet: the event names one attachment),
# netd-pass.csv.
nd_() { ip netns exec "${HNS[$1]}" "$NETD" "${@:2}" --socket "$W_TMP/netd/${HNS[$1]}.sock"; }
netd_quiet() { # IMPL: until no pass has run for a second (30 s at most):
	# what the kernel still reports about earlier work settles first
	local p0 p1 i
	p0=$(nd_ "$1" status --json | jq -r .reconcile.passes)
	for i in $(seq 30); do
		sleep 1
		p1=$(nd_ "$1" status --json | jq -r .reconcile.passes)
		[ "$p1" = "$p0" ] && return 0
		p0=$p1
	done
}
netd_pass_cost() { # IMPL
	local impl=$1 st n k i0 rec
	n=$(nd_ "$impl" status --json | jq -r .attachments) || return 0
	for k in 1 2 3; do
		nd_ "$impl" reconcile >/dev/null || continue
		st=$(nd_ "$impl" status --json)
		jq -r --arg i "$impl" --arg n "$n" --arg k "$k" \
			'[$i, $n, "full", $k, .reconcile.last_full_us, .reconcile.last_full_checked] | join(",")' \
			<<<"$st" >>"$NETD_PASS"
	done
	rec=$(find "${STATE[$impl]:-$W_TMP/$impl/state}" -mindepth 2 -maxdepth 2 -name '*@*.json' -print -quit)
	[ -n "$rec" ] || return 0
	for k in 1 2 3 4 5; do
		netd_quiet "$impl"
		i0=$(nd_ "$impl" status --json | jq -r .reconcile.incremental_passes)
		cp "$rec" "$rec.bench" && mv "$rec.bench" "$rec"
		for _ in $(seq 200); do
			st=$(nd_ "$impl" status --json)
			[ "$(jq -r '.reconcile | select(.incremental_passes > '"$i0"' and .last_incremental_checked > 0) | 1' <<<"$st")" = 1 ] && break
			sleep 0.05
		done
		jq -r --arg i "$impl" --arg n "$n" --arg k "$k" \
			'[$i, $n, "incremental", $k, .reconcile.last_incremental_us, .reconcile.last_incremental_checked] | join(",")' \
			<<<"$st" >>"$NETD_PASS"
	done
}
if [ "$BENCH_NETD" != 0 ]; then
	echo "impl,passes,last_ms,records,full_passes,incremental_passes,last_full_us,last_full_checked,last_incremental_us,last_incremental_checked" >"$OUT/netd.csv"
	NETD_PASS=$OUT/netd-pass.csv
	echo "impl,n,kind,run,us,checked" >"$NETD_PASS"
	for impl in "${!HNS[@]}"; do
		[[ $impl == vmnet-* ]] || continue
		st=$(nd_ "$impl" status --json 2>/dev/null) || continue
		jq -r --arg i "$impl" '[$i, .reconcile.passes, .reconcile.last_ms, .attachments,
			.reconcile.full_passes, .reconcile.incremental_passes, .reconcile.last_full_us,
			.reconcile.last_full_checked, .reconcile.last_incremental_us,
			.reconcile.last_incremental_checked] | @csv' <<<"$st" >>"$OUT/netd.csv"
		netd_pass_cost "$impl"
		cp "$W_TMP/netd-$impl.log" "$OUT/netd-$impl.log" 2>/dev/null
	done
	log "netd passes: $(tr '\n' ' ' <"$OUT/netd.csv")"
fi

# ---------------------------------------------------------------- packet path
#
# shared/netns vmnet network; the guest stand-in runs iperf3 behind host
# port 5201. Throughput is measured with 1 published port, then with 5,000
# (20 host-wired attachments publishing 250 ports each), alternating 3 times.
PKT=$OUT/packet.csv
packet_path() {
	local d=$W_TMP/pkt res i r k mbps got
	mkdir -p "$d"
	ns_add pkthost; HOST_NS=$REPLY
	wan_setup
	ns_add pktvm; local vm=$REPLY
	ns_add pktbg; local bg=$REPLY
	jq -n --arg s "$d/state" --arg i "$d/ipam" '{cniVersion: "1.0.0", name: "pkt", plugins: [{
		type: "vmnet", mode: "shared", bridge: "vmbrpkt", tap: "@TAP@", tapName: "tap0", ipMasq: true,
		stateDir: $s, capabilities: {portMappings: true},
		ipam: {type: "vmnet-ipam", dataDir: $i, ranges: [[{subnet: "10.99.0.0/16", gateway: "10.99.0.1"}]]}}]}' \
		>"$d/t.json"
	sed 's/@TAP@/netns/' "$d/t.json" >"$d/netns.json"
	sed 's/@TAP@/host/' "$d/t.json" >"$d/host.json"
	drv add "/run/netns/$HOST_NS" "$d/netns.json" guest eth0 "/run/netns/$vm" 5201 5201 1 ||
		bail "packet path: ADD failed: $(tail -5 "$DRIVE_LOG")"
	res=$(cat "$DRIVE_RESULT_DIR/guest@eth0.json")
	guest_attach pg "$res" "$vm" >&2 || bail "packet path: guest stand-in failed"
	ip netns exec "${G_NS[pg]}" iperf3 -s -p 5201 >/dev/null 2>&1 </dev/null &
	track_pid $!
	sleep 0.5
	echo "ports,run,mbps" >"$PKT"
	for r in 1 2 3; do
		for k in 1 5000; do
			if [ "$k" = 5000 ]; then
				for i in $(seq 0 19); do
					drv add "/run/netns/$HOST_NS" "$d/host.json" "bulk$i" "b$i" "/run/netns/$bg" \
						$((40000 + 250 * i)) 80 250 || bail "packet path: bulk ADD failed"
				done
				got=$(ip netns exec "$HOST_NS" nft list map inet vmnet ports4 2>/dev/null | grep -o ' : ' | wc -l)
				log "packet path: $got elements in ports4"
			fi
			mbps=$(ip netns exec "$WAN_NS" iperf3 -c "$WAN_HOST_IP" -p 5201 -t "${BENCH_IPERF_T:-5}" -J 2>/dev/null |
				jq '.end.sum_received.bits_per_second / 1e6 | floor')
			echo "$k,$r,${mbps:-0}" >>"$PKT"
			log "packet path: $k published ports: ${mbps:-?} Mbit/s"
			if [ "$k" = 5000 ]; then
				for i in $(seq 0 19); do
					drv del "/run/netns/$HOST_NS" "$d/host.json" "bulk$i" "b$i" "/run/netns/$bg" \
						$((40000 + 250 * i)) 80 250 || bail "packet path: bulk DEL failed"
				done
			fi
		done
	done
}
[ -n "${BENCH_NO_PACKET:-}" ] || packet_path

# ---------------------------------------------------------------- report

{
	echo "nproc: $(nproc)"
	echo "kernel: $(uname -r)"
	echo "cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
	echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
	echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
	echo "reference: containernetworking-plugins $(dpkg-query -W -f='${Version}' containernetworking-plugins 2>/dev/null)"
	echo "netavark: $($NETAVARK --version 2>/dev/null | awk '{print $2}')"
	echo "date: $(date -u +%F)"
} >"$OUT/machine.txt"

# summary RAWFILE: median and p95 (nearest rank) per impl, op, n.
summary() {
	awk -F, 'NR > 1 { k = $1 "," $2 "," $3; v[k] = v[k] " " $5 }
	END {
		print "impl,op,n,probes,median_ms,p95_ms"
		for (k in v) {
			m = split(substr(v[k], 2), a, " ")
			for (i = 2; i <= m; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
			med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
			r95 = int(0.95 * m + 0.999999); if (r95 < 1) r95 = 1
			printf "%s,%d,%.2f,%.2f\n", k, m, med, a[r95]
		}
	}' "$1" | { read -r h; echo "$h"; sort -t, -k1,1 -k2,2 -k3,3n; }
}
SUM=$OUT/compare.csv
summary "$RAW" >"$SUM"
# goals-sum.csv: each vmnet variant's own rotation.
summary "$OWN_RAW" >"$OUT/goals-sum.csv"

# the plot's data: N, then the ADD median of every implementation
{
	printf "N"
	for impl in "${IMPLS[@]}"; do printf " %s" "$impl"; done
	echo
	for n in $NS_LIST; do
		printf "%s" "$n"
		for impl in "${IMPLS[@]}"; do
			printf " %s" "$(awk -F, -v i="$impl" -v n="$n" '$1 == i && $2 == "add" && $3 == n {print $5}' "$SUM")"
		done
		echo
	done
} >"$OUT/add-latency.dat"
gnuplot -e "datafile='$OUT/add-latency.dat'; outfile='$OUT/add-latency.png'; ncols=$((${#IMPLS[@]} + 1)); machine='$(head -3 "$OUT/machine.txt" | paste -sd';' | sed "s/'//g; s/;/, /g"), $(date -u +%F)'" \
	"$HERE/plot.gp" || log "gnuplot failed"

"$HERE/compare-report.sh" "$OUT" "${IMPLS[*]}" "$NS_LIST" | tee "$OUT/compare-table.txt"
[ "$BENCH_NETD" = 0 ] || "$HERE/netd-report.sh" "$OUT" | tee "$OUT/netd-table.txt"
echo
BENCH_PROBES=$PROBES "$HERE/goals-report.sh" "$OUT" "$NS_LIST" "$SCALE" | tee "$OUT/goals.txt"
t_done >/dev/null
