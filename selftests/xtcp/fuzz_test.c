// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded fuzzer of malformed segments, sent by the scripted peer at a
 * listener and at four established connections.  Whatever arrives, XTCP
 * must not crash, warn, leak or stall, must count what it drops, and must
 * keep every connection it did not have to give up byte-exact.
 *
 * The targets: four connections (two accepted, two the module's own
 * connects, with different options; connection 3's reader is lazy, with
 * a small buffer, so its window closes and its out-of-order queue is
 * pruned); the listener (the fuzzer's own SYNs fill its SYN queue, then
 * cookies answer them; segments for those handshakes complete some, and
 * the children are taken and reset); connections closed a moment ago,
 * "ghosts" (orphans in FIN_WAIT_1 or LAST_ACK, FIN_WAIT_2 and TIME_WAIT
 * entries, or nothing); ports nobody has.  A connection that ends (an
 * exact RST, a FIN) is replaced, and one every 2048 segments is closed
 * and replaced.
 *
 * Reproducible: the seed comes from XTCP_FUZZ_SEED, or from the clock,
 * and is printed first; XTCP_FUZZ_SEGMENTS sets the count (100,000 by
 * default) and XTCP_FUZZ_SECONDS the time bound (120 s).  The same seed
 * makes the same choices against the same answers: the module's ISNs and
 * timers differ from run to run, so a replay is close, not identical.  A
 * failing seed becomes a regression case as seed_1_20000_segments is one:
 * a TEST_F calling fz_run() with that seed and count.
 *
 * The peer keeps track of each connection as the module sees it: rcv_nxt
 * exactly (right after each segment the reader takes every byte, or,
 * lazy, leaves them to SIOCINQ to count), snd_una and snd_nxt
 * (SIOCOUTQ, SIOCOUTQNSD), the window and the timestamp to echo (from
 * the module's segments), so that most fuzzed segments land in the
 * receive window with a plausible ACK and TSval.
 * Each byte of either stream is a function of its sequence number alone:
 * however the fuzzer cuts, repeats, overlaps or reorders the peer's data,
 * what the reader gets must be the stream, and what the module sends too.
 *
 * Each fuzzed segment has any of the 256 flag combinations (URG with an
 * urgent pointer, ECE, CWR), any data offset (0-15, past the end too), a
 * header cut short (0-19 bytes), broken option lists (length 0, 1 or past
 * the end, MSS or SACK-permitted or timestamps with a wrong length, window
 * shifts above 14, 0-5 SACK blocks with inverted or stray edges, EOL then
 * garbage, NOP runs, unknown kinds), a bad checksum, any payload length,
 * sequence numbers at and around rcv_nxt, the window's edges and the 2^32
 * wrap (connection 0's peer starts just below it), ACKs around snd_una
 * and snd_nxt.
 *
 * Checked after each segment:
 * - a reset follows only an exact RST (RFC 5961) the module had to take,
 *   and such a RST always resets; an end of stream follows only an
 *   acceptable FIN; either way the slot's connection is opened again;
 * - bytes reach the reader only from a segment that passed every check
 *   (well-formed, ACK, neither RST nor SYN, covering rcv_nxt), and they
 *   are the peer's stream;
 * - what the module sends is well-formed, acknowledges nothing it did not
 *   get, never resets or ends a live connection, and carries its stream.
 * Afterwards:
 * - each connection carries 4000 bytes each way, byte-exact;
 * - a new connection to the listener opens and carries data;
 * - InSegs counts every packet sent, InErrs exactly the malformed ones,
 *   InCsumErrors exactly those with a bad checksum and a sound header;
 * - every flag combination, data offset and short length went out;
 * - once everything is closed, XTCP's slab caches are back at their
 *   baseline and the module unloads (it is loaded again for what follows).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <linux/tcp.h>

#include "kselftest_harness.h"
#include "xtcp_util.h"
#include "peer.h"
#include "xtcp_conn.h"

#define LPORT		5000	/* the listener */
#define APORT		7000	/* the peer's ports for the module's connects */
#define CONN_RPORT	40000	/* the peer's ports for the accepted ones */
#define SYN_RPORT	20000	/* the fuzzer's own SYNs, 20000-27999 */
#define NEW_RPORT	60000	/* the new connection at the end */
#define STRAY_PORTS	1000	/* segments for nobody: ports 1-1000 */
#define NCONN		4
#define NREQ		32	/* SYN-ACKs to the fuzzer's SYNs remembered */
#define NGHOST		8	/* closed connections still fuzzed */
#define GHOST_SEGS	30000	/* how long a ghost is fuzzed, in segments */
#define LAZY_RCVBUF	4096	/* the lazy reader's SO_RCVBUF */
#define LAZY_EVERY	128	/* and how often it reads */
#define RETIRE_EVERY	2048	/* segments between graceful closes */
#define BACKLOG		8

#define DEFAULT_SEGMENTS 100000
#define MIN_SEGMENTS	100000	/* however the time bound cuts the run */
#define DEFAULT_SECONDS	120
#define VERIFY_BYTES	4000
#define APP_OUTQ	8192	/* the module's writer keeps this much queued */

#define F_URG		XTCP_FLAG_URG
#define F_ECE		XTCP_FLAG_ECE
#define F_CWR		XTCP_FLAG_CWR

#define ARRAY_LEN(a)	(sizeof(a) / sizeof((a)[0]))

/* What the module must do about a segment, by the checks of input.c. */
enum fz_bad {
	FZ_OK,
	FZ_SHORT,	/* shorter than a header */
	FZ_DOFF,	/* data offset under 5 or past the end */
	FZ_CSUM,	/* a sound header, a bad checksum */
	FZ_OPTS,	/* a broken option list */
};

/* A segment as the module's input checks see it. */
struct fz_view {
	int bad;		/* enum fz_bad */
	uint8_t flags;		/* all 8 bits */
	uint16_t sport, dport;
	uint32_t seq, ack;
	size_t len;		/* payload, SYN and FIN not counted */
	const uint8_t *data;
};

/* Things the module must never do, or the fuzzer itself got wrong. */
enum fz_anomaly {
	A_STREAM_IN,	/* the reader got bytes not of the peer's stream */
	A_STREAM_OUT,	/* the module sent bytes not of its stream */
	A_TOOK_BAD,	/* data taken from a segment it had to refuse */
	A_RESET,	/* a reset with no exact RST */
	A_RST_IGNORED,	/* an exact RST that did not reset */
	A_EOF,		/* an end of stream with no acceptable FIN */
	A_ERROR,	/* another error on a connection */
	A_BAD_OUT,	/* the module sent a malformed segment */
	A_ENDED,	/* the module sent RST or FIN on a live connection */
	A_ACK_AHEAD,	/* it acknowledged bytes it never got */
	A_NOT_STREAM,	/* the fuzzer's bug: a sound segment off the stream */
	A_SEND,		/* writing to the TUN device failed */
	A_NR
};

static const char *const fz_anomaly_name[A_NR] = {
	[A_STREAM_IN] = "the reader got bytes not of the peer's stream",
	[A_STREAM_OUT] = "the module sent bytes not of its stream",
	[A_TOOK_BAD] = "data taken from a segment that had to be refused",
	[A_RESET] = "a connection reset without an exact RST",
	[A_RST_IGNORED] = "an exact RST did not reset the connection",
	[A_EOF] = "an end of stream without an acceptable FIN",
	[A_ERROR] = "an unexpected error on a connection",
	[A_BAD_OUT] = "the module sent a malformed segment",
	[A_ENDED] = "the module sent RST or FIN on a live connection",
	[A_ACK_AHEAD] = "the module acknowledged bytes it never got",
	[A_NOT_STREAM] = "the fuzzer sent a sound segment off the stream",
	[A_SEND] = "writing to the TUN device failed",
};

/* A connection under fire (or a ghost), as the module sees it. */
struct fz_conn {
	int slot;
	int fd;
	int live;
	int active;		/* the module connected; else it accepted */
	int offer_ts, offer_sack, pshift;	/* the peer's SYN options */
	int ts, sack;		/* what the handshake agreed */
	int lazy;		/* reads only now and then, a small buffer */
	int gen;		/* times opened */
	uint16_t lport, rport;
	uint32_t isn, pisn;	/* the module's and the peer's */
	uint8_t kshift;		/* the module's window shift */
	uint64_t key_in, key_out;	/* the peer's stream, the module's */
	uint32_t rcv_read;	/* the next byte the reader gets */
	uint32_t rcv_nxt;	/* the module's: rcv_read + SIOCINQ */
	uint32_t write_seq;	/* the module's: isn + 1 + bytes written */
	uint32_t snd_una, snd_nxt;
	uint32_t kwnd;		/* the module's window, as last advertised */
	uint32_t tsval;		/* the peer's clock */
	uint32_t ts_echo;	/* the module's last TSval */
	uint32_t peer_rcv;	/* the module's stream the peer has in order */
	uint32_t seq_hi;	/* the furthest sound ACK the module may take */
	int synced;		/* rcv_nxt read since the last segment */
	long resets, fins, segs;
	long until;		/* a ghost: fuzzed until this segment */
};

struct fz {
	struct __test_metadata *md;	/* for TH_LOG */
	struct xpeer p;
	uint64_t rng;
	uint32_t seed;
	int lfd;
	struct fz_conn c[NCONN + 1];	/* and the last check's */
	struct fz_conn g[NGHOST];	/* ghosts: closed, still fuzzed */
	int ghost_next;
	long ghosts, to_ghost;
	struct fz_closed { uint16_t lport, rport; uint32_t rcv_nxt; } *closed;
	long nclosed, closed_cap;	/* every connection closed */
	struct { uint16_t rport; uint32_t isn, irs; } req[NREQ];
	int nreq, req_next;
	int opened;		/* connections opened, all slots */

	/* Coverage: cycled values so that a short run covers them too. */
	unsigned int flag_cycle, doff_cycle, short_cycle;
	uint8_t flags_seen[32];
	uint16_t doff_seen;
	uint32_t short_seen;

	long sent;		/* every packet written to the TUN device */
	long fuzzed, to_conn, to_listener, to_stray;
	long malformed, csum_bad, in_window, sound_in_window;
	long exact_rsts, children, bytes_in, bytes_out;
	long anom[A_NR];
	char last[320];		/* the last fuzzed segment, for the logs */

	long inerrs, incsum, insegs;	/* counters at the start */

	uint8_t data[8192];
	uint8_t rbuf[65536];
};

/* ---- small things ---- */

static int seq_before(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static int seq_after(uint32_t a, uint32_t b)
{
	return seq_before(b, a);
}

/* splitmix64: the fuzzer's every choice comes from here. */
static uint64_t fz_next(struct fz *f)
{
	f->rng += 0x9e3779b97f4a7c15ULL;
	return xtcp_mix64(f->rng);
}

static uint32_t rnd(struct fz *f, uint32_t n)
{
	return n ? fz_next(f) % n : 0;
}

static uint32_t fz32(struct fz *f)
{
	return fz_next(f);
}

static void fz_random_bytes(struct fz *f, uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = fz_next(f);
}

/* Byte @off of stream @key: its sequence number decides it, wrap or not. */
static void fz_fill(uint8_t *p, size_t n, uint64_t key, uint32_t off)
{
	uint64_t w = 0;
	size_t i;

	for (i = 0; i < n; i++, off++) {
		if (i == 0 || !(off & 7))
			w = xtcp_mix64(key + (off >> 3));
		p[i] = w >> (8 * (off & 7));
	}
}

/* -1 when @p holds stream @key from @off on, else the first wrong byte. */
static long fz_check(const uint8_t *p, size_t n, uint64_t key, uint32_t off)
{
	uint8_t want[2048];
	size_t done = 0, m, i;

	while (done < n) {
		m = n - done < sizeof(want) ? n - done : sizeof(want);
		fz_fill(want, m, key, off + done);
		for (i = 0; i < m; i++)
			if (want[i] != p[done + i])
				return done + i;
		done += m;
	}
	return -1;
}

static void __attribute__((format(printf, 3, 4)))
fz_anomaly(struct fz *f, int kind, const char *fmt, ...)
{
	struct __test_metadata *_metadata = f->md;
	char msg[256];
	va_list ap;

	if (++f->anom[kind] > 3)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	TH_LOG("%s: %s", fz_anomaly_name[kind], msg);
	TH_LOG("  after segment %ld: %s", f->fuzzed, f->last);
}

/* ---- the module's view of a segment (input.c's checks, mirrored) ---- */

static int fz_opts_ok(const uint8_t *p, int len)
{
	while (len > 0) {
		uint8_t olen;

		if (p[0] == XTCPOPT_EOL)
			break;
		if (p[0] == XTCPOPT_NOP) {
			p++;
			len--;
			continue;
		}
		if (len < 2)
			return 0;
		olen = p[1];
		if (olen < 2 || olen > len)
			return 0;
		p += olen;
		len -= olen;
	}
	return 1;
}

/* The packet in the peer's txbuf, as the module must judge it. */
static void fz_view_tx(struct fz *f, struct fz_view *v)
{
	const uint8_t *ip = f->p.txbuf, *th = ip + 20;
	size_t len = get16(ip + 2) - 20, hlen;
	uint32_t saddr, daddr;

	memset(v, 0, sizeof(*v));
	if (len < XTCP_HDR_MIN_LEN) {
		v->bad = FZ_SHORT;
		if (len >= 4) {
			v->sport = get16(th);
			v->dport = get16(th + 2);
		}
		f->short_seen |= 1u << len;
		return;
	}
	v->sport = get16(th);
	v->dport = get16(th + 2);
	v->seq = get32(th + 4);
	v->ack = get32(th + 8);
	v->flags = th[13];
	f->flags_seen[v->flags / 8] |= 1 << (v->flags % 8);
	f->doff_seen |= 1 << (th[12] >> 4);
	hlen = (th[12] >> 4) * 4;
	memcpy(&saddr, ip + 12, 4);
	memcpy(&daddr, ip + 16, 4);
	if (hlen < XTCP_HDR_MIN_LEN || hlen > len)
		v->bad = FZ_DOFF;
	else if (xseg_csum(saddr, daddr, th, len))
		v->bad = FZ_CSUM;
	else if (!fz_opts_ok(th + XTCP_HDR_MIN_LEN, hlen - XTCP_HDR_MIN_LEN))
		v->bad = FZ_OPTS;
	if (v->bad)
		return;
	v->data = th + hlen;
	v->len = len - hlen;
}

static void fz_count(struct fz *f, const struct fz_view *v)
{
	f->sent++;
	if (v->bad)
		f->malformed++;
	if (v->bad == FZ_CSUM)
		f->csum_bad++;
}

static int fz_send(struct fz *f, const struct xseg *s, struct fz_view *v)
{
	int ret = xpeer_send(&f->p, s);

	if (ret) {
		fz_anomaly(f, A_SEND, "xpeer_send: %s", strerror(-ret));
		return ret;
	}
	fz_view_tx(f, v);
	fz_count(f, v);
	return 0;
}

static int fz_send_raw(struct fz *f, const uint8_t *seg, size_t len,
		       struct fz_view *v)
{
	int ret = xpeer_send_raw(&f->p, seg, len);

	if (ret) {
		fz_anomaly(f, A_SEND, "xpeer_send_raw: %s", strerror(-ret));
		return ret;
	}
	fz_view_tx(f, v);
	fz_count(f, v);
	return 0;
}

/* ---- what the module sends ---- */

static struct fz_conn *fz_conn_of(struct fz *f, uint16_t lport,
				  uint16_t rport)
{
	int i;

	for (i = 0; i <= NCONN; i++)
		if (f->c[i].live && f->c[i].lport == lport &&
		    f->c[i].rport == rport)
			return &f->c[i];
	return NULL;
}

/* A segment of live connection @c, from the module. */
static void fz_conn_seen(struct fz *f, struct fz_conn *c,
			 const struct xseg *s)
{
	char line[256];
	uint32_t off;
	long bad;

	xseg_snprint(line, sizeof(line), s);
	if (s->flags & (F_RST | F_FIN))
		fz_anomaly(f, A_ENDED, "slot %d: %s", c->slot, line);
	if (s->has_ts) {
		c->ts_echo = s->tsval;
		/* What it echoes is ts_recent: our clock must not lag it. */
		if (c->ts && seq_after(s->tsecr, c->tsval))
			c->tsval = s->tsecr;
	}
	if (!(s->flags & F_SYN))
		c->kwnd = (uint32_t)s->win << c->kshift;
	if ((s->flags & F_ACK) && c->synced && seq_after(s->ack, c->rcv_nxt))
		fz_anomaly(f, A_ACK_AHEAD, "slot %d: rcv_nxt %u: %s", c->slot,
			   c->rcv_nxt, line);
	if (!s->len)
		return;
	if (seq_after(s->seq + s->len, c->write_seq)) {
		fz_anomaly(f, A_STREAM_OUT, "slot %d: past write_seq %u: %s",
			   c->slot, c->write_seq, line);
		return;
	}
	off = s->seq - (c->isn + 1);
	bad = fz_check(s->data, s->len, c->key_out, off);
	if (bad >= 0)
		fz_anomaly(f, A_STREAM_OUT, "slot %d: byte %ld of %s", c->slot,
			   bad, line);
	if (!seq_after(s->seq, c->peer_rcv) &&
	    seq_after(s->seq + s->len, c->peer_rcv))
		c->peer_rcv = s->seq + s->len;
}

/* A SYN-ACK to one of the fuzzer's SYNs: a target for what follows. */
static void fz_req_seen(struct fz *f, const struct xseg *s)
{
	int i;

	for (i = 0; i < f->nreq; i++)
		if (f->req[i].rport == s->dport)
			break;
	if (i == f->nreq) {
		i = f->req_next;
		f->req_next = (f->req_next + 1) % NREQ;
		if (f->nreq < NREQ)
			f->nreq++;
	}
	f->req[i].rport = s->dport;
	f->req[i].isn = s->seq;
	f->req[i].irs = s->ack - 1;
}

/*
 * Reads what the module sent, within @ms (0: what is there now), keeping
 * the books on each segment.  With @want, stops at the first segment from
 * @sport (0: any) to @dport whose flags under @mask are @val, copied to
 * @want: 1 then, 0 on timeout.
 */
static int fz_pump(struct fz *f, int ms, uint16_t sport, uint16_t dport,
		   uint8_t mask, uint8_t val, struct xseg *want)
{
	uint64_t end = xpeer_now_ns() + ms * MS;
	struct fz_conn *c;
	struct xseg s;
	int left, ret, n = 0;

	for (;;) {
		left = 0;
		if (!ms && ++n > 1024)
			return 0;	/* the rest next time */
		if (ms) {
			uint64_t now = xpeer_now_ns();

			if (now >= end)
				return 0;
			left = (end - now + MS - 1) / MS;
		}
		ret = xpeer_recv(&f->p, &s, left);
		if (ret <= 0)
			return 0;
		if (s.parse_err[0] || !s.csum_ok) {
			char line[256];

			xseg_snprint(line, sizeof(line), &s);
			fz_anomaly(f, A_BAD_OUT, "%s", line);
			continue;
		}
		c = fz_conn_of(f, s.sport, s.dport);
		if (c)
			fz_conn_seen(f, c, &s);
		else if (s.sport == LPORT && s.dport >= SYN_RPORT &&
			 s.dport < SYN_RPORT + 8000 &&
			 (s.flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK))
			fz_req_seen(f, &s);
		if (want && (!sport || s.sport == sport) && s.dport == dport &&
		    (s.flags & mask) == val) {
			*want = s;
			return 1;
		}
	}
}

/* ---- the module's sockets ---- */

/*
 * Where the module's rcv_nxt is, exactly: the reader reads everything
 * (@read) or, being lazy, leaves it queued, and SIOCINQ counts what it
 * left.  Read bytes are checked against the peer's stream.  Returns how
 * far rcv_nxt moved; *end is 0, -1 at the end of the stream, or an errno.
 */
static long fz_sync(struct fz *f, struct fz_conn *c, int read, int *end)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN | POLLRDHUP };
	uint32_t before = c->rcv_nxt;
	socklen_t len = sizeof(int);
	int inq = 0, err = 0;
	long bad;
	ssize_t n;

	*end = 0;
	while (read) {
		n = recv(c->fd, f->rbuf, sizeof(f->rbuf), MSG_DONTWAIT);
		if (n > 0) {
			bad = fz_check(f->rbuf, n, c->key_in,
				       c->rcv_read - (c->pisn + 1));
			if (bad >= 0)
				fz_anomaly(f, A_STREAM_IN,
					   "slot %d: byte %u of the stream",
					   c->slot, (uint32_t)(c->rcv_read -
					   (c->pisn + 1) + bad));
			c->rcv_read += n;
			f->bytes_in += n;
			continue;
		}
		if (n == 0)
			*end = -1;
		else if (errno == EINTR)
			continue;
		else if (errno != EAGAIN)
			*end = errno;
		break;
	}
	if (!read && poll(&pfd, 1, 0) == 1) {
		if (pfd.revents & POLLERR) {
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
			*end = err ? err : EIO;
		} else if (pfd.revents & POLLRDHUP) {
			*end = -1;
		}
	}
	/* A reset socket counts nothing: rcv_nxt stays where it was. */
	if (*end <= 0 && !ioctl(c->fd, SIOCINQ, &inq))
		c->rcv_nxt = c->rcv_read + inq;
	c->synced = 1;
	return c->rcv_nxt - before;
}

/* snd_una and snd_nxt, from the bytes not acknowledged and not sent. */
static void fz_refresh_snd(struct fz_conn *c)
{
	int outq = 0, nsd = 0;

	if (ioctl(c->fd, SIOCOUTQ, &outq) || ioctl(c->fd, SIOCOUTQNSD, &nsd))
		return;
	c->snd_una = c->write_seq - outq;
	c->snd_nxt = c->write_seq - nsd;
}

/* The module's writer: @n more bytes of its stream, as many as fit. */
static long fz_app_send(struct fz *f, struct fz_conn *c, size_t n)
{
	uint8_t buf[4096];
	ssize_t ret;

	if (n > sizeof(buf))
		n = sizeof(buf);
	fz_fill(buf, n, c->key_out, c->write_seq - (c->isn + 1));
	ret = send(c->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (ret < 0)
		return errno == EAGAIN ? 0 : -errno;
	c->write_seq += ret;
	f->bytes_out += ret;
	return ret;
}

static void fz_abort(int fd)
{
	xc_close_abort(fd);
}

/* Takes whatever the listener has to give (children of the fuzzer's
 * handshakes, cookies' included) and resets it; @rport's child, when
 * asked for, is kept and returned instead.
 */
static int fz_accept_all(struct fz *f, uint16_t rport)
{
	struct sockaddr_in sin;
	socklen_t len;
	int fd, found = -1, on = 1;

	for (;;) {
		len = sizeof(sin);
		fd = accept4(f->lfd, (struct sockaddr *)&sin, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return found;
		if (rport && ntohs(sin.sin_port) == rport && found < 0) {
			/* As the client's (fz_open_active()): urgent bytes
			 * stay in the stream the reader checks.
			 */
			setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &on,
				   sizeof(on));
			found = fd;
			continue;
		}
		f->children++;
		fz_abort(fd);
	}
}

/* ---- opening the four connections ---- */

static void fz_conn_init(struct fz *f, struct fz_conn *c)
{
	c->gen++;
	f->opened++;
	c->key_in = xtcp_mix64(((uint64_t)f->seed << 20) ^ (c->slot << 12) ^
			       (c->gen << 1));
	c->key_out = xtcp_mix64(((uint64_t)f->seed << 20) ^ (c->slot << 12) ^
				(c->gen << 1) ^ 1);
	/* Connection 0's peer starts just below the wrap. */
	c->pisn = c->slot == 0 ? 0u - 1 - rnd(f, 20000) : fz32(f);
	c->tsval = fz32(f) >> 2;
}

/* The connection's sequence space, from both ISNs. */
static void fz_conn_start(struct fz_conn *c, const struct xseg *kseg)
{
	c->rcv_nxt = c->pisn + 1;
	c->rcv_read = c->pisn + 1;
	c->write_seq = c->isn + 1;
	c->snd_una = c->isn + 1;
	c->snd_nxt = c->isn + 1;
	c->peer_rcv = c->isn + 1;
	c->ts = c->offer_ts && kseg->has_ts;
	c->sack = c->offer_sack && kseg->has_sackperm;
	c->kshift = c->pshift >= 0 && kseg->has_wscale ? kseg->wscale : 0;
	c->kwnd = kseg->win;
	c->ts_echo = kseg->tsval;
	c->seq_hi = c->rcv_nxt;
	c->synced = 1;
}

/* The peer's SYN or SYN-ACK options for @c. */
static void fz_syn_opts(struct fz_conn *c, struct xseg *s)
{
	s->has_mss = 1;
	s->mss = 1460;
	s->has_sackperm = c->offer_sack;
	s->has_ts = c->offer_ts;
	s->tsval = c->tsval;
	s->tsecr = s->flags & F_ACK ? c->ts_echo : 0;
	s->has_wscale = c->pshift >= 0;
	s->wscale = c->pshift;
}

/* The peer opens, the listener accepts. */
static int fz_open_passive(struct fz *f, struct fz_conn *c, uint16_t rport)
{
	struct pollfd pfd = { .fd = f->lfd, .events = POLLIN };
	struct fz_view v;
	struct xseg s, k;
	uint64_t end;

	fz_accept_all(f, 0);		/* room on the accept queue */
	fz_conn_init(f, c);
	c->active = 0;
	c->lport = LPORT;
	c->rport = rport;
	s = xc_seg(rport, LPORT, c->pisn, 0, F_SYN);
	fz_syn_opts(c, &s);
	if (fz_send(f, &s, &v) ||
	    !fz_pump(f, 2000, LPORT, rport, F_SYN | F_ACK | F_RST,
		     F_SYN | F_ACK, &k))
		return -1;
	c->isn = k.seq;
	fz_conn_start(c, &k);
	s = xc_seg(rport, LPORT, c->pisn + 1, c->isn + 1, F_ACK);
	s.has_ts = c->ts;
	s.tsval = c->tsval;
	s.tsecr = c->ts_echo;
	if (fz_send(f, &s, &v))
		return -1;
	end = xpeer_now_ns() + 2000 * MS;
	c->fd = -1;
	while (c->fd < 0 && xpeer_now_ns() < end) {
		poll(&pfd, 1, 100);
		c->fd = fz_accept_all(f, rport);
	}
	if (c->fd < 0)
		return -1;
	c->live = 1;
	return 0;
}

/* The module connects, the peer answers. */
static int fz_open_active(struct fz *f, struct fz_conn *c, uint16_t rport)
{
	struct sockaddr_in to = xc_addr(XPEER_REMOTE_ADDR, rport);
	struct pollfd pfd;
	struct fz_view v;
	struct xseg s, k;
	socklen_t len = sizeof(int);
	int err = -1, rcvbuf = LAZY_RCVBUF, on = 1;

	fz_conn_init(f, c);
	c->active = 1;
	c->rport = rport;
	c->fd = socket(AF_XTCP, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	if (c->lazy && setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				  sizeof(rcvbuf)))
		return -1;
	/* URG sets a byte apart from the stream; inline, the reader checks
	 * the peer's whole stream, and SIOCINQ counts all of it.
	 */
	if (setsockopt(c->fd, SOL_SOCKET, SO_OOBINLINE, &on, sizeof(on)))
		return -1;
	if (connect(c->fd, (struct sockaddr *)&to, sizeof(to)) == 0 ||
	    errno != EINPROGRESS)
		return -1;
	if (!fz_pump(f, 2000, 0, rport, F_SYN | F_ACK, F_SYN, &k))
		return -1;
	c->lport = k.sport;
	c->isn = k.seq;
	fz_conn_start(c, &k);
	s = xc_seg(rport, c->lport, c->pisn, c->isn + 1, F_SYN | F_ACK);
	fz_syn_opts(c, &s);
	if (fz_send(f, &s, &v) ||
	    !fz_pump(f, 2000, c->lport, rport, F_SYN | F_ACK | F_RST, F_ACK,
		     &k))
		return -1;
	pfd.fd = c->fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, 2000) != 1 ||
	    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
		return -1;
	c->live = 1;
	return 0;
}

/*
 * Slot 0: accepted, every option, its peer's sequence space wrapping.
 * Slot 1: the module's connect, every option, a small window shift.
 * Slot 2: accepted, timestamps only.  Slot 3: connect, no options, and
 * a lazy reader with a small buffer: its window closes, its out-of-order
 * queue is pruned.
 */
static int fz_open(struct fz *f, struct fz_conn *c)
{
	static const struct { int active, ts, sack, pshift; } prof[NCONN] = {
		{ 0, 1, 1, 7 }, { 1, 1, 1, 2 }, { 0, 1, 0, -1 }, { 1, 0, 0, -1 },
	};
	const int i = c->slot;
	uint16_t rport;

	c->lazy = i == 3;
	c->offer_ts = prof[i].ts;
	c->offer_sack = prof[i].sack;
	c->pshift = prof[i].pshift;
	if (prof[i].active) {
		rport = APORT + 100 * i + c->gen % 100;
		return fz_open_active(f, c, rport);
	}
	rport = CONN_RPORT + 1000 * i + c->gen % 1000;
	return fz_open_passive(f, c, rport);
}

/*
 * The slot's connection goes, for a new one: aborted, or closed
 * (@graceful: a FIN, or a RST for unread data), when it leaves an orphan
 * in FIN_WAIT_1 or LAST_ACK, then perhaps a FIN_WAIT_2 or TIME_WAIT
 * entry.  Its four-tuple stays a target for a while, a ghost.
 */
static void fz_reopen(struct fz *f, struct fz_conn *c, int graceful)
{
	struct __test_metadata *_metadata = f->md;
	struct fz_conn *g = &f->g[f->ghost_next];

	c->live = 0;
	fz_refresh_snd(c);
	if (graceful)
		close(c->fd);
	else
		fz_abort(c->fd);
	if (f->nclosed == f->closed_cap) {
		f->closed_cap = f->closed_cap ? 2 * f->closed_cap : 256;
		f->closed = realloc(f->closed,
				    f->closed_cap * sizeof(*f->closed));
		ASSERT_NE(NULL, f->closed);
	}
	f->closed[f->nclosed].lport = c->lport;
	f->closed[f->nclosed].rport = c->rport;
	f->closed[f->nclosed++].rcv_nxt = c->rcv_nxt;
	*g = *c;
	g->fd = -1;
	g->snd_nxt = c->write_seq + 1;		/* its FIN */
	g->until = f->fuzzed + GHOST_SEGS;
	f->ghost_next = (f->ghost_next + 1) % NGHOST;
	f->ghosts++;
	c->fd = -1;
	fz_pump(f, 0, 0, 0, 0, 0, NULL);
	ASSERT_EQ(0, fz_open(f, c))
		TH_LOG("slot %d: could not open connection %d", c->slot,
		       c->gen);
}

/* ---- the fuzzed segments ---- */

static uint8_t fz_flags(struct fz *f)
{
	static const uint8_t common[] = {
		F_ACK, F_ACK, F_ACK, F_ACK | F_PSH, F_ACK | F_PSH,
		F_ACK | F_PSH, F_FIN | F_ACK, F_RST, F_RST | F_ACK, F_SYN,
		F_SYN | F_ACK, F_URG | F_ACK, F_URG | F_ACK | F_PSH,
		F_ECE | F_ACK, F_CWR | F_ACK, F_ECE | F_CWR | F_ACK | F_PSH, 0,
	};
	uint32_t r = rnd(f, 100);

	/* 167 is odd: the cycle meets every byte in 256 steps. */
	if (r < 25)
		return (uint8_t)(f->flag_cycle++ * 167);
	if (r < 32)
		return fz_next(f);
	return common[rnd(f, ARRAY_LEN(common))];
}

static size_t fz_len(struct fz *f)
{
	uint32_t r = rnd(f, 20);

	if (r < 10)
		return 0;
	if (r < 16)
		return 1 + rnd(f, 64);
	if (r < 19)
		return 65 + rnd(f, 1384);
	return 1449 + rnd(f, 3000);
}

static uint16_t fz_win(struct fz *f)
{
	switch (rnd(f, 10)) {
	case 0:
		return 0;
	case 1:
		return rnd(f, 16);
	case 2:
		return fz_next(f);
	default:
		return 65535;
	}
}

/* In the window mostly, at rcv_nxt often; its edges, far off, the wrap. */
static uint32_t fz_seq(struct fz *f, struct fz_conn *c)
{
	uint32_t w = c->kwnd ? c->kwnd : 1;

	switch (rnd(f, 24)) {
	case 0 ... 9:
		return c->rcv_nxt;
	case 10 ... 17:
		return c->rcv_nxt + rnd(f, w);
	case 18:
		return c->rcv_nxt - 1 - rnd(f, 2000);
	case 19:
		return c->rcv_nxt + w - 2 + rnd(f, 4);
	case 20:
		return c->rcv_nxt + w + rnd(f, 100000);
	case 21:
		return c->rcv_nxt - w - rnd(f, 100000);
	case 22:
		return rnd(f, 2) ? 0u - 1 - rnd(f, 16) : rnd(f, 16);
	default:
		return rnd(f, 2) ? c->rcv_nxt + 0x80000000u : fz32(f);
	}
}

/* At snd_nxt mostly, snd_una, between; before, beyond, the wrap. */
static uint32_t fz_ack(struct fz *f, struct fz_conn *c)
{
	uint32_t flight = c->snd_nxt - c->snd_una;

	switch (rnd(f, 16)) {
	case 0 ... 5:
		return c->snd_nxt;
	case 6 ... 8:
		return c->snd_una;
	case 9 ... 10:
		return c->snd_una + rnd(f, flight + 1);
	case 11:
		return c->snd_una - 1 - rnd(f, 70000);
	case 12:
		return c->snd_nxt + 1 + rnd(f, 2000);
	case 13:
		return rnd(f, 2) ? 0u - 1 - rnd(f, 16) : rnd(f, 16);
	case 14:
		return c->snd_una + 0x80000000u;
	default:
		return fz32(f);
	}
}

/* The peer's TSval: its clock mostly, sometimes old, far ahead, any. */
static uint32_t fz_tsval(struct fz *f, struct fz_conn *c)
{
	if (!c)
		return fz32(f);
	switch (rnd(f, 64)) {
	case 0 ... 2:
		return c->tsval - 1 - rnd(f, 1000);
	case 3:
		return c->tsval + (1u << 30) + rnd(f, 1000);
	case 4:
		return fz32(f);
	default:
		return ++c->tsval;
	}
}

static uint32_t fz_sack_edge(struct fz *f, struct fz_conn *c)
{
	if (!c)
		return fz32(f);
	switch (rnd(f, 8)) {
	case 0 ... 3:
		return c->snd_una + rnd(f, c->snd_nxt - c->snd_una + 1);
	case 4:
		return c->snd_una - rnd(f, 5000);
	case 5:
		return c->snd_nxt + rnd(f, 5000);
	default:
		return fz32(f);
	}
}

static void fz_sack_block(struct fz *f, struct fz_conn *c, uint8_t *o)
{
	uint32_t l = fz_sack_edge(f, c), r = fz_sack_edge(f, c), t;

	/* In order three times in four; inverted (or empty) otherwise. */
	if (rnd(f, 4) ? seq_after(l, r) : seq_before(l, r)) {
		t = l;
		l = r;
		r = t;
	}
	put32(o, l);
	put32(o + 4, r);
}

/*
 * An option list, sound or not, of at most @max bytes: what goes past
 * the end is cut off, so the last option may run past it.
 */
static int fz_raw_opts(struct fz *f, struct fz_conn *c, uint8_t *o, int max)
{
	static const uint8_t bad_len[] = { 0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 40 };
	int n = 0, items = 1 + rnd(f, 5), l, k, i;
	uint8_t it[64];

	while (items-- > 0 && n < max) {
		memset(it, 0, sizeof(it));
		switch (rnd(f, 17)) {
		case 0:		/* a NOP run */
			l = 1 + rnd(f, 8);
			memset(it, XTCPOPT_NOP, l);
			break;
		case 1:		/* EOL, then garbage */
			l = 1 + rnd(f, 12);
			fz_random_bytes(f, it + 1, l - 1);
			it[0] = XTCPOPT_EOL;
			break;
		case 2:		/* MSS, of any length */
			l = rnd(f, 3) ? XTCPOLEN_MSS : bad_len[rnd(f, 11)];
			it[0] = XTCPOPT_MSS;
			it[1] = l;
			put16(it + 2, rnd(f, 2) ? rnd(f, 100) : fz_next(f));
			l = l < 2 ? 2 : l;
			break;
		case 3:		/* window scale, any shift */
			l = rnd(f, 4) ? XTCPOLEN_WINDOW : bad_len[rnd(f, 11)];
			it[0] = XTCPOPT_WINDOW;
			it[1] = l;
			it[2] = rnd(f, 2) ? rnd(f, 15) : 15 + rnd(f, 241);
			l = l < 2 ? 2 : l;
			break;
		case 4:		/* SACK permitted, any length */
			l = rnd(f, 2) ? XTCPOLEN_SACK_PERM : bad_len[rnd(f, 11)];
			it[0] = XTCPOPT_SACK_PERM;
			it[1] = l;
			l = l < 2 ? 2 : l;
			break;
		case 5 ... 6:	/* timestamps, any length */
			l = rnd(f, 4) ? XTCPOLEN_TIMESTAMP : bad_len[rnd(f, 11)];
			it[0] = XTCPOPT_TIMESTAMP;
			it[1] = l;
			put32(it + 2, fz_tsval(f, c));
			put32(it + 6, c ? c->ts_echo : fz32(f));
			l = l < 2 ? 2 : l;
			break;
		case 7 ... 8:	/* SACK: 0-5 blocks, any length */
			k = rnd(f, 6);
			l = 2 + 8 * k;
			it[0] = XTCPOPT_SACK;
			it[1] = rnd(f, 4) ? l : 2 + rnd(f, 42);
			for (i = 0; i < k; i++)
				fz_sack_block(f, c, it + 2 + 8 * i);
			break;
		case 9:		/* a kind nobody knows */
			l = 2 + rnd(f, 9);
			it[0] = rnd(f, 2) ? 254 : 9 + rnd(f, 245);
			it[1] = l;
			fz_random_bytes(f, it + 2, l - 2);
			break;
		case 10:	/* length 0 or 1: no progress */
			it[0] = 2 + rnd(f, 254);
			it[1] = rnd(f, 2);
			l = 2;
			break;
		case 11:	/* a length past the end */
			it[0] = 2 + rnd(f, 254);
			it[1] = max - n + 1 + rnd(f, 20);
			l = 2 + rnd(f, 6);
			fz_random_bytes(f, it + 2, l - 2);
			break;
		case 12:	/* a kind with no room for its length */
			it[0] = 2 + rnd(f, 254);
			l = 1;
			if (n < max - 1)
				n = max - 1;
			break;
		case 13:	/* anything */
			l = 1 + rnd(f, 6);
			fz_random_bytes(f, it, l);
			break;
		default:	/* Linux's own layout: NOP NOP timestamps */
			it[0] = XTCPOPT_NOP;
			it[1] = XTCPOPT_NOP;
			it[2] = XTCPOPT_TIMESTAMP;
			it[3] = XTCPOLEN_TIMESTAMP;
			put32(it + 4, fz_tsval(f, c));
			put32(it + 8, c ? c->ts_echo : fz32(f));
			l = 12;
			break;
		}
		if (l > max - n)
			l = max - n;
		memcpy(o + n, it, l);
		n += l;
	}
	return n;
}

/* Options the peer's builder lays out: timestamps, SACK, the SYN's. */
static void fz_struct_opts(struct fz *f, struct fz_conn *c, struct xseg *s)
{
	static const uint16_t mss[] = { 0, 1, 12, 36, 48, 536, 1460, 65535 };
	int i;

	s->has_ts = c ? (c->ts ? rnd(f, 8) != 0 : rnd(f, 8) == 0) :
			rnd(f, 2);
	s->tsval = fz_tsval(f, c);
	s->tsecr = c ? c->ts_echo : fz32(f);
	s->nsack = rnd(f, 3) ? 0 : rnd(f, s->has_ts ? 4 : 5);
	for (i = 0; i < s->nsack; i++) {
		uint8_t b[8];

		fz_sack_block(f, c, b);
		s->sack[i].left = get32(b);
		s->sack[i].right = get32(b + 4);
	}
	if (!(s->flags & F_SYN) && rnd(f, 8))
		return;
	s->nsack = 0;
	s->has_mss = rnd(f, 4) != 0;
	s->mss = rnd(f, 2) ? mss[rnd(f, ARRAY_LEN(mss))] : fz_next(f);
	s->has_wscale = rnd(f, 2);
	s->wscale = rnd(f, 4) ? rnd(f, 15) : 15 + rnd(f, 241);
	s->has_sackperm = rnd(f, 2);
}

/* Appends to the description of the last segment, for the logs. */
static void __attribute__((format(printf, 2, 3)))
fz_note(struct fz *f, const char *fmt, ...)
{
	size_t n = strlen(f->last);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->last + n, sizeof(f->last) - n, fmt, ap);
	va_end(ap);
}

