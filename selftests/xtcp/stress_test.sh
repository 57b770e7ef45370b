#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# XTCP under stress, several things at once, each checked by what a user
# can see:
#
# 1. Eight byte-exact transfers of 1 MiB (xtcp_xfer: four one way, four
#    duplex) through netem loss (1%) and delay between st-a and st-b,
#    while, at the same time, clients storm a listener that closes and opens again
#    (st-c to st-d: each connection must carry its bytes or end with a
#    TCP errno, never hang), and two namespaces (st-e, st-f) holding
#    sockets in many states (established with unread data, a listener
#    with a full accept queue, SYN_RECV entries, FIN_WAIT orphans,
#    TIME_WAIT) have their processes killed with SIGKILL, every segment
#    between them lost from then on, and are deleted: the orphans give
#    up, and each namespace's exit must take what is left (TIME_WAIT and
#    orphan FIN_WAIT_2 entries, which would otherwise live 60 s).
#    Afterwards XTCP's slab caches (/proc/slabinfo, xtcp_*) are back at
#    their baseline and the module's reference count too: nothing was
#    left behind.
# 2. The module removed and loaded again, five rounds: rmmod is refused
#    while a listener is open (which then still takes a byte-exact
#    transfer), and succeeds once every socket has closed; after insmod a
#    transfer works.  The module stays loaded at the end.
# 3. SYN-queue entries expiring as their final ACKs arrive: the server's
#    entries live one SYN-ACK timeout (synack_retries 0, 200 ms), and
#    netem delays the clients' segments by 50-350 ms, so that for hundreds
#    of connections the final ACK and the expiry meet.  Each client either
#    gets its answer or a TCP errno, every accepted socket carries the
#    client's bytes, and no entry or socket is left afterwards.
#
# Waits scale by XTCP_TIMEOUT_SCALE, or by 8 on a kernel with kmemleak
# (the debug kernel), which is several times slower.
set -u

xfer=${XTCP_TESTS:-build/selftests}/xtcp_xfer
A=xtcp-st-a B=xtcp-st-b C=xtcp-st-c D=xtcp-st-d E=xtcp-st-e F=xtcp-st-f
G=xtcp-st-g H=xtcp-st-h
# shellcheck disable=SC2034 # lib.sh's ns_cleanup reads it
NAMESPACES="$A $B $C $D $E $F $G $H"
# shellcheck source-path=SCRIPTDIR source=lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"

scale=${XTCP_TIMEOUT_SCALE:-1}
[ -e /sys/kernel/debug/kmemleak ] && [ "$scale" -lt 8 ] && scale=8
export XTCP_XFER_BOUND_S=$((20 * scale))

# Every process left in the namespaces (timeout(1) passes SIGTERM on).
cleanup() {
	local ns
	for ns in $NAMESPACES; do
		# shellcheck disable=SC2046 # one pid a word
		[ -e "/run/netns/$ns" ] && kill $(ip netns pids "$ns") 2>/dev/null
	done
	wait 2>/dev/null
	ns_cleanup
	rm -rf "$tmp"
}
tmp=$(mktemp -d)
trap cleanup EXIT

now_ms() {
	local t=${EPOCHREALTIME/[.,]/}

	echo $((t / 1000))
}

# until_ms S: the clock, in ms, S seconds (scaled) from now, for the
# loops that wait for something: under TCG each turn of a loop costs
# much more than its sleep.
until_ms() {
	echo $(($(now_ms) + $1 * 1000 * scale))
}

