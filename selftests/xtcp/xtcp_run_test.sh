#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tools/xtcp-run: unmodified programs from Debian's packages over XTCP,
# each next to the same program over Linux TCP.  iperf3 (1 stream; 4 streams
# reversed), sockperf (ping-pong, throughput), curl fetching 10 MiB from
# nginx (sendfile on) and from python3's http.server, and nc both ways;
# the bytes that crossed are checked by their sha256.  A run counts as
# XTCP's when the namespaces' XTCP counters saw every connection it opened
# and Linux TCP's saw none (and the other way round for TCP's run).  Then
# what xtcp-run does without XTCP, and with IPv6 sockets.
#
#   +-------------------+            +-------------------+
#   | ns xtcp-run-c     |    veth    | ns xtcp-run-s     |
#   | xr-c 10.81.0.1    |<---------->| xr-s 10.81.0.2    |
#   | clients           |            | servers           |
#   +-------------------+            +-------------------+
#
# Every step is bounded in time; the last line is a kselftest Totals line.
set -u

C=xtcp-run-c
S=xtcp-run-s
SADDR=10.81.0.2
NAMESPACES="$C $S"
xrun=$(cd "$(dirname "$0")/../../tools" && pwd)/xtcp-run
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
unset XTCP_RUN_V4ONLY XTCP_RUN_VERBOSE	# the cases set what they need

dir=$(mktemp -d)
srv=""
cleanup() {
	stop_server
	ns_cleanup
	rm -rf "$dir"
}
trap cleanup EXIT

# ---- what a run opened ----

