#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What a user sees of XTCP with the usual tools: its tracepoints through
# perf, and its segments through tcpdump and Wireshark's TCP analysis.
#
#   +--------------+         +--------------+         +--------------+
#   | xtcp-tr-c    |  veth   | xtcp-tr-r    |  veth   | xtcp-tr-s    |
#   | fa 10.84.1.1 |<------->| ra      rb   |<------->| fb 10.84.2.1 |
#   | tcpdump here |         | netem loss   |         |              |
#   +--------------+         +--------------+         +--------------+
#
# One lossy transfer (netem drops 2% of the router's packets toward the
# server: data segments, never ACKs) runs under `perf record -e 'xtcp:*'
# -a`, with tcpdump on the client's veth, where every segment passes
# before the router may drop it; then a connection closed with SO_LINGER
# 0 and a connect() to a port nobody listens on.  The perf data must
# show each connection's states in order, the resends that RetransSegs
# counts, one to one, the recoveries that Recoveries counts, per-ACK
# probes with a sane window and the RSTs that OutRsts counts; the capture
# must decode as TCP (tshark -d ip.proto==253,tcp) with no malformed
# packet and show the resends as TCP's retransmissions.
#
# perf is Debian's linux-perf (/usr/bin/perf, 6.1's, which reads either
# kernel's tracepoints); it finds the events through tracefs, which this
# test mounts at /sys/kernel/tracing if the guest has not.  (A perf
# record in the guest takes 12-20 s to start otherwise: see below.)  Client and
# server are xtcp_xfer.  The client cuts its GSO skbs into segments
# (tx-sctp-segmentation off) so that the capture holds what the wire does.
set -u

xfer=${XTCP_TESTS:-build/selftests}/xtcp_xfer
C=xtcp-tr-c
R=xtcp-tr-r
S=xtcp-tr-s
NAMESPACES="$C $R $S"
CADDR=10.84.1.1
SADDR=10.84.2.1
PORT=7400
BYTES=4M
LOSS=2%
. "$(dirname "$0")/lib.sh"

tmp=$(mktemp -d)
cleanup() {
	[ -z "${dump_pid-}" ] || kill "$dump_pid" 2>/dev/null
	ns_cleanup
	rm -rf "$tmp"
}
trap cleanup EXIT

setup() {
	ns_cleanup
	load_xtcp &&
	{ [ -d /sys/module/sch_netem ] || modprobe sch_netem; } &&
	router_ns $C $R $S 10.84 &&
	ip netns exec $C ethtool -K fa tx-sctp-segmentation off >/dev/null &&
	xtcp_sysctls $C rto_initial_ms=200 msl_ms=300 &&
	xtcp_sysctls $S rto_initial_ms=200 msl_ms=300 &&
	tc -n $R qdisc add dev rb root netem loss $LOSS &&
	{ mountpoint -q /sys/kernel/tracing ||
	  mount -t tracefs nodev /sys/kernel/tracing; } &&
	[ -d /sys/kernel/tracing/events/xtcp ]
}

# counters NAME...: "ns:name value" lines for client and server.
counters() {
	local ns name

	for ns in $C $S; do
		for name in "$@"; do
			echo "$ns:$name $(xtcp_stat "$ns" "$name")"
		done
	done
}

# delta NAME: the change in NAME, client and server summed, from
# $tmp/before to $tmp/after.
delta() {
	# shellcheck disable=SC2016 # awk's $1, not the shell's
	awk -v k="$1" '{ split($1, a, ":") } a[2] == k {
		if (FILENAME ~ /before/) d -= $2; else d += $2 } END { print d + 0 }' \
		"$tmp/before" "$tmp/after"
}

# until_closed: waits until neither end holds a connection but in
# TIME_WAIT (state 06 in /proc/net/xtcp), so that every resend and state
# change of the workload falls inside the recording.
until_closed() {
	local ns busy

	for _ in $(seq 200); do
		busy=0
		for ns in $C $S; do
			# shellcheck disable=SC2016 # awk's $4
			ip netns exec "$ns" awk 'NR > 1 && $4 != "06" { f = 1 }
				END { exit !f }' /proc/net/xtcp && busy=1
		done
		[ $busy -eq 0 ] && return 0
		sleep 0.05
	done
	return 1
}

