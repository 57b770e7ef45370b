/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A scripted XTCP peer for the selftests, in the spirit of packetdrill.
 *
 * xpeer_setup() moves the calling process into a new network namespace with
 * a TUN device, xtun0, at 10.0.0.1/24.  The module's sockets live at
 * 10.0.0.1; the peer is 10.0.0.2, which nothing in the kernel answers for:
 * whatever the kernel sends to 10.0.0.2 leaves through the TUN device and
 * xpeer_recv() reads it, and what xpeer_send() writes arrives at the kernel
 * as if from 10.0.0.2.
 *
 * peer.c needs nothing from the kselftest harness; the XSEG_* macros at the
 * end exist only when kselftest_harness.h was included before this file.
 */
#ifndef XTCP_PEER_H
#define XTCP_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <linux/xtcp.h>

#include "xtcp_util.h"

#define XPEER_LOCAL_ADDR	"10.0.0.1"	/* the module's side */
#define XPEER_REMOTE_ADDR	"10.0.0.2"	/* the scripted peer */
#define XPEER_IFNAME		"xtun0"

#define XTCP_FLAG_ECE		0x40
#define XTCP_FLAG_CWR		0x80

#define XSEG_MAX_SACK		4

/* One segment, in host byte order (except saddr and daddr). */
struct xseg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;			/* XTCP_FLAG_* */
	uint16_t win;
	uint16_t urg;

	/*
	 * Options.  Sending: each has_* that is nonzero is emitted, in Linux's
	 * order and alignment.  Receiving: filled from the wire.
	 */
	int has_mss;
	uint16_t mss;
	int has_wscale;
	uint8_t wscale;
	int has_sackperm;
	int has_ts;
	uint32_t tsval, tsecr;
	int nsack;			/* SACK blocks, at most XSEG_MAX_SACK */
	struct { uint32_t left, right; } sack[XSEG_MAX_SACK];

	/*
	 * Sending: when raw_opts_len > 0 these bytes replace the options
	 * above, verbatim (padded with zeros to a 4-byte boundary).
	 * Receiving: a copy of the options as they came.
	 */
	uint8_t raw_opts[40];
	int raw_opts_len;

	/* Payload; on receive it points into the peer's buffer, valid until
	 * the next xpeer_recv() or xpeer_expect_silence().
	 */
	const uint8_t *data;
	size_t len;

	/* Sending only. */
	int bad_csum;			/* corrupt the checksum */
	int doff_override;		/* nonzero: the data offset field
					 * (16, as a 4-bit field: a zero one)
					 */

	/* Receiving only. */
	uint64_t when_ns;		/* CLOCK_MONOTONIC when read */
	int csum_ok;			/* the XTCP checksum verified (to a
					 * source route's final address)
					 */
	char parse_err[64];		/* "" unless the segment is malformed */

	/* From the IP header on receive; on send 0 means 64, peer, local;
	 * tos is sent as it is.
	 */
	uint8_t ttl;
	uint8_t tos;
	uint32_t saddr, daddr;		/* network byte order */

	/*
	 * IP options.  Sending: these bytes follow the IP header verbatim,
	 * padded with zeros (End of Option List) to a 4-byte boundary, the
	 * header length and checksum to match; the segment's checksum still
	 * covers saddr and daddr as above.  Receiving: the IP header's
	 * options as they came.  0 bytes: none.
	 */
	uint8_t ip_opts[40];
	int ip_opts_len;
};

struct xpeer {
	int tun;			/* the TUN device's fd; over a veth
					 * (xpeer_attach_veth()), a packet
					 * socket that reads IP packets
					 */
	int txfd;			/* over a veth: the packet socket that
					 * writes them, behind eth[]
					 */
	uint8_t eth[14];		/* over a veth: the Ethernet header */
	int eth_len;			/* 0: the TUN device */
	int proto;			/* IPPROTO_XTCP, or IPPROTO_TCP to
					 * script Linux TCP the same way
					 */
	int ifindex;			/* xtun0's */
	uint16_t ip_id;			/* next IP ID to send */
	unsigned long skipped;		/* packets read that were not XTCP */
	struct xseg last;		/* what xpeer_expect_silence() saw */
	uint8_t buf[65536];		/* the last packet read */
	uint8_t txbuf[65536];
};

int xpeer_setup(struct xpeer *p);		/* 0 or -errno */
/*
 * The peer on a veth instead, for what a TUN device does not do (GRO):
 * in the calling thread's network namespace, the peer reads and writes
 * IP packets on @ifname with packet sockets, as 10.0.0.2 to 10.0.0.1 on
 * the other end, whose MAC address is @dst_mac.  Nothing in the
 * namespace answers for 10.0.0.2: @ifname has no address.  0 or -errno.
 */
int xpeer_attach_veth(struct xpeer *p, const char *ifname,
		      const uint8_t dst_mac[6]);
void xpeer_teardown(struct xpeer *p);
int xpeer_set_mtu(struct xpeer *p, int mtu);	/* 0 or -errno */

/* Writes one IPv4 packet carrying s: 0 or -errno (-EINVAL: doesn't fit). */
int xpeer_send(struct xpeer *p, const struct xseg *s);

/*
 * Writes one IPv4 packet (protocol XTCP, from the peer to the module)
 * whose payload is the len bytes at seg, verbatim: no checksum or length
 * is filled in, so any bytes at all, a header cut short included, reach
 * the module as a segment.  0 or -errno (-EINVAL: doesn't fit).
 */
int xpeer_send_raw(struct xpeer *p, const void *seg, size_t len);