/*
 * The segment, its options chosen, gets its data offset (cycled through
 * 0-15), its payload and perhaps a bad checksum, and goes.  The payload
 * is @c's stream at the sequence number the module will read it at
 * (whatever the data offset makes of the bytes before it), or random
 * when it has no stream or must be refused for its checksum.
 */
static int fz_emit(struct fz *f, struct xseg *s, struct fz_conn *c,
		   size_t len, struct fz_view *v)
{
	int natural = 5 + ((s->raw_opts_len + 3) & ~3) / 4, d, k = 0;
	int structured = s->has_ts || s->has_mss || s->has_wscale ||
			 s->has_sackperm || s->nsack;
	uint32_t off;

	s->bad_csum = rnd(f, 100) < 5;
	if (!structured && rnd(f, 100) < 12) {
		d = f->doff_cycle++ % 16;
		if (d < 5) {
			s->doff_override = d ? d : 16;	/* 16: a zero field */
		} else if (d < natural) {
			s->raw_opts_len = (d - 5) * 4;	/* the list, cut */
		} else if (d > natural) {
			/* More header than options: option bytes ahead of
			 * the payload, or (one time in three) a data offset
			 * past the end.
			 */
			k = (d - natural) * 4;
			s->doff_override = d;
			if (!rnd(f, 3)) {
				k = rnd(f, k);
				len = 0;
			}
			memset(f->data, XTCPOPT_NOP, k);
			fz_raw_opts(f, c, f->data, k);
		}
	}
	if (k + len > sizeof(f->data))
		len = sizeof(f->data) - k;
	off = c ? s->seq + !!(s->flags & F_SYN) - (c->pisn + 1) : 0;
	if (c && !s->bad_csum)
		fz_fill(f->data + k, len, c->key_in, off);
	else
		fz_random_bytes(f, f->data + k, len);
	s->data = f->data;
	s->len = k + len;
	xseg_snprint(f->last, sizeof(f->last), s);
	if (s->raw_opts_len)
		fz_note(f, ", %d bytes of raw options", s->raw_opts_len);
	if (s->doff_override)
		fz_note(f, ", data offset %d", s->doff_override & 15);
	if (s->bad_csum)
		fz_note(f, ", bad checksum");
	return fz_send(f, s, v);
}