# workload: what perf records.  The lossy transfer, then the netem gone,
# an abort and a refused connect(); each step's outcome in $tmp/steps.
workload() {
	local spid

	ip netns exec $S timeout 60 "$xfer" server $PORT >"$tmp/server" 2>&1 &
	spid=$!
	for _ in $(seq 100); do grep -q listening "$tmp/server" && break; sleep 0.05; done
	t=$(date +%s%N)
	timeout 60 ip netns exec $C "$xfer" client $SADDR $PORT $BYTES \
		>"$tmp/client" 2>&1
	echo "transfer $?" >>"$tmp/steps"
	echo "the transfer: $((($(date +%s%N) - t) / 1000000)) ms" >>"$tmp/client"
	wait $spid
	echo "server $?" >>"$tmp/steps"
	until_closed
	echo "closed $?" >>"$tmp/steps"

	tc -n $R qdisc del dev rb root
	ip netns exec $S "$xfer" hold $((PORT + 1)) >"$tmp/hold" 2>&1 &
	spid=$!
	for _ in $(seq 100); do grep -q listening "$tmp/hold" && break; sleep 0.05; done
	ip netns exec $C "$xfer" abort $SADDR $((PORT + 1)) >/dev/null 2>&1
	echo "abort $?" >>"$tmp/steps"
	sleep 0.2
	kill $spid
	wait $spid 2>/dev/null

	! ip netns exec $C "$xfer" client $SADDR $((PORT + 2)) 1 >"$tmp/refused" 2>&1
	echo "refused $?" >>"$tmp/steps"
	until_closed
}

# step NAME: 0 when the workload's step NAME went as it should.
step() {
	grep -qx "$1 0" "$tmp/steps"
}

# transitions MATCH: the states of the socket whose state_change lines
# hold MATCH (its four-tuple), in order: "CLOSE->SYN_SENT ... ".
transitions() {
	# shellcheck disable=SC2016 # awk's fields
	grep "xtcp:state_change: $1" "$tmp/script" | awk '{
		for (i = 1; i <= NF; i++) if ($i ~ /->/) printf "%s ", $i }'
}

# field NAME EVENT: NAME=value of every EVENT line, the values only.
field() {
	grep "xtcp:$2:" "$tmp/script" | grep -o " $1=[^ ]*" | cut -d= -f2
}

echo "TAP version 13"
echo "1..11"
for prog in "$xfer" perf tcpdump tshark; do
	command -v "$prog" >/dev/null ||
		{ echo "Bail out! $prog not found (scripts/deps)"; exit 1; }
done

setup
result $? "three namespaces, netem on the router, tracefs with events/xtcp"

counters RetransSegs Recoveries OutRsts >"$tmp/before"
ip netns exec $C tcpdump -i fa -n -U -B 8192 -w "$tmp/capture" \
	"ip proto 253" 2>"$tmp/tcpdump" &
dump_pid=$!
for _ in $(seq 100); do grep -q listening "$tmp/tcpdump" && break; sleep 0.05; done
export -f workload until_closed
export C R S SADDR PORT BYTES xfer tmp
t0=$(date +%s%N)
# perf record looks through /lib/modules/VER for the modules' paths: 15 s
# over the guest's 9p.  Tracepoints need none of them, so perf runs in a
# mount namespace of its own where that folder is empty.
# shellcheck disable=SC2016 # the inner shell's $(uname -r) and $@
unshare -m bash -c 'mount -t tmpfs tmpfs "/lib/modules/$(uname -r)"; exec "$@"' _ \
	perf record -q -e 'xtcp:*' -a -m 1024 -o "$tmp/perf.data" -- \
	bash -c workload 2>"$tmp/perf.err"