# wait_for FILE WORD: until FILE holds WORD (10 s, scaled).
wait_for() {
	local end

	end=$(until_ms 10)
	while [ "$(now_ms)" -lt "$end" ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "# no \"$2\" in $1:"
	sed 's/^/#   /' "$1"
	return 1
}

# run_bg NAME NS ARGS...: xtcp_xfer ARGS in NS in the background, bounded,
# its output in $tmp/NAME, ending with its time and status; the pid to
# wait for in $tmp/NAME.pid.
run_bg() {
	local name=$1 ns=$2 t0

	shift 2
	t0=$(now_ms)
	(
		timeout $((120 * scale)) ip netns exec "$ns" "$xfer" "$@"
		rc=$?
		echo "took $(($(now_ms) - t0)) ms, exit $rc"
		exit $rc
	) >"$tmp/$name" 2>&1 &
	echo $! >"$tmp/$name.pid"
}

# wait_bg NAME: its exit status; its output as comments.
wait_bg() {
	local rc=0
	wait "$(cat "$tmp/$1.pid")" || rc=$?
	grep -hv -e '^listening$' -e '^connected$' "$tmp/$1" | sed "s/^/# $1: /"
	[ $rc -eq 124 ] && echo "# $1: timed out"
	return $rc
}

# shellcheck disable=SC2016 # awk's $3, not the shell's
# The states in NS's /proc/net/xtcp with their counts: " 01:3 0A:1".
states() {
	ip netns exec "$1" awk 'NR > 1 { print $3 }' /proc/net/xtcp | sort | uniq -c |
		awk '{ printf " %s:%s", $2, $1 } END { print "" }'
}

# has_states NS ST...: NS's /proc/net/xtcp shows every state ST.
has_states() {
	local ns=$1 st now

	shift
	# shellcheck disable=SC2016 # awk's $3
	now=$(ip netns exec "$ns" awk 'NR > 1 { print $3 }' /proc/net/xtcp)
	for st in "$@"; do
		grep -qx "$st" <<<"$now" || { echo "# $ns: no $st"; return 1; }
	done
}

# has_in SNAPSHOT ST...: a states() line SNAPSHOT of NS shows every ST.
has_in() {
	local snap=$1 st

	shift
	for st in "$@"; do
		[[ $snap == *" $st:"* ]] || { echo "# no $st"; return 1; }
	done
}

# The objects in use in each xtcp_* slab cache, "NAME COUNT" a line.
# Shrinking a cache first empties KASAN's quarantine of it.
slabs() {
	local f
	for f in /sys/kernel/slab/xtcp_*/shrink; do
		[ -w "$f" ] && echo 1 >"$f" 2>/dev/null
	done
	awk '/^xtcp_/ { print $1, $2 }' /proc/slabinfo
}

# slab_excess BASE: objects over the baseline, summed (0: none).
slab_excess() {
	slabs | awk 'NR == FNR { b[$1] = $2; next }
		$2 > b[$1] { e += $2 - b[$1]; printf "# %s: %d objects, %d before\n", $1, $2, b[$1] > "/dev/stderr" }
		END { print e + 0 }' "$1" -
}

echo "TAP version 13"
echo "1..9"
[ -x "$xfer" ] || { echo "Bail out! $xfer not built"; exit 1; }
echo "# waits scaled by $scale"

# ---- 1. transfers, connect storms and dying namespaces at once ----

# st-a/st-b: the eight transfers, netem both ways.
transfers_start() {
	local i port

	veth_pair $A st-a 10.83.1.1 $B st-b 10.83.1.2 || return 1
	xtcp_sysctls $A rto_initial_ms=200 msl_ms=500 || return 1
	xtcp_sysctls $B rto_initial_ms=200 msl_ms=500 || return 1
	tc -n $A qdisc add dev st-a root netem delay 2ms loss 1% limit 10000 &&
	tc -n $B qdisc add dev st-b root netem delay 2ms loss 1% limit 10000 ||
		return 1
	for i in 0 1 2 3; do
		port=$((7610 + i))
		run_bg "srv$i" $B server $port 4M
		wait_for "$tmp/srv$i" listening || return 1
		run_bg "cli$i" $A client 10.83.1.2 $port 1M
	done
	for i in 4 5 6 7; do
		port=$((7610 + i))
		run_bg "srv$i" $B duplex-server $port 1M
		wait_for "$tmp/srv$i" listening || return 1
		run_bg "cli$i" $A duplex-client 10.83.1.2 $port 1M
	done
}

transfers_finish() {
	local i rc=0
	for i in 0 1 2 3 4 5 6 7; do
		wait_bg "cli$i" || rc=1
		wait_bg "srv$i" || rc=1
	done
	return $rc
}

# st-c/st-d: clients in st-c storm, for STORM_S seconds, a listener in
# st-d that is open 300 ms, then closed 100 ms, from before the storm
# starts until after it ends (its stop file).  Both log their times.
STORM_S=6
storm_start() {
	veth_pair $C st-c 10.83.2.1 $D st-d 10.83.2.2 || return 1
	xtcp_sysctls $C rto_initial_ms=200 msl_ms=500 || return 1
	xtcp_sysctls $D rto_initial_ms=200 msl_ms=500 || return 1
	XTCP_XFER_TIMES=$tmp/accepter.times XTCP_XFER_STOP=$tmp/storm.stop \
		run_bg accepter $D accepter 7620 $((60 * scale)) 100 300 100
	wait_for "$tmp/accepter" listening || return 1
	XTCP_XFER_TIMES=$tmp/storm.times \
		run_bg storm $C storm 10.83.2.2 7620 4 $STORM_S 100
}

# storm_refused_listening: the refusals of the storm whose connect()
# began after a listen() had returned and ended before that listener's
# close() began: refused by a listening port.  Writes their count to
# $tmp/inside; prints the first few and how much of the storm the port
# listened.
storm_refused_listening() {
	# shellcheck disable=SC2016 # awk's $1, not the shell's
	awk 'BEGIN { n = 0 }
	     NR == FNR { if ($1 == "open") o[n] = $2; else c[n++] = $2; next }
	     !first || $1 < first { first = $1 }
	     $2 > last { last = $2 }
	     $3 == "ECONNREFUSED" {
		for (i = 0; i < n; i++)
			if ($1 > o[i] && $2 < c[i]) {
				if (++bad <= 5)
					printf "# refused %.1f-%.1f ms, listening %.1f-%.1f ms\n",
					       ($1 - o[0]) / 1000, ($2 - o[0]) / 1000,
					       (o[i] - o[0]) / 1000, (c[i] - o[0]) / 1000
				break
			}
	     }
	     END {
		for (i = 0; i < n; i++) {
			a = o[i] > first ? o[i] : first
			b = c[i] < last ? c[i] : last
			if (b > a) { up += b - a; k++ }
		}
		printf "# the storm ran %d ms; the port listened %d ms of it, in %d turns\n",
		       (last - first) / 1000, up / 1000, k
		print bad + 0 >out
	     }' out="$tmp/inside" "$tmp/accepter.times" "$tmp/storm.times"
}

# The storm's clients all ended, each with its answer or a TCP errno,
# some of each, and no connection was refused by a listening port; every
# socket the listener accepted carried its bytes.
storm_finish() {
	local rc=0 ok refused inside
	wait_bg storm || rc=1
	touch "$tmp/storm.stop"
	wait_bg accepter || rc=1
	ok=$(sed -n 's/.* ok \([0-9]*\).*/\1/p' "$tmp/storm")
	refused=$(sed -n 's/.* ECONNREFUSED \([0-9]*\).*/\1/p' "$tmp/storm")
	storm_refused_listening
	inside=$(cat "$tmp/inside" 2>/dev/null)
	[ "${ok:-0}" -gt 0 ] || { echo "# no connection of the storm got through"; rc=1; }
	[ "${refused:-0}" -gt 0 ] || { echo "# no connection of the storm was refused"; rc=1; }
	[ "${inside:-1}" -eq 0 ] || { echo "# ${inside:-?} refused by a listening port"; rc=1; }
	return $rc
}

# st-e/st-f: sockets in many states, then SIGKILL and the namespaces
# deleted.  Long TIME_WAIT and FIN_WAIT_2 lives (the defaults, 60 s), so
# that only the namespace's exit can take those entries in time.
dying_setup() {
	local end fs es

	veth_pair $E st-e 10.83.3.1 $F st-f 10.83.3.2 || return 1
	# Orphans resend for some 3 s (200, 400, 800, 1000, 1000 ms), long
	# enough to be seen on the debug kernel too.
	xtcp_sysctls $E rto_initial_ms=200 rto_max_ms=1000 orphan_retries=4 ||
		return 1
	xtcp_sysctls $F rto_initial_ms=200 rto_max_ms=1000 orphan_retries=2 ||
		return 1
	# TIME_WAIT on each side: the client half-closes first.
	run_bg tw1s $F server 7630 && wait_for "$tmp/tw1s" listening &&
	run_bg tw1c $E client 10.83.3.2 7630 64K &&
	run_bg tw2s $E server 7631 && wait_for "$tmp/tw2s" listening &&
	run_bg tw2c $F client 10.83.3.1 7631 64K &&
	wait_bg tw1c && wait_bg tw1s && wait_bg tw2c && wait_bg tw2s || return 1
	# Established, a reader that never reads: unread data in st-f,
	# unsent data in st-e.
	run_bg hold1 $F hold 7632 && wait_for "$tmp/hold1" listening &&
	run_bg full $E client 10.83.3.2 7632 8M &&
	# Half-closed by st-e (FIN_WAIT_2), CLOSE_WAIT in st-f.
	run_bg hold2 $F hold 7633 && wait_for "$tmp/hold2" listening &&
	run_bg half $E client 10.83.3.2 7633 1K &&
	# A listener that never accepts, backlog 2: a full accept queue,
	# and SYN_RECV entries whose final ACKs found it full.
	run_bg backlog $F backlog 7634 2 && wait_for "$tmp/backlog" listening &&
	run_bg fill $E storm 10.83.3.2 7634 4 60 1 &&
	# SYN_RECV entries (SYN_SENT in st-e): a second link, on which
	# every segment from st-f is lost, to a listener of its own.
	ip link add st-e2 netns $E type veth peer name st-f2 netns $F &&
	ip -n $E addr add 10.83.6.1/24 dev st-e2 &&
	ip -n $F addr add 10.83.6.2/24 dev st-f2 &&
	ip -n $E link set st-e2 up && ip -n $F link set st-f2 up &&
	# (ARP's answers would be lost too: the neighbours are static.)
	ip -n $E neigh add 10.83.6.2 dev st-e2 nud permanent lladdr \
		"$(ip -n $F -br link show st-f2 | awk '{ print $3 }')" &&
	ip -n $F neigh add 10.83.6.1 dev st-f2 nud permanent lladdr \
		"$(ip -n $E -br link show st-e2 | awk '{ print $3 }')" &&
	tc -n $F qdisc add dev st-f2 root netem loss 100% &&
	run_bg backlog2 $F backlog 7635 8 && wait_for "$tmp/backlog2" listening &&
	run_bg synsent $E storm 10.83.6.2 7635 4 60 1 || return 1
	# One reading of each namespace is judged, the one printed: SYN_RECV
	# entries come and go (each lives a few SYN-ACK timeouts, until
	# st-e's next SYN), so a second reading may miss what the first saw.
	end=$(until_ms 10)
	while [ "$(now_ms)" -lt "$end" ]; do
		fs=$(states $F) es=$(states $E)
		has_in "$fs" 01 03 06 08 0A >/dev/null &&
			has_in "$es" 01 02 05 06 >/dev/null && break
		sleep 0.1
	done
	echo "# $E before:$es"
	echo "# $F before:$fs"
	has_in "$fs" 01 03 06 08 0A && has_in "$es" 01 02 05 06
}

# SIGKILL for every process in them; their orphans are left to XTCP.
# Every segment is lost from then on (netem, which takes them as sent,
# where a link down would fail them), so that no RST ends what the
# other side holds, and the orphans resend until they give up.
dying_kill() {
	local rc end
	tc -n $E qdisc add dev st-e root netem loss 100% &&
	tc -n $E qdisc add dev st-e2 root netem loss 100% &&
	tc -n $F qdisc add dev st-f root netem loss 100% || return 1
	# shellcheck disable=SC2046 # one pid a word
	kill -KILL $(ip netns pids $E)
	# Orphans: FIN_WAIT_1 with data behind a closed window, FIN_WAIT_2.
	rc=1
	end=$(until_ms 2)
	while [ "$(now_ms)" -lt "$end" ]; do
		has_states $E 04 05 >/dev/null && { rc=0; break; }
		sleep 0.05
	done
	echo "# $E after SIGKILL:$(states $E)"
	[ $rc -eq 0 ] || has_states $E 04 05
	# shellcheck disable=SC2046
	kill -KILL $(ip netns pids $F)
	sleep 0.5
	echo "# $F after SIGKILL:$(states $F)"
	return $rc
}

case1() {
	local rc=0 t0 refs0 refs end

	load_xtcp || return 1
	{ [ -d /sys/module/sch_netem ] || modprobe sch_netem; } || return 1
	slabs >"$tmp/slab0"
	refs0=$(cat /sys/module/xtcp/refcnt)
	t0=$(now_ms)
	transfers_start || rc=1
	storm_start || rc=1
	dying_setup
	result $? "$E and $F hold sockets in every state, under the load"
	dying_kill
	result $? "their processes killed, $E keeps FIN_WAIT orphans"
	echo "# XTCP's slab objects over the baseline: $(slab_excess "$tmp/slab0" 2>/dev/null)"
	ip netns del $E
	ip netns del $F
	storm_finish
	result $? "a connect storm at a listener that closes and opens: each client got its answer or a TCP errno"
	transfers_finish || rc=1
	echo "# eight transfers and the storm took $(($(now_ms) - t0)) ms"
	result $rc "eight byte-exact transfers of 1 MiB through 1% loss both ways, under the storm"

	# Everything ended: the namespaces go and, with them, what XTCP
	# held for them.
	ns_cleanup
	t0=$(now_ms)
	end=$(until_ms 20)
	while [ "$(now_ms)" -lt "$end" ]; do
		refs=$(cat /sys/module/xtcp/refcnt)
		[ "$refs" -le "$refs0" ] &&
			[ "$(slab_excess "$tmp/slab0" 2>/dev/null)" -eq 0 ] && break
		sleep 0.1
	done
	echo "# after $(($(now_ms) - t0)) ms: module refcnt $refs (was $refs0)"
	rc=0
	[ "$refs" -le "$refs0" ] || rc=1
	[ "$(slab_excess "$tmp/slab0")" -eq 0 ] || rc=1
	result $rc "nothing is left of the deleted namespaces: slab caches and module references at their baseline"
}
case1

# ---- 2. rmmod refused while a socket lives, then unload and load ----

# xtcp_diag.ko uses xtcp.ko: it goes first.
reload_round() {
	local r=$1 port=$((7640 + $1)) t0 end t1

	t1=$(now_ms)
	xtcp_sysctls $G msl_ms=100 fin_timeout=1 &&
		xtcp_sysctls $H msl_ms=100 fin_timeout=1 || return 1
	run_bg "rs$r" $H server $port
	wait_for "$tmp/rs$r" listening || return 1
	if rmmod xtcp 2>/dev/null || [ ! -d /sys/module/xtcp ]; then
		echo "# round $r: rmmod took the module from under an open listener"
		return 1
	fi
	run_bg "rc$r" $G client 10.83.4.2 $port 64K
	wait_bg "rc$r" && wait_bg "rs$r" || return 1
	t0=$(now_ms)
	end=$(until_ms 10)
	while [ "$(now_ms)" -lt "$end" ]; do
		rmmod xtcp 2>/dev/null && break
		sleep 0.1
	done
	if [ -d /sys/module/xtcp ]; then
		echo "# round $r: rmmod still refused $(($(now_ms) - t0)) ms after the last socket closed"
		return 1
	fi
	echo "# round $r: unloaded $(($(now_ms) - t0)) ms after the transfer"
	insmod "${XTCP_KO:-module/xtcp.ko}" || return 1
	echo "# round $r took $(($(now_ms) - t1)) ms"
}

case2() {
	local r

	load_xtcp && veth_pair $G st-g 10.83.4.1 $H st-h 10.83.4.2 || return 1
	[ ! -d /sys/module/xtcp_diag ] || rmmod xtcp_diag || return 1
	for r in 1 2 3 4 5; do
		reload_round "$r" || { load_xtcp; return 1; }
	done
	# And one more transfer on the module loaded last.
	run_bg rs6 $H server 7646 && wait_for "$tmp/rs6" listening &&
		run_bg rc6 $G client 10.83.4.2 7646 64K && wait_bg rc6 && wait_bg rs6
}
t0=$(now_ms)
case2
rc=$?
echo "# five rounds took $(($(now_ms) - t0)) ms"
result $rc "rmmod is refused while a listener is open, which then still works; it unloads once all closed; five rounds"
[ -d /sys/module/xtcp ]
result $? "the module is loaded at the end of the rounds"

# ---- 3. SYN-queue entries expiring as their final ACKs arrive ----

# st-a/st-b again: entries live 200 ms in st-b (synack_retries 0: the
# first SYN-ACK timeout ends them), the client's segments wait 50-350 ms.
RACE_S=5
case3() {
	local ok reset refused rc=0 t0

	ns_cleanup
	load_xtcp && veth_pair $A st-a 10.83.5.1 $B st-b 10.83.5.2 || return 1
	xtcp_sysctls $A msl_ms=500 &&
	xtcp_sysctls $B synack_retries=0 rto_initial_ms=200 syncookies=0 \
		msl_ms=500 || return 1
	tc -n $A qdisc add dev st-a root netem delay 200ms 150ms limit 10000 ||
		return 1
	t0=$(now_ms)
	# The listener outlives the clients' last connections.
	run_bg racesrv $B accepter 7650 $((RACE_S + 3 * scale)) 100
	wait_for "$tmp/racesrv" listening || return 1
	run_bg racecli $A storm 10.83.5.2 7650 32 $RACE_S 100
	wait_bg racecli || rc=1
	wait_bg racesrv || rc=1
	echo "# $RACE_S s of connections took $(($(now_ms) - t0)) ms"
	echo "# st-b's SYN-queue counters: ListenOverflows $(xtcp_stat $B ListenOverflows), ListenDrops $(xtcp_stat $B ListenDrops), NoSocket $(xtcp_stat $B NoSocket)"
	ok=$(sed -n 's/.* ok \([0-9]*\).*/\1/p' "$tmp/racecli")
	reset=$(sed -n 's/.* ECONNRESET \([0-9]*\).*/\1/p' "$tmp/racecli")
	refused=$(sed -n 's/.* ECONNREFUSED \([0-9]*\).*/\1/p' "$tmp/racecli")
	# Both sides of the edge were reached: some in time, some too late.
	[ "${ok:-0}" -gt 0 ] || { echo "# no client got its answer"; rc=1; }
	[ "${reset:-0}" -gt 0 ] || { echo "# no final ACK came too late"; rc=1; }
	# The listener was there all along: no SYN was refused.
	[ "${refused:-1}" -eq 0 ] || { echo "# a SYN was refused"; rc=1; }
	return $rc
}
case3
result $? "SYN-queue entries expiring as final ACKs arrive: each client got its answer or a TCP errno, each accepted socket its bytes"

# Nothing stays: no SYN_RECV entry, no socket, in either namespace
# (TIME_WAIT lasts 1 s here).
leftovers() {
	local ns left end

	end=$(until_ms 10)
	while [ "$(now_ms)" -lt "$end" ]; do
		left=0
		for ns in $A $B; do
			[ "$(ip netns exec "$ns" awk 'NR > 1' /proc/net/xtcp | wc -l)" -eq 0 ] ||
				left=1
		done
		[ $left -eq 0 ] && return 0
		sleep 0.1
	done
	for ns in $A $B; do
		echo "# $ns still holds:$(states "$ns")"
	done
	return 1
}
leftovers
result $? "no SYN-queue entry or socket is left after the race"

ns_cleanup
totals