/* A header cut short (0-19 bytes, cycled), or bytes of any kind. */
static int fz_emit_raw(struct fz *f, uint16_t sport, uint16_t dport,
		       uint32_t seq, uint32_t ack, struct fz_view *v)
{
	uint8_t b[128];
	uint16_t check;
	size_t len;

	if (rnd(f, 3)) {
		memset(b, 0, XTCP_HDR_MIN_LEN);
		put16(b, sport);
		put16(b + 2, dport);
		put32(b + 4, seq);
		put32(b + 8, ack);
		b[12] = 5 << 4;
		b[13] = fz_flags(f);
		put16(b + 14, 65535);
		check = xseg_csum(htonl(0x0a000002), htonl(0x0a000001), b,
				  XTCP_HDR_MIN_LEN);
		memcpy(b + 16, &check, 2);
		len = f->short_cycle++ % XTCP_HDR_MIN_LEN;
	} else {
		len = XTCP_HDR_MIN_LEN + rnd(f, 80);
		fz_random_bytes(f, b, len);
		put16(b, sport);
		put16(b + 2, dport);
	}
	snprintf(f->last, sizeof(f->last), "%zu raw bytes %u > %u", len,
		 sport, dport);
	return fz_send_raw(f, b, len, v);
}

/* Options for @s: the builder's, a raw list, or none. */
static void fz_pick_opts(struct fz *f, struct fz_conn *c, struct xseg *s)
{
	uint32_t r = rnd(f, 100);

	if (r < 50)
		fz_struct_opts(f, c, s);
	else if (r < 85)
		s->raw_opts_len = fz_raw_opts(f, c, s->raw_opts, 40);
}