/*
 * Writes an ICMP error of @type and @code from the peer about @quoted, a
 * segment the module sent (as xpeer_recv() filled it in): the message
 * quotes an IP header and the first eight bytes of the segment (ports and
 * sequence number, RFC 792), rebuilt from @quoted's fields, so that a
 * test may change them.  @info is the word after the ICMP checksum: the
 * next-hop MTU of a Fragmentation Needed (RFC 1191).  0 or -errno.
 */
int xpeer_send_icmp(struct xpeer *p, uint8_t type, uint8_t code,
		    uint32_t info, const struct xseg *quoted);

/*
 * Reads the next XTCP segment, skipping anything else: 1 got one, 0 none
 * within timeout_ms, -errno on error.  A malformed segment is returned too,
 * with parse_err saying what is wrong.
 */
int xpeer_recv(struct xpeer *p, struct xseg *s, int timeout_ms);

/* 1 when no XTCP segment arrives within ms; 0 when one did (p->last). */
int xpeer_expect_silence(struct xpeer *p, int ms);

/* The Internet checksum over the IPv4 pseudo-header (protocol 253) and the
 * segment, ready to store in xtcphdr.check (network byte order).
 */
uint16_t xseg_csum(uint32_t saddr, uint32_t daddr, const void *seg,
		   size_t len);
/* The same for another protocol number (a TCP segment, say). */
uint16_t xseg_csum_proto(uint32_t saddr, uint32_t daddr, int proto,
			 const void *seg, size_t len);
/* An IPv4 header's checksum, ready to store. */
uint16_t xip_csum(const void *hdr, size_t len);

/* Flags as tcpdump prints them: "S", "S.", "F.", "R", "P.", "none". */
const char *xseg_flags_str(uint8_t flags, char buf[16]);

/* One tcpdump-like line, ending in a newline. */
void xseg_print(const struct xseg *s, FILE *f);
int xseg_snprint(char *buf, size_t size, const struct xseg *s);


uint64_t xpeer_now_ns(void);

/* Big-endian fields of a header, at any alignment. */
static inline uint16_t get16(const uint8_t *p)
{
	return (p[0] << 8) | p[1];
}

static inline uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)get16(p) << 16) | get16(p + 2);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* ---- For kselftest_harness.h tests only. ---- */
#ifdef __KSELFTEST_HARNESS_H

#define XSEG_ANY	(-1LL)	/* seq or ack: don't check */

/*
 * Receives one segment into *(seg) within timeout_ms (failing the test
 * when none comes) and checks its flags exactly, its seq and ack unless
 * XSEG_ANY, its checksum and its well-formedness.  Logs the segment on a
 * mismatch.
 */
#define XSEG_EXPECT(p, seg, timeout_ms, flags_, seq_, ack_) do {	\
	ASSERT_EQ(1, xpeer_recv((p), (seg), (timeout_ms)))		\
		TH_LOG("no XTCP segment within %d ms", (timeout_ms));	\
	XSEG_CHECK((seg), (flags_), (seq_), (ack_));			\
} while (0)

/* The checks of XSEG_EXPECT on a segment already received. */
#define XSEG_CHECK(seg, flags_, seq_, ack_) do {			\
	char __xs_line[256];						\
	long long __xs_seq = (seq_), __xs_ack = (ack_);			\
	xseg_snprint(__xs_line, sizeof(__xs_line), (seg));		\
	EXPECT_STREQ("", (seg)->parse_err) TH_LOG("%s", __xs_line);	\
	EXPECT_EQ(1, (seg)->csum_ok) TH_LOG("%s", __xs_line);		\
	EXPECT_EQ((uint8_t)(flags_), (seg)->flags)			\
		TH_LOG("%s", __xs_line);				\
	if (__xs_seq != XSEG_ANY) {					\
		EXPECT_EQ((uint32_t)__xs_seq, (seg)->seq)		\
			TH_LOG("%s", __xs_line);			\
	}								\
	if (__xs_ack != XSEG_ANY) {					\
		EXPECT_EQ((uint32_t)__xs_ack, (seg)->ack)		\
			TH_LOG("%s", __xs_line);			\
	}								\
} while (0)

/*
 * A data segment: as XSEG_EXPECT with flags ACK, PSH or not (PSH marks
 * only the last segment of a write, as in Linux: tests that are not
 * about where a write ends need not know).
 */
#define XSEG_EXPECT_DATA(p, seg, timeout_ms, seq_, ack_) do {		\
	ASSERT_EQ(1, xpeer_recv((p), (seg), (timeout_ms)))		\
		TH_LOG("no XTCP segment within %d ms", (timeout_ms));	\
	(seg)->flags &= ~XTCP_FLAG_PSH;					\
	XSEG_CHECK((seg), XTCP_FLAG_ACK, (seq_), (ack_));		\
} while (0)

/* Fails the test when an XTCP segment arrives within ms, and logs it. */
#define XSEG_EXPECT_SILENCE(p, ms) do {					\
	char __xs_line[256];						\
	int __xs_ret = xpeer_expect_silence((p), (ms));			\
	if (__xs_ret == 0)						\
		xseg_snprint(__xs_line, sizeof(__xs_line), &(p)->last);	\
	else								\
		snprintf(__xs_line, sizeof(__xs_line), "ret %d", __xs_ret); \
	EXPECT_EQ(1, __xs_ret) TH_LOG("unexpected: %s", __xs_line);	\
} while (0)

#endif /* __KSELFTEST_HARNESS_H */

#endif /* XTCP_PEER_H */