# "X T": the connections opened (active and passive) in both namespaces
# by XTCP and by Linux TCP (/proc/net/snmp's Tcp: line, fields 6 and 7).
opens() {
	local ns a b x=0 t=0

	for ns in $C $S; do
		# shellcheck disable=SC2016 # awk's fields
		read -r a b < <(ip netns exec "$ns" awk '
			$1 == "ActiveOpens" || $1 == "PassiveOpens" { x += $2 }
			$1 == "Tcp:" && $2 ~ /^[0-9]/ { t = $6 + $7 }
			END { print x + 0, t + 0 }' /proc/net/xtcp_stat /proc/net/snmp)
		x=$((x + a)) t=$((t + b))
	done
	echo $x $t
}

# over PROTO NAME CMD...: runs CMD with RUN set to run a program over
# PROTO (xtcp: through xtcp-run; tcp: as it is); one TAP line, ok when CMD
# succeeded and every connection opened meanwhile was PROTO's.
over() {
	local proto=$1 name=$2 x0 t0 dx dt rc start=$SECONDS

	shift 2
	if [ "$proto" = xtcp ]; then RUN=("$xrun"); else RUN=(); fi
	read -r x0 t0 < <(opens)
	"$@"
	rc=$?
	stop_server
	read -r dx dt < <(opens)
	dx=$((dx - x0)) dt=$((dt - t0))
	echo "# $proto $name: opened $dx XTCP and $dt TCP connections, $((SECONDS - start)) s"
	if [ $rc -eq 0 ] && [ "$proto" = xtcp ]; then
		[ $dx -gt 0 ] && [ $dt -eq 0 ] || rc=1
	elif [ $rc -eq 0 ]; then
		[ $dt -gt 0 ] && [ $dx -eq 0 ] || rc=1
	fi
	result $rc "$name over $proto"
}

# both NAME CMD...: the case over XTCP, then over TCP.
both() {
	over xtcp "$@"
	over tcp "$@"
}

# ---- servers and clients ----

# listening NS PORT: a listener on PORT in NS, XTCP's or TCP's (v4 or v6;
# their /proc files differ by TCP's leading "sl" column).
listening() {
	# shellcheck disable=SC2016 # awk's fields
	ip netns exec "$1" awk -v p="$(printf ':%04X' "$2")" '
		{ i = $1 ~ /:$/ ? 2 : 1 }
		substr($i, length($i) - 4) == p && $(i + 2) == "0A" { f = 1 }
		END { exit !f }' /proc/net/xtcp /proc/net/tcp /proc/net/tcp6
}

# serve PORT CMD...: CMD in the server namespace, over $RUN, in the
# background (at most 30 s); returns once it listens on PORT.
serve() {
	local port=$1 i

	shift
	timeout 30 ip netns exec $S "${RUN[@]}" "$@" >"$dir/server.log" 2>&1 &
	srv=$!
	for i in $(seq 100); do
		listening $S "$port" && return 0
		kill -0 $srv 2>/dev/null || break
		sleep 0.05
	done
	echo "# server did not listen on $port after $i tries:"
	sed 's/^/#   /' "$dir/server.log"
	return 1
}

stop_server() {
	[ -n "$srv" ] || return 0
	kill "$srv" 2>/dev/null
	wait "$srv" 2>/dev/null
	srv=""
}

# client LIMIT CMD...: CMD in the client namespace, over $RUN.
client() {
	local limit=$1

	shift
	timeout "$limit" ip netns exec $C "${RUN[@]}" "$@"
}

# ---- the programs ----

# iperf3 for 1 s with ARGS; the receiver's summary line must show bytes.
iperf3_case() {
	local port=$((5200 + n)) out=$dir/iperf3.out

	serve $port iperf3 -s -B $SADDR -p $port -1 || return 1
	client 30 iperf3 -c $SADDR -4 -p $port -t 1 "$@" >"$out" 2>&1
	local rc=$?
	grep -E '(SUM|\[ *[0-9]+\]).*receiver' "$out" | tail -1 | sed 's/^/# /'
	[ $rc -eq 0 ] || { sed 's/^/#   /' "$out"; return 1; }
	grep -qE ' [1-9][0-9.]* [KMG]?Bytes .*receiver' "$out"
}

# sockperf MODE for 1 s with ARGS; its summary line must be there.
sockperf_case() {
	local mode=$1 what=$2 port=$((5200 + n)) out=$dir/sockperf.out

	shift 2
	serve $port sockperf server --tcp -i $SADDR -p $port || return 1
	client 30 sockperf "$mode" --tcp -i $SADDR -p $port -t 1 "$@" \
		>"$out" 2>&1
	local rc=$?
	grep "Summary: $what" "$out" | sed 's/^/# /'
	[ $rc -eq 0 ] || { sed 's/^/#   /' "$out"; return 1; }
	grep -q "Summary: $what" "$out"
}

# curl fetches www/file from a server on PORT: the same sha256.
fetch() {
	local port=$1

	rm -f "$dir/got"
	client 60 curl -sS -o "$dir/got" "http://$SADDR:$port/file" &&
		same "$dir/www/file" "$dir/got"
}

same() {
	[ "$(sha256sum <"$1")" = "$(sha256sum <"$2")" ] && return 0
	echo "# $2 differs from $1 ($(stat -c %s "$2" 2>/dev/null) bytes)"
	return 1
}

# nginx_serve LISTEN PORT: nginx serving www/ on LISTEN (its address and
# port), in the foreground of one process, sendfile() on.
nginx_serve() {
	local conf=$dir/nginx.conf

	cat >"$conf" <<-EOF
	daemon off;
	master_process off;
	worker_processes 1;
	pid $dir/nginx.pid;
	error_log $dir/nginx-error.log;
	events { worker_connections 64; }
	http {
		access_log $dir/nginx-access.log;
		client_body_temp_path $dir/body;
		proxy_temp_path $dir/proxy;
		fastcgi_temp_path $dir/fastcgi;
		uwsgi_temp_path $dir/uwsgi;
		scgi_temp_path $dir/scgi;
		sendfile on;
		server { listen $1; root $dir/www; }
	}
	EOF
	rm -f "$dir/nginx-access.log"
	serve "$2" nginx -e "$dir/nginx-error.log" -p "$dir" -c "$conf" ||
		{ sed 's/^/#   /' "$dir/nginx-error.log"; return 1; }
}

nginx_case() {
	local port=$((8000 + n))

	nginx_serve $SADDR:$port $port && fetch $port
}

python_case() {
	local port=$((8000 + n))

	serve $port /usr/bin/python3 -m http.server --bind $SADDR \
		--directory "$dir/www" $port && fetch $port
}

# nc, client to server: the client sends the file and shuts down.
nc_up_case() {
	local port=$((9000 + n))

	rm -f "$dir/got"
	timeout 30 ip netns exec $S "${RUN[@]}" nc -l $SADDR $port \
		</dev/null >"$dir/got" 2>"$dir/server.log" &
	srv=$!
	for _ in $(seq 100); do listening $S $port && break; sleep 0.05; done
	client 30 nc -N $SADDR $port <"$dir/www/file" &&
		wait $srv && srv="" && same "$dir/www/file" "$dir/got"
}

# nc, server to client: the server sends the file and shuts down.
nc_down_case() {
	local port=$((9000 + n))

	rm -f "$dir/got"
	timeout 30 ip netns exec $S "${RUN[@]}" nc -l -N $SADDR $port \
		<"$dir/www/file" >/dev/null 2>"$dir/server.log" &
	srv=$!
	for _ in $(seq 100); do listening $S $port && break; sleep 0.05; done
	client 30 nc $SADDR $port </dev/null >"$dir/got" &&
		same "$dir/www/file" "$dir/got"
}

# ---- without XTCP, and IPv6 ----

# xtcp-run on a system where socket(AF_XTCP) fails with EAFNOSUPPORT, as
# without xtcp.ko: the family parameter the library reads is made to name
# a family no kernel registers (25, AF_WANPIPE's old number).  curl must
# still fetch over TCP, with one warning line.
no_xtcp_case() {
	local port=$((8000 + n)) fake=$dir/family

	echo 25 >"$fake"
	nginx_serve $SADDR:$port $port || return 1
	rm -f "$dir/got"
	# shellcheck disable=SC2016 # the inner shell's $1 and $@
	timeout 60 ip netns exec $C unshare -m sh -c \
		'mount --bind "$1" /sys/module/xtcp/parameters/family &&
		 shift && exec "$@"' sh "$fake" \
		"$xrun" curl -sS -o "$dir/got" "http://$SADDR:$port/file" \
		2>"$dir/stderr" || return 1
	sed 's/^/# stderr: /' "$dir/stderr"
	same "$dir/www/file" "$dir/got" &&
		[ "$(grep -c 'xtcp-run: cannot make XTCP sockets' "$dir/stderr")" = 1 ] &&
		[ "$(wc -l <"$dir/stderr")" = 1 ]
}

# By default an IPv6 TCP socket stays TCP, and says so once: nginx on
# [::] (a dual-stack AF_INET6 listener) through xtcp-run.
v6_stays_tcp_case() {
	local port=$((8000 + n))

	RUN=("$xrun")
	nginx_serve "[::]:$port ipv6only=off" $port || return 1
	RUN=()
	fetch $port || return 1
	grep 'stays TCP' "$dir/server.log" | sed 's/^/# stderr: /'
	[ "$(grep -c 'xtcp-run: IPv6 TCP stays TCP: XTCP has no IPv6' "$dir/server.log")" = 1 ]
}

# XTCP_RUN_V4ONLY=1: the same nginx on [::] is an XTCP listener, curl
# reaches it through a v4-mapped address ([::ffff:10.81.0.2]), and nginx
# logs its peer as ::ffff:10.81.0.1 (accept4() translated back).
v4only_case() {
	local port=$((8000 + n))

	XTCP_RUN_V4ONLY=1 nginx_serve "[::]:$port ipv6only=off" $port ||
		return 1
	rm -f "$dir/got"
	XTCP_RUN_V4ONLY=1 client 60 curl -sS -o "$dir/got" \
		"http://[::ffff:$SADDR]:$port/file" &&
		same "$dir/www/file" "$dir/got" || return 1
	sed 's/^/# access log: /' "$dir/nginx-access.log"
	grep -q '^::ffff:10\.81\.0\.1 .*"GET /file HTTP/1.1" 200' \
		"$dir/nginx-access.log"
}

# XTCP_RUN_V4ONLY=1 and a real IPv6 address: EAFNOSUPPORT, said once.
v4only_v6_addr_case() {
	local out=$dir/v6.out

	XTCP_RUN_V4ONLY=1 timeout 30 ip netns exec $C "$xrun" /usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET6)
try:
	s.connect(("2001:db8::1", 80))
except OSError as e:
	print(e.strerror)' >"$out" 2>&1
	sed 's/^/# /' "$out"
	grep -qx 'Address family not supported by protocol' "$out" &&
		grep -q '^xtcp-run: 2001:db8::1 is not an IPv4 address' "$out"
}