/*
 * A fuzzed segment for connection (or ghost) @c: mostly a header whose
 * fields are picked around @c's state, now and then raw bytes.
 */
static int fz_conn_emit(struct fz *f, struct fz_conn *c, struct fz_view *v)
{
	uint32_t before = c->rcv_nxt, w = c->kwnd, dseq;
	struct xseg s;
	size_t len;

	if (rnd(f, 100) < 5)
		return fz_emit_raw(f, c->rport, c->lport, fz_seq(f, c),
				   fz_ack(f, c), v);
	memset(&s, 0, sizeof(s));
	s.sport = c->rport;
	s.dport = c->lport;
	s.flags = fz_flags(f);
	s.seq = fz_seq(f, c);
	s.ack = fz_ack(f, c);
	s.win = fz_win(f);
	len = fz_len(f);
	if (s.flags & F_URG) {
		uint16_t urg[] = { 0, 1, len, len + 1, 0xffff };

		s.urg = rnd(f, 4) ? urg[rnd(f, 5)] : fz_next(f);
	} else if (!rnd(f, 16)) {
		s.urg = fz_next(f);
	}
	/*
	 * What would end a live connection, an exact RST or a FIN the
	 * module may take, goes one time in 128 or 64: moved into the
	 * window past rcv_nxt otherwise (a challenge ACK, or a FIN out of
	 * order), or most segments would go to new connections.  A ghost
	 * gets them all: FIN_WAIT_2 and TIME_WAIT come of them.
	 */
	dseq = s.seq + !!(s.flags & F_SYN);
	if (c->live && (s.flags & F_RST) && s.seq == before && rnd(f, 128))
		s.seq += 1 + rnd(f, w > 1 ? w - 1 : 1);
	else if (c->live && (s.flags & F_FIN) && !seq_after(dseq, before) &&
		 !seq_before(dseq + len, before) && rnd(f, 64))
		s.seq = before + 1 + rnd(f, w > 2 ? w / 2 : 1);
	fz_pick_opts(f, c, &s);
	return fz_emit(f, &s, c, len, v);
}

