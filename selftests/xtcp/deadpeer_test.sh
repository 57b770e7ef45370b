#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A peer that goes away without a word: a connection over veth carries
# data, then the peer's link goes down or its namespace is deleted.  The
# sender retransmits into the void and, after net.xtcp.retries2 = 3
# retransmissions from a first RTO of 200 ms (200 + 400 + 800 + 1600 ms,
# about 3 s), its blocked send() or recv() fails with ETIMEDOUT, or with
# EHOSTUNREACH when the dead link's ARP failed first and its ICMP became
# the socket's soft error (Linux TCP's tcp_write_err() reports that one
# too; which comes depends on ARP's timing).  Only the order of magnitude
# of that time is checked (1 s to 20 s).  The peer's
# own socket, closed when its process is killed, retries its FIN into the
# dead link once only (net.xtcp.orphan_retries = 1): an orphan keeps the
# module and its namespace for as long as it retries.
#
#   +-------------------+            +-------------------+
#   | ns xtcp-dp-c      |    veth    | ns xtcp-dp-s      |
#   | dp-c 10.80.0.1    |<---------->| dp-s 10.80.0.2    |
#   +-------------------+            +-------------------+
#
# Every case is bounded in time; the last line is a kselftest Totals line.
set -u

xfer=${XTCP_TESTS:-build/selftests}/xtcp_xfer
C=xtcp-dp-c
S=xtcp-dp-s
NAMESPACES="$C $S"
. "$(dirname "$0")/lib.sh"

# Ends the server: SIGTERM to its timeout(1), which passes it on (a
# SIGKILL would leave the server itself running, and its socket with it).
stop_server() {
	[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	spid=
}

cleanup() {
	stop_server
	ns_cleanup
}
trap cleanup EXIT

# A fresh pair of namespaces for each case.
setup() {
	cleanup
	load_xtcp && veth_pair $C dp-c 10.80.0.1 $S dp-s 10.80.0.2 || return 1
	for ns in $C $S; do
		xtcp_sysctls "$ns" msl_ms=300 rto_initial_ms=200 retries2=3 \
			orphan_retries=1 || return 1
	done
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# start SERVER_MODE CLIENT_ARGS...: the server in $S, then the client in
# $C in the background ($cpid), once it has connected.
start() {
	local port=$((7400 + n))
	sout=$(mktemp) cout=$(mktemp)
	timeout 60 ip netns exec $S "$xfer" "$1" $port >"$sout" 2>&1 &
	spid=$!
	shift
	for _ in $(seq 100); do grep -q listening "$sout" && break; sleep 0.05; done
	timeout 60 ip netns exec $C "$xfer" "$1" 10.80.0.2 $port "${@:2}" \
		>"$cout" 2>&1 &
	cpid=$!
	for _ in $(seq 100); do grep -q connected "$cout" && break; sleep 0.05; done
}

# finish NAME T0 [MAX_S]: waits for the client; 0 when it failed with
# ETIMEDOUT or EHOSTUNREACH (its exit status) between 1 s and MAX_S (20)
# seconds after T0.
finish() {
	local rc=0 ms max_ms=$((${3:-20} * 1000))
	wait $cpid || rc=$?
	ms=$(($(now_ms) - $2))
	grep -hv -e '^listening$' -e '^connected$' "$sout" "$cout" | sed 's/^/# /'
	echo "# $1: the client ended $ms ms after the peer went (exit $rc)"
	rm -f "$sout" "$cout"
	[ $rc -eq 0 ] && [ $ms -ge 1000 ] && [ $ms -le $max_ms ]
}

echo "TAP version 13"
echo "1..5"
[ -x "$xfer" ] || { echo "Bail out! $xfer not built"; exit 1; }

# The sender floods; its buffer is full and data is in flight when the
# peer's end of the link goes down.
dead_link_send() {
	local t0
	setup || return 1
	start server flood
	sleep 0.5
	t0=$(now_ms)
	ip -n $S link set dp-s down
	finish "link down under send()" "$t0"
}
dead_link_send
result $? "send() times out within 1-20 s when the peer's link goes down"

# The link goes down between connect() and a send(); the sender then
# waits in recv() for an answer that cannot come.  The client sends only
# once the link is down (the go file): had its data crossed and been
# ACKed first, nothing would be in flight, no timer would run and its
# recv() would wait for ever, on Linux TCP as here (no keep-alive).
dead_link_recv() {
	local t0 go
	setup || return 1
	go=$(mktemp -u)
	start server sendwait 16K "$go"
	ip -n $S link set dp-s down
	t0=$(now_ms)
	touch "$go"
	finish "link down under recv()" "$t0"
	rm -f "$go"
}
dead_link_recv
result $? "recv() times out within 1-20 s after sending to a dead link"

# The peer's namespace goes, its process and the veth pair with it (its
# link goes down first, so that its last words never arrive).
dead_netns() {
	local t0
	setup || return 1
	start server flood
	sleep 0.5
	t0=$(now_ms)
	ip -n $S link set dp-s down
	stop_server
	ip netns del $S
	finish "peer namespace deleted" "$t0"
}
dead_netns
result $? "send() times out within 1-20 s when the peer's namespace is deleted"

# The peer stopped reading: the sender's data waits for a window that
# stays closed, nothing is in flight, and then the peer's link goes down.
# Linux TCP's zero-window probes time out after retries2 as well, but
# their backoff goes on growing while the peer still answers them: with
# the window closed at time c, probes go at c+0.2, c+0.6, c+1.4, c+3.0 s.
# If the link goes at interval I (0.4 to 1.6 s), the end comes within
# I + 2I + 4I + 8I: up to 24 s.
dead_zero_window() {
	local t0
	setup || return 1
	start hold flood
	sleep 1
	t0=$(now_ms)
	ip -n $S link set dp-s down
	finish "link down with the window closed" "$t0" 30
}
dead_zero_window
result $? "send() times out within 1-30 s when a peer that stopped reading goes"

# Every socket of those connections is freed once they have timed out
# and their processes and namespaces are gone: XTCP's module is held by
# nothing (a socket alive anywhere holds a reference to it).
all_freed() {
	local refs
	cleanup
	for _ in $(seq 50); do
		refs=$(cat /sys/module/xtcp/refcnt) || return 1
		[ "$refs" -eq 0 ] && return 0
		sleep 0.2
	done
	echo "# $refs references to the module remain after 10 s"
	return 1
}
all_freed
result $? "every socket of the dead connections is freed (module refcnt 0)"

totals
