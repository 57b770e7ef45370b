// SPDX-License-Identifier: GPL-2.0
/*
 * Initial sequence numbers and syncookies: the two places where XTCP's
 * sequence numbers must be unpredictable to an off-path attacker.
 *
 * ISNs (RFC 6528): a keyed hash of the four-tuple plus a clock, so that
 * ISNs of one four-tuple advance with time (old segments of an earlier
 * incarnation stay below the new ones) while nobody can predict them.
 *
 * Syncookies: when a listener's SYN queue is full (or always, with
 * net.xtcp.syncookies = 2) the SYN-ACK's sequence number carries all the
 * listener needs, and no state is kept.  The cookie's 32 bits:
 *
 *   31 .. 8  the top of a keyed hash of the four-tuple, the peer's ISN,
 *            the time slot and the MSS index
 *    7 .. 3  the time slot, modulo 32
 *    2 .. 0  the MSS, as an index into xtcp_cookie_mss[]
 *
 * What a cookie cannot hold, the peer's window scale and SACK permission,
 * rides in the low five bits of our SYN-ACK's timestamp when the peer
 * uses timestamps, and comes back in the final ACK's echo (without
 * timestamps such a connection has neither, as in Linux).
 *
 * A final ACK acknowledges cookie + 1.  The cookie is good while its slot
 * is the current or the previous one (net.xtcp.syncookie_period_ms each,
 * 64 s by default) and the hash matches; the slot being part of the hash
 * input makes every slot's key a different one.  Both keys are drawn once
 * per boot.
 */
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/random.h>
#include <linux/siphash.h>

#include "xtcp.h"

static siphash_key_t xtcp_isn_key __read_mostly;
static siphash_key_t xtcp_cookie_key __read_mostly;
static siphash_key_t xtcp_ts_key __read_mostly;

/* The MSS values a cookie can carry: common paths, ascending. */
static const u16 xtcp_cookie_mss[] = {
	536, 1220, 1300, 1440, 1460, 4312, 8960, 65483,
};

#define XTCP_COOKIE_MAX_AGE	1	/* slots: the current one and one before */

void xtcp_isn_init(void)
{
	get_random_bytes(&xtcp_isn_key, sizeof(xtcp_isn_key));
	get_random_bytes(&xtcp_cookie_key, sizeof(xtcp_cookie_key));
	get_random_bytes(&xtcp_ts_key, sizeof(xtcp_ts_key));
}

/* RFC 7323 section 7.1: a timestamp clock that runs at the same rate for
 * everyone (milliseconds) but starts somewhere else for each four-tuple,
 * so that it tells an observer nothing about our uptime.
 */
u32 xtcp_ts_offset(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport)
{
	return siphash_3u32((__force u32)saddr, (__force u32)daddr,
			    ((u32)(__force u16)sport << 16) | (__force u16)dport,
			    &xtcp_ts_key);
}

u32 xtcp_ts_clock(void)
{
	return (u32)div_u64(ktime_get_ns(), NSEC_PER_MSEC);
}

#define XTCP_COOKIE_TS_BITS	0x1f
#define XTCP_COOKIE_TS_SACK	0x10
#define XTCP_COOKIE_TS_NO_WS	0x0f

/* A SYN-ACK timestamp that carries @opts and @snd_wscale.  It never runs
 * ahead of the clock @now, or the peer's PAWS would drop our later ones.
 */
u32 xtcp_cookie_ts(u32 now, u8 opts, u8 snd_wscale)
{
	u32 bits = opts & XTCP_OPT_WSCALE ? snd_wscale : XTCP_COOKIE_TS_NO_WS;
	u32 ts;

	if (opts & XTCP_OPT_SACK)
		bits |= XTCP_COOKIE_TS_SACK;
	ts = (now & ~XTCP_COOKIE_TS_BITS) | bits;
	if (xtcp_after(ts, now))
		ts -= XTCP_COOKIE_TS_BITS + 1;
	return ts;
}

/* The options an echoed cookie timestamp carries; false if it is not one. */
bool xtcp_cookie_ts_opts(u32 tsecr, u8 *opts, u8 *snd_wscale)
{
	u32 ws = tsecr & XTCP_COOKIE_TS_NO_WS;

	*opts = XTCP_OPT_TS;
	*snd_wscale = 0;
	if (tsecr & XTCP_COOKIE_TS_SACK)
		*opts |= XTCP_OPT_SACK;
	if (ws == XTCP_COOKIE_TS_NO_WS)
		return true;
	if (ws > XTCP_MAX_WSCALE)
		return false;
	*opts |= XTCP_OPT_WSCALE;
	*snd_wscale = ws;
	return true;
}