/*
 * One fuzzed segment at connection @c, and what the module did with it:
 * right after it, rcv_nxt is known again exactly, so whatever moved it,
 * reset the connection or ended its stream is this segment's doing.
 */
static void fz_conn_segment(struct fz *f, struct fz_conn *c)
{
	uint32_t before, w, dseq, dend, end_seq;
	struct fz_view v;
	long n;
	int end, ok, exact_rst;

	fz_refresh_snd(c);
	before = c->rcv_nxt;
	w = c->kwnd;
	f->to_conn++;
	c->synced = 0;
	if (fz_conn_emit(f, c, &v))
		return;
	f->fuzzed++;
	c->segs++;

	ok = !v.bad;
	dseq = v.seq + !!(v.flags & F_SYN);
	dend = dseq + v.len;		/* sequence numbers wrap: 32 bits */
	end_seq = dend + !!(v.flags & F_FIN);
	if (v.bad != FZ_SHORT && v.sport == c->rport && v.dport == c->lport) {
		int in = w ? (v.seq - before < w ||
			      (end_seq != v.seq && end_seq - 1 - before < w)) :
			     v.seq == before;

		f->in_window += in;
		f->sound_in_window += in && ok;
		/*
		 * RFC 9293's window update rule (SND.WL1): the window of a
		 * segment before the furthest one taken is ignored.  The
		 * check's peer sends its data past it first, as a real one
		 * would before it could move the window again.
		 */
		if (ok && (v.flags & F_ACK) && !(v.flags & (F_RST | F_SYN)) &&
		    v.seq - before < 2 * w + 65536 &&
		    seq_after(v.seq, c->seq_hi))
			c->seq_hi = v.seq;
	}
	if (ok && v.len) {
		long bad = fz_check(v.data, v.len, c->key_in,
				    dseq - (c->pisn + 1));

		if (bad >= 0)
			fz_anomaly(f, A_NOT_STREAM, "byte %ld", bad);
	}
	exact_rst = ok && (v.flags & F_RST) && v.seq == before;
	f->exact_rsts += exact_rst;

	n = fz_sync(f, c, !c->lazy || !(c->segs % LAZY_EVERY), &end);
	if (n && !(ok && (v.flags & F_ACK) &&
		   !(v.flags & (F_RST | F_SYN)) &&
		   !seq_after(dseq, before) && seq_after(dend, before)))
		fz_anomaly(f, A_TOOK_BAD, "slot %d: rcv_nxt %u moved %ld",
			   c->slot, before, n);
	if (end == ECONNRESET) {
		if (!exact_rst)
			fz_anomaly(f, A_RESET, "slot %d: rcv_nxt %u", c->slot,
				   before);
		c->resets++;
	} else if (end < 0) {
		if (!(ok && (v.flags & F_FIN) && (v.flags & F_ACK) &&
		      !(v.flags & (F_RST | F_SYN)) &&
		      dend == c->rcv_nxt))
			fz_anomaly(f, A_EOF, "slot %d: rcv_nxt %u", c->slot,
				   c->rcv_nxt);
		c->fins++;
	} else if (end) {
		fz_anomaly(f, A_ERROR, "slot %d: %s", c->slot, strerror(end));
	} else if (exact_rst && (end_seq == v.seq || (w && !c->lazy))) {
		fz_anomaly(f, A_RST_IGNORED, "slot %d: rcv_nxt %u", c->slot,
			   before);
	}
	/* A stream that ended is closed with a FIN one time in two. */
	if (end)
		fz_reopen(f, c, end < 0 && rnd(f, 2));
	else
		fz_pump(f, 0, 0, 0, 0, 0, NULL);
}