echo "# perf record: $((($(date +%s%N) - t0) / 1000000)) ms"
counters RetransSegs Recoveries OutRsts >"$tmp/after"
kill -INT $dump_pid
wait $dump_pid
dump_pid=
sed 's/^/# tcpdump: /' "$tmp/tcpdump"
sed 's/^/# /' "$tmp/client" "$tmp/steps"
t0=$(date +%s%N)
perf script -i "$tmp/perf.data" >"$tmp/script" 2>"$tmp/perf.err"
echo "# perf script: $((($(date +%s%N) - t0) / 1000000)) ms"
sed 's/^/# perf: /' "$tmp/perf.err"
for ev in state_change retransmit_skb retransmit_synack send_reset \
	  receive_reset cong_state probe; do
	echo "# xtcp:$ev: $(grep -c "xtcp:$ev:" "$tmp/script") events"
done

step transfer && step server && step closed
result $? "$BYTES arrive byte-exact through $LOSS loss under perf and tcpdump"

# Each socket's states, in order.  The client closes first (TIME_WAIT),
# the server's child was born ESTABLISHED at the final ACK (its SYN_RECV
# was a SYN-queue entry, not a socket), its listener ends with the server.
client=$(transitions "src=$CADDR:[0-9]* dst=$SADDR:$PORT ")
server=$(transitions "src=$SADDR:$PORT dst=$CADDR:")
listener=$(transitions "src=0.0.0.0:$PORT ")
echo "# client: $client"
echo "# server: $server"
echo "# listener: $listener"
[ "$client" = "CLOSE->SYN_SENT SYN_SENT->ESTABLISHED ESTABLISHED->FIN_WAIT1 FIN_WAIT1->FIN_WAIT2 FIN_WAIT2->TIME_WAIT TIME_WAIT->CLOSE " ]
result $? "xtcp:state_change: the client SYN_SENT->ESTABLISHED->FIN_WAIT1->FIN_WAIT2->TIME_WAIT->CLOSE"
[ "$server" = "CLOSE->ESTABLISHED ESTABLISHED->CLOSE_WAIT CLOSE_WAIT->LAST_ACK LAST_ACK->CLOSE " ] &&
	[ "$listener" = "CLOSE->LISTEN LISTEN->CLOSE " ]
result $? "xtcp:state_change: the server ESTABLISHED->CLOSE_WAIT->LAST_ACK->CLOSE, its listener LISTEN->CLOSE"

# Every resent segment, and only those: RetransSegs counts a GSO skb's
# segments (segs=) and a SYN-queue entry's SYN-ACKs.
resent=$(($(field segs retransmit_skb | awk '{ n += $1 } END { print n + 0 }') +
	  $(grep -c "xtcp:retransmit_synack:" "$tmp/script")))
retrans=$(delta RetransSegs)
echo "# resent segments in xtcp:retransmit_skb/synack: $resent, RetransSegs +$retrans"
[ "$resent" -gt 0 ] && [ "$resent" -eq "$retrans" ]
result $? "xtcp:retransmit_skb: as many resent segments as RetransSegs counted, and some"

recoveries=$(grep -c "xtcp:cong_state:.* Open->Recovery " "$tmp/script")
echo "# Open->Recovery: $recoveries, Recoveries +$(delta Recoveries)"
[ "$recoveries" -eq "$(delta Recoveries)" ] &&
	grep -q "xtcp:cong_state:.* Recovery->Open " "$tmp/script"
result $? "xtcp:cong_state: one Open->Recovery per recovery counted, and back to Open"

# The sender's probes: cwnd from 10 (the initial window) up, never 0.
cwnds=$(grep "xtcp:probe:" "$tmp/script" | grep " src=$CADDR:" |
	grep -o " snd_cwnd=[0-9]*" | cut -d= -f2 | sort -n)
echo "# client's xtcp:probe: $(echo "$cwnds" | grep -c .) events, snd_cwnd $(echo "$cwnds" | head -1)..$(echo "$cwnds" | tail -1)"
[ "$(echo "$cwnds" | grep -c .)" -gt 100 ] &&
	[ "$(echo "$cwnds" | head -1)" -ge 1 ] &&
	[ "$(echo "$cwnds" | tail -1)" -ge 10 ] &&
	[ "$(echo "$cwnds" | tail -1)" -lt 100000 ] &&
	grep "xtcp:probe:" "$tmp/script" | grep " src=$CADDR:" |
	grep -q " srtt=[1-9]"
