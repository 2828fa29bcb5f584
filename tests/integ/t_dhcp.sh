#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# netd's DHCP server (netd/dhcp.c) against real clients, through
# build/tools/dhcptest with a static lease table: busybox udhcpc and a small
# python client in guest namespaces behind a bridge (shared networks) and on
# a routed point-to-point veth (isolated networks).
# Usage: t_dhcp.sh [BUILD_DIR]

. "$(dirname "$0")/lib.sh"

need_root
need_cmds busybox python3
DHCPTEST=$B/tools/dhcptest
need_bins "$DHCPTEST"
PY=$(command -v python3)

MAC1=02:00:00:00:09:01 # guest1, has a lease on the bridge
MAC2=02:00:00:00:09:02 # guest2, unknown
MAC3=02:00:00:00:09:03 # guest3, routed link
world_init

# ---------------------------------------------------------------- topology

host_ns
ip -n "$HOST_NS" link add br0 type bridge || bail "bridge"
ip -n "$HOST_NS" addr add 10.9.0.1/24 dev br0
ip -n "$HOST_NS" link set br0 up
for i in 1 2; do
	ns_add "g$i"
	eval "G$i=\$REPLY"
	ip -n "$HOST_NS" link add "h$i" type veth peer name eth0 netns "$REPLY" || bail "veth h$i"
	ip -n "$HOST_NS" link set "h$i" master br0 up
done
ip -n "$G1" link set eth0 address $MAC1 up
ip -n "$G2" link set eth0 address $MAC2 up
ns_add g3
G3=$REPLY
ip -n "$HOST_NS" link add p3 type veth peer name eth0 netns "$G3" || bail "veth p3"
ip -n "$HOST_NS" addr add 10.9.1.1/30 dev p3
ip -n "$HOST_NS" link set p3 up
ip -n "$G3" link set eth0 address $MAC3 up
BR_MAC=$(ip -n "$HOST_NS" -o link show br0 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)

# ---------------------------------------------------------------- helpers

cat >"$W_TMP/udhcpc.sh" <<'SCRIPT'
#!/bin/sh
# udhcpc calls this with the event; record what a guest would configure.
case $1 in bound | renew)
	echo "ip=$ip mask=$subnet router=$router dns=$dns mtu=$mtu domain=$domain lease=$lease serverid=$serverid search=$search" >"$OUT" ;;
esac
exit 0
SCRIPT
chmod +x "$W_TMP/udhcpc.sh"

# udhcpc_in NS [ARGS...]: one DHCP run; the recorded env is in T_LEASE.
udhcpc_in() {
	local ns=$1 out=$W_TMP/lease.$RANDOM
	shift
	rm -f "$out"
	ip netns exec "$ns" env OUT="$out" timeout 20 busybox udhcpc -i eth0 -n -q -f \
		-t 3 -T 1 -A 1 -O mtu -s "$W_TMP/udhcpc.sh" "$@" >"$W_TMP/udhcpc.log" 2>&1
	local rc=$?
	T_LEASE=$(cat "$out" 2>/dev/null)
	return $rc
}

# A DHCP client that speaks through a packet socket like a real one, but
# sends exactly one message and lists every reply seen within a second.
cat >"$W_TMP/dhcpc.py" <<'PYEOF'
import socket, struct, sys, time, random

ifname, mac, kind = sys.argv[1], bytes.fromhex(sys.argv[2].replace(':', '')), sys.argv[3]
args = sys.argv[4:]
ETH_P_IP = 0x0800
ip = lambda a: socket.inet_aton(a)

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def packet(payload, src='0.0.0.0', dst='255.255.255.255'):
    udp = struct.pack('!HHHH', 68, 67, 8 + len(payload), 0) + payload
    hdr = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, ip(src), ip(dst)))
    hdr[10:12] = struct.pack('!H', csum(bytes(hdr)))
    return bytes(hdr) + udp

def dhcp(mtype, xid, ciaddr='0.0.0.0', flags=0x8000, opts=b'', magic=b'\x63\x82\x53\x63'):
    m = struct.pack('!BBBBIHH4s4s4s4s', 1, 1, 6, 0, xid, 0, flags, ip(ciaddr), bytes(4), bytes(4), bytes(4))
    m += mac + bytes(10) + bytes(192) + magic + bytes([53, 1, mtype]) + opts + b'\xff'
    return m + bytes(max(0, 300 - len(m)))

def opt_ip(code, a): return bytes([code, 4]) + ip(a)