/*
 * One segment at a ghost, if one is still about: fuzzed, or one time in
 * two what a real peer closing would send (its FIN, or an ACK of the
 * module's FIN), which takes the ghost on to FIN_WAIT_2 and TIME_WAIT,
 * or to its end in LAST_ACK.
 */
static int fz_ghost_segment(struct fz *f)
{
	struct fz_conn *g = &f->g[rnd(f, NGHOST)];
	struct fz_view v;
	struct xseg s;
	int ret;

	if (f->fuzzed >= g->until)
		return 0;
	f->to_ghost++;
	if (rnd(f, 2)) {
		ret = fz_conn_emit(f, g, &v);
	} else {
		s = xc_seg(g->rport, g->lport, g->rcv_nxt, g->snd_nxt,
			   rnd(f, 2) ? F_FIN | F_ACK : F_ACK);
		s.has_ts = g->ts;
		s.tsval = ++g->tsval;
		s.tsecr = g->ts_echo;
		xseg_snprint(f->last, sizeof(f->last), &s);
		ret = fz_send(f, &s, &v);
	}
	if (!ret)
		f->fuzzed++;
	fz_pump(f, 0, 0, 0, 0, 0, NULL);
	return 1;
}

/*
 * One fuzzed segment at the listener: a SYN of the fuzzer's own (SYN
 * queue, then cookies, as it fills), a segment for one of those
 * handshakes (completing some: the children are taken and reset), or a
 * stray one.
 */
static void fz_listener_segment(struct fz *f)
{
	struct fz_view v;
	struct xseg s;
	size_t len = rnd(f, 4) ? 0 : fz_len(f);
	uint32_t r = rnd(f, 100);

	memset(&s, 0, sizeof(s));
	s.dport = LPORT;
	s.win = fz_win(f);
	if (r < 35 || !f->nreq) {
		s.sport = SYN_RPORT + rnd(f, 8000);
		s.seq = fz32(f);
		s.ack = rnd(f, 2) ? 0 : fz32(f);
		s.flags = rnd(f, 4) ? F_SYN : F_SYN | fz_flags(f);
	} else if (r < 85) {
		int i = rnd(f, f->nreq);

		s.sport = f->req[i].rport;
		s.seq = f->req[i].irs + 1;
		if (!rnd(f, 4))
			s.seq += rnd(f, 2) ? rnd(f, 70000) : fz32(f);
		s.ack = f->req[i].isn + 1;
		if (!rnd(f, 3))
			s.ack += rnd(f, 2) ? (int)rnd(f, 5) - 2 : fz32(f);
		s.flags = rnd(f, 2) ? F_ACK | (fz_flags(f) & ~F_SYN) :
			  fz_flags(f);
	} else {
		s.sport = SYN_RPORT + rnd(f, 8000);
		s.seq = fz32(f);
		s.ack = fz32(f);
		s.flags = fz_flags(f);
	}
	if (s.flags & F_URG)
		s.urg = fz_next(f);
	f->to_listener++;
	if (!rnd(f, 20)) {
		if (fz_emit_raw(f, s.sport, LPORT, s.seq, s.ack, &v))
			return;
	} else {
		fz_pick_opts(f, NULL, &s);
		if (fz_emit(f, &s, NULL, len, &v))
			return;
	}
	f->fuzzed++;
	fz_pump(f, 0, 0, 0, 0, 0, NULL);
}

