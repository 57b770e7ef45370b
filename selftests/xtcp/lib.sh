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