s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
s.bind((ifname, ETH_P_IP))
xid = random.getrandbits(32)
dst_mac, src, dst = b'\xff' * 6, '0.0.0.0', '255.255.255.255'
if kind == 'discover':
    msg = dhcp(1, xid)
elif kind == 'select':        # REQUEST ADDR SERVER
    msg = dhcp(3, xid, opts=opt_ip(50, args[0]) + opt_ip(54, args[1]))
elif kind == 'reboot':        # REQUEST ADDR (init-reboot)
    msg = dhcp(3, xid, opts=opt_ip(50, args[0]))
elif kind == 'renew':         # REQUEST from CIADDR, unicast to SERVER at SERVER_MAC
    msg = dhcp(3, xid, ciaddr=args[0], flags=0)
    src, dst, dst_mac = args[0], args[1], bytes.fromhex(args[2].replace(':', ''))
elif kind == 'inform':        # INFORM from CIADDR
    msg = dhcp(8, xid, ciaddr=args[0], flags=0)
elif kind == 'garbage':
    for p in (dhcp(1, xid, magic=b'\x00\x00\x00\x00'), dhcp(1, xid)[:241],
              dhcp(1, xid, opts=b'\x32\xff'), bytes(300)):
        s.sendto(packet(p), (ifname, ETH_P_IP, 0, 0, b'\xff' * 6))
    sys.exit(0)
s.sendto(packet(msg, src, dst), (ifname, ETH_P_IP, 0, 0, dst_mac))

names = {2: 'OFFER', 5: 'ACK', 6: 'NAK'}
end = time.time() + 1.0
while True:
    left = end - time.time()
    if left <= 0: break
    s.settimeout(left)
    try:
        pkt, addr = s.recvfrom(4096)
    except socket.timeout:
        break
    if addr[2] == socket.PACKET_OUTGOING or len(pkt) < 28: continue
    ihl = (pkt[0] & 15) * 4
    sport, dport = struct.unpack('!HH', pkt[ihl:ihl + 4])
    b = pkt[ihl + 8:]
    if dport != 68 or len(b) < 240 or struct.unpack('!I', b[4:8])[0] != xid: continue
    opts, i, o = {}, 240, b
    while i < len(o) and o[i] != 255:
        if o[i] == 0: i += 1; continue
        opts[o[i]] = o[i + 2:i + 2 + o[i + 1]]; i += 2 + o[i + 1]
    t = opts.get(53, b'\0')[0]
    line = '%s yiaddr=%s dst=%s' % (names.get(t, t), socket.inet_ntoa(b[16:20]), socket.inet_ntoa(pkt[16:20]))
    line += ' lease=%s' % ('yes' if 51 in opts else 'no')
    if 54 in opts: line += ' server=%s' % socket.inet_ntoa(opts[54])
    print(line)
PYEOF

# pyc NS MAC KIND [ARGS...]: the replies, one per line, in T_OUT.
pyc() {
	local ns=$1
	shift
	t_run ip netns exec "$ns" "$PY" "$W_TMP/dhcpc.py" eth0 "$@"
}

stat_of() { # stat_of NAME: a counter from dhcptest's stats file
	grep -o "$1=[0-9]*" "$W_TMP/stats" | cut -d= -f2
}

# ---------------------------------------------------------------- server

ip netns exec "$HOST_NS" "$DHCPTEST" -v --stats "$W_TMP/stats" \
	--lease "$MAC1,10.9.0.10/24,router=10.9.0.1,dns=192.0.2.53,dns=127.0.0.53,dns=198.51.100.53,mtu=1400,domain=vm.test,search=vm.test,search=example.com,search=bad..name,search=corp.example.,lease=3600,dev=br0" \
	--lease "$MAC3,10.9.1.2/30,router=10.9.1.1,dns=192.0.2.53,mtu=1420,domain=iso.test,dev=p3" \
	>"$W_TMP/dhcptest.out" 2>"$W_TMP/dhcptest.err" </dev/null &
track_pid $!
for _ in $(seq 50); do
	grep -q ready "$W_TMP/dhcptest.out" 2>/dev/null && break
	sleep 0.1
done
if grep -q ready "$W_TMP/dhcptest.out"; then ok "dhcptest serves in the host netns"; else
	not_ok "dhcptest serves in the host netns" "$(cat "$W_TMP/dhcptest.err")"
	t_done
fi

# ---------------------------------------------------------------- bridge

if udhcpc_in "$G1"; then ok "guest1 (bridge port) obtains a lease with udhcpc"; else
	not_ok "guest1 (bridge port) obtains a lease with udhcpc" "$(cat "$W_TMP/udhcpc.log")"; fi