/* Anything at a port nobody has: answered with RST, or dropped. */
static void fz_stray_segment(struct fz *f)
{
	struct fz_view v;
	struct xseg s;

	memset(&s, 0, sizeof(s));
	s.sport = fz_next(f);
	s.dport = 1 + rnd(f, STRAY_PORTS);
	s.seq = fz32(f);
	s.ack = fz32(f);
	s.flags = fz_flags(f);
	s.win = fz_win(f);
	f->to_stray++;
	if (!rnd(f, 10)) {
		if (fz_emit_raw(f, s.sport, s.dport, s.seq, s.ack, &v))
			return;
	} else {
		fz_pick_opts(f, NULL, &s);
		if (fz_emit(f, &s, NULL, fz_len(f), &v))
			return;
	}
	f->fuzzed++;
	fz_pump(f, 0, 0, 0, 0, 0, NULL);
}

/* Every 32 segments: the listener's children go, the writers write. */
static void fz_periodic(struct fz *f)
{
	int i;
	long n;

	fz_accept_all(f, 0);
	for (i = 0; i < NCONN; i++) {
		struct fz_conn *c = &f->c[i];

		if (!c->live)
			continue;
		fz_refresh_snd(c);
		if (c->write_seq - c->snd_una >= APP_OUTQ)
			continue;
		n = fz_app_send(f, c, 256 + rnd(f, 2048));
		if (n < 0) {
			fz_anomaly(f, A_ERROR, "slot %d: send: %s", i,
				   strerror(-n));
			fz_reopen(f, c, 0);
		}
	}
	fz_pump(f, 0, 0, 0, 0, 0, NULL);
}

/* ---- afterwards ---- */

/* A clean segment of the peer's on @c: its stream at @seq, @len bytes. */
static int fz_clean(struct fz *f, struct fz_conn *c, uint32_t seq, size_t len)
{
	struct fz_view v;
	struct xseg s = xc_seg(c->rport, c->lport, seq, c->peer_rcv,
			       len ? F_ACK | F_PSH : F_ACK);

	if (c->ts) {
		s.has_ts = 1;
		s.tsval = ++c->tsval;
		s.tsecr = c->ts_echo;
	}
	fz_fill(f->data, len, c->key_in, seq - (c->pisn + 1));
	s.data = f->data;
	s.len = len;
	c->synced = 0;
	return fz_send(f, &s, &v);
}

/*
 * A real exchange on @c: 4000 bytes of the peer's stream to the reader,
 * resent until they are all read (a TSval the fuzzer made the module
 * take may hold up the first ones), then 4000 of the module's to the
 * peer, each segment acknowledged.  Both byte-exact.
 */
static void fz_verify(struct __test_metadata *_metadata, struct fz *f,
		      struct fz_conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	uint32_t start = c->rcv_nxt, target = start + VERIFY_BYTES, seq, stop;
	uint64_t end, last_ack = 0;
	struct tcp_info ti;
	socklen_t tlen = sizeof(ti);
	int err = 0;
	size_t n;
	long sent;

	/* The lazy reader catches up; whatever the module sent, the peer has. */
	fz_sync(f, c, 1, &err);
	fz_refresh_snd(c);
	c->peer_rcv = c->snd_nxt;
	/*
	 * The peer's data first goes past the furthest segment the module
	 * took a window from (SND.WL1): one that closed the window entirely
	 * makes every later window of ours stale until then, in Linux TCP
	 * as here (the blind in-window risk RFC 5961 leaves).  A window of a
	 * few bytes does not: the persist timer sends into it, and the ACK
	 * of new data is always taken.
	 */
	if (seq_after(c->seq_hi + 1, target))
		target = c->seq_hi + 1;
	end = xpeer_now_ns() + 10000 * MS;
	while (seq_before(c->rcv_nxt, target) && !err &&
	       xpeer_now_ns() < end) {
		/* Data the fuzzer left past a gap may come with it. */
		stop = target - c->rcv_nxt > 16000 ? c->rcv_nxt + 16000 : target;
		for (seq = c->rcv_nxt; seq_before(seq, stop); seq += n) {
			n = stop - seq < 1000 ? stop - seq : 1000;
			ASSERT_EQ(0, fz_clean(f, c, seq, n));
		}
		poll(&pfd, 1, 100);
		fz_sync(f, c, 1, &err);
		fz_pump(f, 0, 0, 0, 0, 0, NULL);
	}
	EXPECT_EQ(0, err) TH_LOG("slot %d: %s", c->slot,
				 err < 0 ? "end of stream" : strerror(err));
	EXPECT_FALSE(seq_before(c->rcv_nxt, target))
		TH_LOG("slot %d: the reader got %u of %u bytes", c->slot,
		       c->rcv_nxt - start, target - start);

	target = c->write_seq + VERIFY_BYTES;
	end = xpeer_now_ns() + 10000 * MS;
	while (xpeer_now_ns() < end) {
		if (c->write_seq != target) {
			sent = fz_app_send(f, c, target - c->write_seq);
			ASSERT_LE(0, sent) TH_LOG("slot %d: send: %s", c->slot,
						  strerror(-sent));
		}
		fz_pump(f, 20, 0, 0, 0, 0, NULL);
		fz_refresh_snd(c);
		if (c->peer_rcv == target && c->snd_una == target)
			break;
		if (c->snd_una != c->peer_rcv ||
		    xpeer_now_ns() - last_ack > 200 * MS) {
			ASSERT_EQ(0, fz_clean(f, c, c->rcv_nxt, 0));
			last_ack = xpeer_now_ns();
			fz_sync(f, c, 1, &err);
		}
	}
	memset(&ti, 0, sizeof(ti));
	getsockopt(c->fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen);
	EXPECT_EQ(target, c->peer_rcv)
		TH_LOG("slot %d: the peer got %u of %d bytes (snd_una %u, snd_wnd %u, cwnd %u, state %u)",
		       c->slot, VERIFY_BYTES - (target - c->peer_rcv),
		       VERIFY_BYTES, c->snd_una - c->isn, ti.tcpi_snd_wnd,
		       ti.tcpi_snd_cwnd, ti.tcpi_state);
	EXPECT_EQ(target, c->snd_una);
}

/*
 * The peer resets whatever is left of the connections closed during the
 * run (at rcv_nxt, and past the FIN it may have sent): an orphan whose
 * retransmission timeout the fuzzer had backed off to a minute or two
 * would otherwise outlive the wait for the slab caches.
 */
static void fz_sweep(struct fz *f)
{
	struct fz_view v;
	struct xseg s;
	long i;
	int k;

	for (i = 0; i < f->nclosed; i++) {
		for (k = 0; k < 2; k++) {
			s = xc_seg(f->closed[i].rport, f->closed[i].lport,
				   f->closed[i].rcv_nxt + k, 0, F_RST);
			fz_send(f, &s, &v);
		}
		fz_pump(f, 0, 0, 0, 0, 0, NULL);
	}
}

struct fz_slab {
	char name[32];
	long objs;
};

/* Objects in use in each of XTCP's caches (xtcp_*): how many caches. */
static int fz_slabs(struct fz_slab *s, int max)
{
	FILE *fp = fopen("/proc/slabinfo", "re");
	char line[512], name[32];
	int n = 0, i;

	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp) && n < max) {
		if (strncmp(line, "xtcp_", 5) ||
		    sscanf(line, "%31s", name) != 1)
			continue;
		snprintf(s[n].name, sizeof(s[n].name), "%s", name);
		n++;
	}
	fclose(fp);
	/* Counted each after a shrink: see xtcp_slab_active(). */
	for (i = 0; i < n; i++)
		s[i].objs = xtcp_slab_active(s[i].name);
	return n;
}

/* Objects over the baseline, summed over the caches, logged when @log. */
static long fz_slab_excess(struct __test_metadata *_metadata,
			   const struct fz_slab *base, int nbase, int log)
{
	struct fz_slab now[16];
	int n = fz_slabs(now, 16), i, j;
	long excess = 0, b;

	for (i = 0; i < n; i++) {
		b = 0;
		for (j = 0; j < nbase; j++)
			if (!strcmp(base[j].name, now[i].name))
				b = base[j].objs;
		if (now[i].objs > b) {
			excess += now[i].objs - b;
			if (log)
				TH_LOG("%s: %ld objects, %ld before", now[i].name,
				       now[i].objs, b);
		}
	}
	return excess;
}

static uint32_t fz_env_seed(void)
{
	const char *e = getenv("XTCP_FUZZ_SEED");

	if (e && *e)
		return strtoul(e, NULL, 0);
	return (uint32_t)(time(NULL) ^ (xpeer_now_ns() >> 10) ^ getpid());
}

static long fz_env_long(const char *name, long dflt)
{
	const char *e = getenv(name);

	return e && *e ? strtol(e, NULL, 0) : dflt;
}

/*
 * The whole run: @count segments from @seed, or as many as @seconds
 * allow (at least min(count, 100,000) must go), then every check.
 */
