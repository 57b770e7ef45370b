# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What XTCP's shell tests share (sourced, not run): TAP results, XTCP
# loaded, namespaces joined by veth, sysctls and counters.  A test sets
# NAMESPACES (the ones it makes, deleted on exit and by ns_cleanup) before
# it calls anything here.

pass=0 fail=0 n=0

# result STATUS NAME: one TAP line for a case, counted.
result() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		pass=$((pass + 1)); echo "ok $n $2"
	else
		fail=$((fail + 1)); echo "not ok $n $2"
	fi
}

# totals: the kselftest Totals line; fails when a case did.
totals() {
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
	[ "$fail" -eq 0 ]
}

ns_cleanup() {
	local ns

	for ns in $NAMESPACES; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

load_xtcp() {
	[ -d /sys/module/xtcp ] || insmod "${XTCP_KO:-module/xtcp.ko}"
}

# veth_pair NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B: two new namespaces, one
# veth pair between them (addresses in a /24), every link up, lo too.
veth_pair() {
	ip netns add "$1" && ip netns add "$4" &&
	ip link add "$2" netns "$1" type veth peer name "$5" netns "$4" &&
	ip -n "$1" addr add "$3/24" dev "$2" &&
	ip -n "$4" addr add "$6/24" dev "$5" &&
	ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up &&
	ip -n "$1" link set lo up && ip -n "$4" link set lo up
}

# router_ns NS_A NS_R NS_B NET: three new namespaces in a line, NS_R
# forwarding between NS_A (NET.1.1, device fa) and NS_B (NET.2.1, fb) over
# veth (its ends ra and rb), each end's default route through NS_R; rb
# segments GSO skbs in software, as a NIC that knows no XTCP would have
# the stack do.
router_ns() {
	local a=$1 r=$2 b=$3 net=$4 ns

	ip netns add "$a" && ip netns add "$r" && ip netns add "$b" &&
	ip link add fa netns "$a" type veth peer name ra netns "$r" &&
	ip link add rb netns "$r" type veth peer name fb netns "$b" &&
	ip -n "$a" addr add "$net.1.1/24" dev fa &&
	ip -n "$r" addr add "$net.1.2/24" dev ra &&
	ip -n "$r" addr add "$net.2.2/24" dev rb &&
	ip -n "$b" addr add "$net.2.1/24" dev fb &&
	for ns in "$a" "$r" "$b"; do ip -n "$ns" link set lo up || return 1; done &&
	ip -n "$a" link set fa up && ip -n "$r" link set ra up &&
	ip -n "$r" link set rb up && ip -n "$b" link set fb up &&
	ip -n "$a" route add default via "$net.1.2" &&
	ip -n "$b" route add default via "$net.2.2" &&
	ip netns exec "$r" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward' &&
	ip netns exec "$r" ethtool -K rb tx-sctp-segmentation off >/dev/null
}

# xtcp_sysctls NS NAME=VALUE...: net.xtcp.* in one namespace.
xtcp_sysctls() {
	local ns=$1 kv

	shift
	for kv in "$@"; do
		ip netns exec "$ns" sh -c \
			"echo ${kv#*=} > /proc/sys/net/xtcp/${kv%%=*}" || return 1
	done
}

# xtcp_stat NS NAME: one counter of the namespace's /proc/net/xtcp_stat.
xtcp_stat() {
	# shellcheck disable=SC2016 # awk's $1, not the shell's
	ip netns exec "$1" awk -v k="$2" '$1 == k { print $2 }' \
		/proc/net/xtcp_stat
}