echo "TAP version 13"
echo "1..21"
for prog in iperf3 sockperf nginx curl nc unshare /usr/bin/python3; do
	command -v $prog >/dev/null || { echo "Bail out! $prog is missing (scripts/deps)"; exit 1; }
done

ns_cleanup
load_xtcp && veth_pair $C xr-c 10.81.0.1 $S xr-s $SADDR &&
	mkdir "$dir/www" && head -c 10M /dev/urandom >"$dir/www/file"
result $? "veth between two namespaces, xtcp loaded, a 10 MiB file to serve"

both "iperf3 one stream" iperf3_case -P 1
both "iperf3 four streams, reverse" iperf3_case -P 4 -R
both "sockperf ping-pong" sockperf_case ping-pong "Latency is"
both "sockperf throughput" sockperf_case throughput "Message Rate is" -m 1400
both "curl gets 10 MiB from nginx (sendfile on) byte-exact" nginx_case
both "curl gets 10 MiB from python3 http.server byte-exact" python_case
both "nc sends 10 MiB client to server byte-exact" nc_up_case
both "nc sends 10 MiB server to client byte-exact" nc_down_case

RUN=()
over tcp "without XTCP, curl gets TCP and one warning line" no_xtcp_case
over tcp "an IPv6 nginx stays TCP and says so once" v6_stays_tcp_case
over xtcp "XTCP_RUN_V4ONLY: nginx on [::] and curl to ::ffff:$SADDR" v4only_case
RUN=()
v4only_v6_addr_case
result $? "XTCP_RUN_V4ONLY: a real IPv6 address fails with EAFNOSUPPORT"

echo "# xtcp_run_test: $SECONDS s"
totals