static void fz_run(struct __test_metadata *_metadata, struct fz *f,
		   uint32_t seed, long count, long seconds)
{
	struct fz_slab base[16];
	long min = count < MIN_SEGMENTS ? count : MIN_SEGMENTS, i, k;
	uint64_t t0, t1, deadline;
	struct fz_conn *nc = &f->c[NCONN];
	int nbase, ok, ratelimit;
	double secs;

	/* A slower kernel (check-debug's) gets more time, not fewer segments. */
	seconds *= xtcp_timeout_scale();
	f->md = _metadata;
	f->seed = seed;
	f->rng = (uint64_t)seed * 0x2545f4914f6cdd1dULL;
	TH_LOG("seed %u, %ld segments, at most %ld s; to replay: XTCP_FUZZ_SEED=%u XTCP_FUZZ_SEGMENTS=%ld",
	       seed, count, seconds, seed, count);
	/* Half the seeds answer every bad segment, half once a while. */
	ratelimit = rnd(f, 2) ? 500 : 0;

	ASSERT_EQ(0, xtcp_ensure_loaded());
	nbase = fz_slabs(base, 16);
	ASSERT_LT(0, nbase) TH_LOG("no xtcp_* line in /proc/slabinfo");
	ASSERT_EQ(0, xpeer_setup(&f->p));
	/* Short lives for what the fuzzer leaves behind: SYN-queue
	 * entries, orphans, FIN_WAIT_2 and TIME_WAIT entries (1 s).
	 */
	ASSERT_EQ(0, xtcp_sysctl_set("synack_retries", 2));
	ASSERT_EQ(0, xtcp_sysctl_set("rto_initial_ms", 200));
	ASSERT_EQ(0, xtcp_sysctl_set("msl_ms", 500));
	ASSERT_EQ(0, xtcp_sysctl_set("fin_timeout", 1));
	ASSERT_EQ(0, xtcp_sysctl_set("orphan_retries", 3));
	ASSERT_EQ(0, xtcp_sysctl_set("invalid_ratelimit_ms", ratelimit));
	f->insegs = xtcp_stat("InSegs");
	f->inerrs = xtcp_stat("InErrs");
	f->incsum = xtcp_stat("InCsumErrors");
	ASSERT_LE(0, f->insegs);

	f->lfd = xc_listen(_metadata, LPORT, BACKLOG, 1);
	for (i = 0; i < NCONN; i++) {
		f->c[i].slot = i;
		f->c[i].fd = -1;
		ASSERT_EQ(0, fz_open(f, &f->c[i])) TH_LOG("slot %ld", i);
	}

	t0 = xpeer_now_ns();
	deadline = t0 + seconds * 1000000000ull;
	for (i = 0; i < count; i++) {
		if (!(i % 32)) {
			if (xpeer_now_ns() >= deadline)
				break;
			if (i && !(i % RETIRE_EVERY))
				fz_reopen(f, &f->c[rnd(f, NCONN)], 1);
			fz_periodic(f);
		}
		k = rnd(f, 100);
		if (k < 6 && fz_ghost_segment(f))
			continue;
		if (k < 88)
			fz_conn_segment(f, &f->c[rnd(f, NCONN)]);
		else if (k < 97)
			fz_listener_segment(f);
		else
			fz_stray_segment(f);
	}
	t1 = xpeer_now_ns();
	secs = (t1 - t0) / 1e9;
	TH_LOG("%ld segments in %.1f s (%.0f/s): %ld at connections (%ld in the window, %ld of them sound), %ld at %ld closed ones, %ld at the listener, %ld stray",
	       f->fuzzed, secs, f->fuzzed / secs, f->to_conn, f->in_window,
	       f->sound_in_window, f->to_ghost, f->ghosts, f->to_listener,
	       f->to_stray);
	TH_LOG("%ld malformed (%ld bad checksums), %ld exact RSTs, %d connections opened, %ld children reset; %ld bytes read, %ld written",
	       f->malformed, f->csum_bad, f->exact_rsts, f->opened,
	       f->children, f->bytes_in, f->bytes_out);
	for (i = 0; i < NCONN; i++)
		TH_LOG("slot %ld: %d connections, %ld reset by exact RSTs, %ld ended by FINs, %ld segments",
		       i, f->c[i].gen, f->c[i].resets, f->c[i].fins,
		       f->c[i].segs);
	TH_LOG("invalid_ratelimit_ms %d: ChallengeACKs %ld, PAWSRejected %ld, SyncookiesSent %ld, SyncookiesRecv %ld, OfoDrop %ld, OfoPruned %ld, TimeWaitEntries %ld",
	       ratelimit, xtcp_stat("ChallengeACKs"),
	       xtcp_stat("PAWSRejected"), xtcp_stat("SyncookiesSent"),
	       xtcp_stat("SyncookiesRecv"), xtcp_stat("OfoDrop"),
	       xtcp_stat("OfoPruned"), xtcp_stat("TimeWaitEntries"));
	EXPECT_LE(min, f->fuzzed)
		TH_LOG("the time bound cut the run at %ld segments", f->fuzzed);
	EXPECT_LE(f->fuzzed / 2, f->in_window);

	/* 1. Every connection still carries data, both ways. */
	fz_accept_all(f, 0);
	for (i = 0; i < NCONN; i++)
		fz_verify(_metadata, f, &f->c[i]);

	/* 2. A new connection to the listener. */
	nc->offer_ts = 1;
	nc->offer_sack = 1;
	nc->pshift = 7;
	nc->slot = NCONN;
	ok = fz_open_passive(f, nc, NEW_RPORT) == 0;
	EXPECT_TRUE(ok) TH_LOG("no new connection through the listener");
	if (ok)
		fz_verify(_metadata, f, nc);

	for (i = 0; i <= NCONN; i++) {
		f->c[i].live = 0;
		fz_abort(f->c[i].fd);
		f->c[i].fd = -1;
	}
	close(f->lfd);
	f->lfd = -1;
	fz_sweep(f);
	fz_pump(f, 100, 0, 0, 0, 0, NULL);

	/* Braces: EXPECT_*() TH_LOG() is two statements. */
	for (i = 0; i < A_NR; i++) {
		EXPECT_EQ(0, f->anom[i]) TH_LOG("%s", fz_anomaly_name[i]);
	}

	/* 3. Counted: every packet, and exactly the malformed ones. */
	EXPECT_EQ(f->sent, xtcp_stat("InSegs") - f->insegs);
	EXPECT_EQ(f->malformed, xtcp_stat("InErrs") - f->inerrs);
	EXPECT_EQ(f->csum_bad, xtcp_stat("InCsumErrors") - f->incsum);
	EXPECT_LT(0, f->malformed);

	/* The generator's coverage, when the run is long enough for it. */
	if (f->fuzzed >= 20000) {
		for (i = 0; i < 256; i++) {
			EXPECT_TRUE(f->flags_seen[i / 8] & (1 << (i % 8)))
				TH_LOG("flags 0x%02lx never sent", i);
		}
		EXPECT_EQ(0xffff, f->doff_seen);
		EXPECT_EQ((1u << XTCP_HDR_MIN_LEN) - 1, f->short_seen);
	}

	/* 4. Everything closed: XTCP's caches back at their baseline. */
	t0 = xpeer_now_ns();
	deadline = t0 + 15000 * MS;
	while (fz_slab_excess(_metadata, base, nbase, 0) > 0 &&
	       xpeer_now_ns() < deadline)
		sleep_ms(50);
	EXPECT_EQ(0, fz_slab_excess(_metadata, base, nbase, 1));
	EXPECT_EQ(0, xtcp_stat("CurrEstab"));
	t1 = xpeer_now_ns();

	/* 5. The module unloads (as run_tests.sh, waiting for what earlier
	 * programs left closing), and is there again for what follows.
	 */
	deadline = t1 + 30000 * MS;
	while (xtcp_rmmod("xtcp") && xpeer_now_ns() < deadline)
		sleep_ms(50);
	EXPECT_FALSE(xtcp_module_loaded("xtcp")) TH_LOG("rmmod xtcp failed");
	TH_LOG("slab caches at their baseline after %.0f ms, module unloaded after %.0f ms more",
	       ms_between(t0, t1), ms_between(t1, xpeer_now_ns()));
	EXPECT_EQ(0, xtcp_ensure_loaded());
}

FIXTURE(fz) {
	struct fz *f;
};

FIXTURE_SETUP(fz)
{
	int i;

	self->f = calloc(1, sizeof(*self->f));
	ASSERT_NE(NULL, self->f);
	self->f->p.tun = -1;
	self->f->lfd = -1;
	for (i = 0; i <= NCONN; i++)
		self->f->c[i].fd = -1;
}

FIXTURE_TEARDOWN(fz)
{
	int i;

	for (i = 0; i <= NCONN; i++)
		fz_abort(self->f->c[i].fd);
	if (self->f->lfd >= 0)
		close(self->f->lfd);
	xpeer_teardown(&self->f->p);
	free(self->f->closed);
	free(self->f);
}

/* XTCP_FUZZ_SEED, XTCP_FUZZ_SEGMENTS and XTCP_FUZZ_SECONDS, or the clock,
 * 100,000 and 120 s.
 */
TEST_F_TIMEOUT(fz, seeded_from_env_or_clock, 250)
{
	fz_run(_metadata, self->f, fz_env_seed(),
	       fz_env_long("XTCP_FUZZ_SEGMENTS", DEFAULT_SEGMENTS),
	       fz_env_long("XTCP_FUZZ_SECONDS", DEFAULT_SECONDS));
}

/* A fixed seed, the model for a regression case. */
TEST_F_TIMEOUT(fz, seed_1_20000_segments, 120)
{
	fz_run(_metadata, self->f, 1, 20000, 60);
}

TEST_HARNESS_MAIN
