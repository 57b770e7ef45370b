// SPDX-License-Identifier: GPL-2.0
/*
 * Initial sequence numbers, RFC 6528: a keyed hash of the four-tuple plus a
 * clock, so that ISNs of one four-tuple advance with time (old segments of
 * an earlier incarnation stay below the new ones) while an off-path
 * attacker cannot predict any of them.  The key is drawn once per boot.
 * (Stateless SYN-ACKs, the other half of this file's job, come later.)
 */
#include <linux/ktime.h>
#include <linux/random.h>
#include <linux/siphash.h>

#include "xtcp.h"

static siphash_key_t xtcp_isn_key __read_mostly;

void xtcp_isn_init(void)
{
	get_random_bytes(&xtcp_isn_key, sizeof(xtcp_isn_key));
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
