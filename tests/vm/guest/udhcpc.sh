#!/bin/sh
# SPDX-License-Identifier: MIT
# shellcheck disable=SC2154 # udhcpc sets interface, ip, router, ...
# udhcpc hook of the vmnet test guest: applies the lease (address, router,
# DNS, MTU from option 26). busybox exports mask as a prefix length.
case $1 in
deconfig)
	ip addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound | renew)
	[ -z "$mtu" ] || ip link set "$interface" mtu "$mtu"
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do
		ip route replace default via "$r" dev "$interface"
		break
	done
	: >/etc/resolv.conf
	for d in $dns; do echo "nameserver $d" >>/etc/resolv.conf; done
	echo "server=$serverid lease=$lease mtu=$mtu router=$router" >/tmp/lease
	;;
esac
exit 0
