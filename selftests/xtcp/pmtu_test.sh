#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Path MTU discovery through a router whose link toward B is narrower than
# both ends' (a tunnel, a VPN, PPPoE): A offers and B offers an MSS for
# 1500-byte packets, but no packet over 1280 bytes leaves the router
# toward B.  With DF set on every segment, the router answers each one
# that is too big with an ICMP Fragmentation Needed (RFC 1191).
#
#   +--------------+        +---------------------+         +--------------+
#   | ns pm-a      |  veth  | ns pm-r (forwards)  |  veth   | ns pm-b      |
#   | 10.79.1.1    |<------>| 10.79.1.2 10.79.2.2 |-(1280)->| 10.79.2.1    |
#   +--------------+        +---------------------+         +--------------+
#
# Every case is bounded in time; the last line is a kselftest Totals line.
set -u

xfer=${XTCP_TESTS:-build/selftests}/xtcp_xfer
A=pm-a
R=pm-r
B=pm-b
NAMESPACES="$A $R $B"
. "$(dirname "$0")/lib.sh"
trap ns_cleanup EXIT

setup() {
	ns_cleanup
	load_xtcp &&
	router_ns $A $R $B 10.79 &&
	ip -n $R link set rb mtu 1280
}

port=7100

# transfer SECONDS BYTES [DURING]: A sends to B, byte-exact (xtcp_xfer
# checks every byte); DURING runs once the client is connected.  The
# client's status.
transfer() {
	local out cout rc
	port=$((port + 1))
	out=$(mktemp) cout=$(mktemp)
	timeout "$1" ip netns exec $B "$xfer" server $port >"$out" 2>/dev/null &
	local srv=$!
	for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.05; done
	timeout "$1" ip netns exec $A "$xfer" client 10.79.2.1 $port "$2" \
		>"$cout" 2>&1 &
	local cli=$!
	[ -n "${3:-}" ] && mid_transfer "$3"
	wait $cli
	rc=$?
	wait $srv || rc=1
	[ $rc -eq 0 ] || sed 's/^/# client: /' "$cout"
	rm -f "$out" "$cout"
	return $rc
}

# mid_transfer CMD: runs CMD once A has sent 4 MiB or so (3000 segments).
mid_transfer() {
	local start
	start=$(xtcp_stat $A OutSegs)
	for _ in $(seq 600); do
		[ $(($(xtcp_stat $A OutSegs) - start)) -ge 3000 ] && break
		sleep 0.05
	done
	echo "# $1 after $(($(xtcp_stat $A OutSegs) - start)) segments"
	$1
}

# The route to B that A's kernel holds now: its learned MTU, if any.
route_mtu() {
	ip -n $A route get 10.79.2.1 | sed -n 's/.* mtu \([0-9]*\).*/\1/p'
}

echo "TAP version 13"
echo "1..10"
[ -x "$xfer" ] || { echo "Bail out! $xfer not built"; exit 1; }

setup
result $? "three namespaces; the router's link toward B carries 1280 bytes"

# (a) The router answers: A learns 1280, resends at the new size at once,
# and the transfer runs at full speed from then on.
rtx=$(xtcp_stat $A RetransSegs) red=$(xtcp_stat $A PmtuReduced)
out=$(xtcp_stat $A OutSegs)
transfer 240 64M
rc=$?
rtx=$(($(xtcp_stat $A RetransSegs) - rtx)) red=$(($(xtcp_stat $A PmtuReduced) - red))
out=$(($(xtcp_stat $A OutSegs) - out))
echo "# 64 MiB: $out segments, $rtx resent, MSS lowered $red times, route mtu $(route_mtu)"
# What was in flight when the first ICMP came, and what this router costs
# with no narrow link at all: it reorders and drops in bursts under TCG,
# which RACK repairs (0.2 % to 1.4 % resent in runs without the 1280-byte
# link).  Without path MTU discovery nothing after the handshake arrives.
[ $rc -eq 0 ] && [ "$red" -ge 1 ] && [ $((rtx * 100)) -le $((out * 3)) ] &&
	[ "$(route_mtu)" = 1280 ]
result $? "64 MiB cross a 1280-byte link byte-exact, with few segments resent"