result $? "xtcp:probe: per ACK, with a window of 1 to some segments and an RTT"

# SO_LINGER 0: the client's RST from ESTABLISHED, taken by the server's
# child in ESTABLISHED; a connect() to a closed port: the server's
# namespace answers with no socket (NONE), the client takes it in
# SYN_SENT.  Each RST sent is one OutRsts.
step abort && step refused &&
	grep -q "xtcp:send_reset: src=$CADDR:[0-9]* dst=$SADDR:$((PORT + 1)) .*state=ESTABLISHED" "$tmp/script" &&
	grep -q "xtcp:receive_reset: src=$SADDR:$((PORT + 1)) dst=$CADDR:[0-9]* state=ESTABLISHED" "$tmp/script"
result $? "close() with SO_LINGER 0: xtcp:send_reset and xtcp:receive_reset in ESTABLISHED"
grep -q "xtcp:send_reset: src=$SADDR:$((PORT + 2)) dst=$CADDR:[0-9]* .*state=NONE" "$tmp/script" &&
	grep -q "xtcp:receive_reset: src=$CADDR:[0-9]* dst=$SADDR:$((PORT + 2)) state=SYN_SENT" "$tmp/script" &&
	[ "$(grep -c "xtcp:send_reset:" "$tmp/script")" -eq "$(delta OutRsts)" ]
result $? "connect() to a closed port: a RST with no socket, taken in SYN_SENT; one xtcp:send_reset per OutRsts"

# The capture, as Wireshark's TCP: one pass (tshark takes seconds to
# start in the guest), a line per frame with its protocols, source, port
# and expert notes ("This frame is a (suspected) retransmission", ...).
t0=$(date +%s%N)
tshark -n -d ip.proto==253,tcp -r "$tmp/capture" -T fields -E separator=/t \
	-e frame.protocols -e ip.src -e tcp.dstport -e _ws.expert.message \
	>"$tmp/frames" 2>"$tmp/tshark.err"
echo "# tshark: $((($(date +%s%N) - t0) / 1000000)) ms"
sed 's/^/# tshark: /' "$tmp/tshark.err"
# count AWK-CONDITION: the frames that meet it ($1 protocols, $2 source,
# $3 destination port, $4 expert notes).
count() {
	awk -F '\t' "$1 { n++ } END { print n + 0 }" "$tmp/frames"
}
frames=$(count 1)
# shellcheck disable=SC2016 # awk's fields
notcp=$(count '$1 !~ /:tcp(:|$)/')
# shellcheck disable=SC2016
malformed=$(count '$1 ~ /malformed/ || $4 ~ /Malformed/')
echo "# capture: $frames frames, $notcp not TCP, $malformed malformed"
[ "$frames" -gt 1000 ] && [ "$notcp" -eq 0 ] && [ "$malformed" -eq 0 ]
result $? "tshark -d ip.proto==253,tcp decodes every captured segment as TCP, none malformed"

data="\$2 == \"$CADDR\" && \$3 == $PORT"
rtx=$(count "$data && \$4 ~ /retransmission/")
ooo=$(count "$data && \$4 ~ /out-of-order/")
lost=$(count "$data && \$4 ~ /not captured/")
sent=$(($(grep "^$C:RetransSegs " "$tmp/after" | cut -d' ' -f2) -
	$(grep "^$C:RetransSegs " "$tmp/before" | cut -d' ' -f2)))
echo "# client to server: $rtx retransmissions, $ooo out of order, $lost gaps in the capture; client RetransSegs +$sent"
[ "$rtx" -gt 0 ] && [ $((rtx + ooo)) -ge $((sent * 3 / 4)) ] &&
	[ $((rtx + ooo)) -le $((sent * 5 / 4 + 2)) ]
result $? "Wireshark's TCP analysis flags the client's resends as retransmissions, about as many as RetransSegs"

totals