t_eq "guest1: exactly its address, mask, router, DNS (no loopback), MTU, domain, lease, server id, search (option 119, invalid names left out)" \
	"$T_LEASE" "ip=10.9.0.10 mask=255.255.255.0 router=10.9.0.1 dns=192.0.2.53 198.51.100.53 mtu=1400 domain=vm.test lease=3600 serverid=10.9.0.1 search=vm.test example.com corp.example"

unknown0=$(stat_of unknown)
if udhcpc_in "$G2"; then not_ok "guest2 (unknown MAC) gets nothing" "$T_LEASE"; else
	ok "guest2 (unknown MAC) gets nothing"; fi
t_match "guest2's requests were counted as unknown ($(stat_of unknown) > $unknown0)" \
	"$(($(stat_of unknown) > unknown0))" '^1$'

pyc "$G1" $MAC1 discover
t_eq "one DISCOVER from behind the bridge is answered once" "$T_OUT" \
	"OFFER yiaddr=10.9.0.10 dst=255.255.255.255 lease=yes server=10.9.0.1"
pyc "$G1" $MAC1 select 10.9.0.99 10.9.0.1
t_eq "REQUEST (selecting) for a wrong address gets a NAK" "$T_OUT" \
	"NAK yiaddr=0.0.0.0 dst=255.255.255.255 lease=no server=10.9.0.1"
pyc "$G1" $MAC1 reboot 10.9.0.99
t_eq "REQUEST (init-reboot) for a wrong address gets a NAK" "$T_OUT" \
	"NAK yiaddr=0.0.0.0 dst=255.255.255.255 lease=no server=10.9.0.1"
pyc "$G1" $MAC1 select 10.9.0.99 10.9.0.254
t_eq "REQUEST for another server is ignored" "$T_OUT" ""
pyc "$G1" $MAC1 renew 10.9.0.10 10.9.0.1 "$BR_MAC"
t_eq "unicast renewal to the bridge address gets one ACK" "$T_OUT" \
	"ACK yiaddr=10.9.0.10 dst=10.9.0.10 lease=yes server=10.9.0.1"
pyc "$G1" $MAC1 inform 10.9.0.10
t_eq "INFORM gets an ACK without address or lease time" "$T_OUT" \
	"ACK yiaddr=0.0.0.0 dst=10.9.0.10 lease=no server=10.9.0.1"
pyc "$G2" $MAC2 select 10.9.0.10 10.9.0.1
t_eq "an unknown MAC asking for guest1's address gets nothing" "$T_OUT" ""

if udhcpc_in "$G1" -r 10.9.0.99; then ok "udhcpc -r 10.9.0.99 still completes"; else
	not_ok "udhcpc -r 10.9.0.99 still completes" "$(cat "$W_TMP/udhcpc.log")"; fi
t_match "udhcpc asking for 10.9.0.99 ends with the leased 10.9.0.10" "$T_LEASE" '^ip=10\.9\.0\.10 '

mal0=$(stat_of malformed)
pyc "$G1" $MAC1 garbage
sleep 0.2
t_eq "4 malformed packets are counted and ignored" "$(($(stat_of malformed) - mal0))" 4
t_match "NAKs counted" "$(stat_of naks)" '^[2-9]'

# ---------------------------------------------------------------- routed link

if udhcpc_in "$G3"; then ok "guest3 (routed point-to-point veth) obtains a lease"; else
	not_ok "guest3 (routed point-to-point veth) obtains a lease" "$(cat "$W_TMP/udhcpc.log")"; fi
t_eq "guest3: its /30, router, DNS, MTU, domain" "$T_LEASE" \
	"ip=10.9.1.2 mask=255.255.255.252 router=10.9.1.1 dns=192.0.2.53 mtu=1420 domain=iso.test lease=86400 serverid=10.9.1.1 search="
pyc "$G3" $MAC3 select 10.9.0.10 10.9.1.1
t_eq "guest3 asking for guest1's address gets a NAK" "$T_OUT" \
	"NAK yiaddr=0.0.0.0 dst=255.255.255.255 lease=no server=10.9.1.1"

if [ -d "/proc/${W_PIDS[0]}" ]; then ok "dhcptest still running after all of it"; else
	not_ok "dhcptest still running after all of it" "$(cat "$W_TMP/dhcptest.err")"; fi
diag "dhcptest: $(cat "$W_TMP/stats")"
t_done