# The link narrows under a live transfer: the router's (ICMP from R) ...
ip netns exec $A ip route flush cache
ip -n $R link set rb mtu 1500
narrow_router() { ip -n $R link set rb mtu 1280; }
red=$(xtcp_stat $A PmtuReduced)
transfer 120 32M narrow_router
rc=$?
red=$(($(xtcp_stat $A PmtuReduced) - red))
echo "# MSS lowered $red times"
[ $rc -eq 0 ] && [ "$red" -ge 1 ]
result $? "the router's MTU lowered mid-transfer: 32 MiB arrive byte-exact"

# ... or A's own interface (the ICMP comes from A's own IP layer).
ip netns exec $A ip route flush cache
ip -n $R link set rb mtu 1500
narrow_local() { ip -n $A link set fa mtu 1200; }
transfer 120 32M narrow_local
result $? "the sender's own MTU lowered mid-transfer: 32 MiB arrive byte-exact"
ip -n $A link set fa mtu 1500

# A black hole: the router still cannot forward large segments, but its
# ICMP never reaches A (dropped on its way out, as by a firewall that
# drops all ICMP).  Only probing (RFC 4821) finds the path MTU then.
ip netns exec $A ip route flush cache
ip -n $R link set rb mtu 1280 &&
ip netns exec $R tc qdisc add dev ra clsact &&
ip netns exec $R tc filter add dev ra egress protocol ip u32 \
	match ip protocol 1 0xff action drop
result $? "the router's ICMP to A is dropped"

# mtu_probing 1: three timeouts in a row suggest a black hole, and the
# MSS drops to base_mss (1024), which fits.
hole=$(xtcp_stat $A MtuBlackHole)
xtcp_sysctls $A mtu_probing=1
transfer 120 8M
rc=$?
hole=$(($(xtcp_stat $A MtuBlackHole) - hole))
echo "# black holes suspected: $hole"
[ $rc -eq 0 ] && [ "$hole" -ge 1 ]
result $? "mtu_probing 1: 8 MiB cross the black hole byte-exact"

# mtu_probing 2: from base_mss, probes search upward; those over 1280
# bytes are lost, those under arrive.
ok=$(xtcp_stat $A MtuProbeSuccess) bad=$(xtcp_stat $A MtuProbeFail)
xtcp_sysctls $A mtu_probing=2
transfer 120 8M
rc=$?
ok=$(($(xtcp_stat $A MtuProbeSuccess) - ok)) bad=$(($(xtcp_stat $A MtuProbeFail) - bad))
echo "# probes: $ok arrived, $bad lost"
[ $rc -eq 0 ] && [ "$ok" -ge 1 ] && [ "$bad" -ge 1 ]
result $? "mtu_probing 2: 8 MiB cross byte-exact, probing up to the path's MTU"

# mtu_probing 0 (the default, as Linux): nothing after the handshake
# arrives, and the transfer cannot finish.
xtcp_sysctls $A mtu_probing=0
transfer 6 1M
[ $? -ne 0 ]
result $? "mtu_probing 0: nothing crosses the black hole"

# The client's orphan still holds the 1 MiB; with ICMP through again it
# reaches B, whose server is gone, and the RST ends it (nothing may
# outlive the test: the module must unload after the suite).
ip netns exec $R tc qdisc del dev ra clsact
for _ in $(seq 300); do
	[ "$(ip netns exec $A awk 'NR > 1' /proc/net/xtcp | wc -l)" -eq 0 ] && break
	sleep 0.1
done
[ "$(ip netns exec $A awk 'NR > 1' /proc/net/xtcp | wc -l)" -eq 0 ]
result $? "the client's orphan ends once ICMP gets through"

# A router with no route to B says so: connect() fails at once with
# EHOSTUNREACH, as TCP's does, instead of after 127 s of SYNs.
ip -n $R route add unreachable 10.79.3.1/32
start=$(date +%s%N)
out=$(timeout 10 ip netns exec $A "$xfer" client 10.79.3.1 $port 1 2>&1)
ms=$((($(date +%s%N) - start) / 1000000))
echo "# $out (after $ms ms)"
echo "$out" | grep -q "No route to host" && [ $ms -lt 3000 ]
result $? "connect() through a router with no route fails at once"

totals