u32 xtcp_isn(__be32 saddr, __be32 daddr, __be16 sport, __be16 dport)
{
	u32 hash = siphash_3u32((__force u32)saddr, (__force u32)daddr,
				((u32)(__force u16)sport << 16) |
				(__force u16)dport, &xtcp_isn_key);

	/* RFC 6528's clock ticks every 4 us; 64 ns keeps it moving faster
	 * than any one connection can use sequence space.
	 */
	return hash + (u32)(ktime_get_real_ns() >> 6);
}

static u32 xtcp_cookie_slot(const struct net *net)
{
	u64 period = (u64)READ_ONCE(xtcp_sysctl(net)->syncookie_period_ms) *
		     NSEC_PER_MSEC;

	return (u32)div64_u64(ktime_get_ns(), period);
}

/* Everything the cookie says is hashed, the MSS index included, so that
 * none of it can be changed without the key.
 */
static u32 xtcp_cookie_hash(const struct xtcp_hnode *h, u32 peer_isn, u32 slot,
			    u32 mss_index)
{
	const struct {
		__be32 laddr;
		__be32 raddr;
		__be16 lport;
		__be16 rport;
		u32 peer_isn;
		u32 slot_and_mss;
	} in = { h->laddr, h->raddr, h->lport, h->rport, peer_isn,
		 slot << 3 | mss_index };

	return (u32)siphash(&in, sizeof(in), &xtcp_cookie_key);
}

/* The largest MSS of the table not above what the peer offered. */
static unsigned int xtcp_cookie_mss_index(u16 peer_mss)
{
	unsigned int i;

	for (i = ARRAY_SIZE(xtcp_cookie_mss) - 1; i > 0; i--)
		if (xtcp_cookie_mss[i] <= peer_mss)
			break;
	return i;
}

/* The SYN-ACK's sequence number for a SYN whose four-tuple is @h. */
u32 xtcp_cookie_make(const struct net *net, const struct xtcp_hnode *h,
		     u32 peer_isn, u16 peer_mss)
{
	u32 slot = xtcp_cookie_slot(net);
	u32 index = xtcp_cookie_mss_index(peer_mss);

	return (xtcp_cookie_hash(h, peer_isn, slot, index) & ~0xffU) |
	       (slot & 0x1f) << 3 | index;
}

/* A listener answered a SYN with a cookie: when, in the low 32 bits of
 * jiffies (0 stands for never, so a send at 0 counts as 1).
 */
void xtcp_cookie_sent(struct sock *listener)
{
	WRITE_ONCE(xtcp_sk(listener)->cookie_jiffies, (u32)jiffies ?: 1);
}

/*
 * Did the listener send a cookie that may still be good?  Only then is
 * an ACK that finds no SYN-queue entry checked as one: otherwise every
 * stray ACK would be a blind guess at a cookie (a 2^24 search), as
 * Linux's tcp_synq_no_recent_overflow() prevents.
 */
bool xtcp_cookie_recent(const struct sock *listener)
{
	u32 sent = READ_ONCE(xtcp_sk(listener)->cookie_jiffies);
	u64 valid_ms = (u64)(XTCP_COOKIE_MAX_AGE + 1) *
		       READ_ONCE(xtcp_sysctl(sock_net(listener))->syncookie_period_ms);
	u32 age = (u32)jiffies - sent;

	/* Unsigned: a clock behind the stamp (one 2^32 jiffies old, say)
	 * makes a large age, not a recent one.
	 */
	return sent && age <= msecs_to_jiffies(valid_ms);
}

/* The MSS a cookie carries, or 0 when it is forged, for another
 * four-tuple or SYN, or too old.
 */
u16 xtcp_cookie_check(const struct net *net, const struct xtcp_hnode *h,
		      u32 peer_isn, u32 cookie)
{
	u32 now = xtcp_cookie_slot(net);
	u32 age = (now - (cookie >> 3)) & 0x1f;

	if (age > XTCP_COOKIE_MAX_AGE)
		return 0;
	if ((xtcp_cookie_hash(h, peer_isn, now - age, cookie & 7) ^ cookie) &
	    ~0xffU)
		return 0;
	return xtcp_cookie_mss[cookie & 7];
}
