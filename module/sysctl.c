// SPDX-License-Identifier: GPL-2.0
/*
 * net.xtcp.*: each namespace's protocol knobs, with Linux TCP's defaults
 * where TCP has the same knob.  A value outside a knob's range is refused
 * with EINVAL.  Tests shorten the timers through these.
 */
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>

#include "xtcp.h"

static int one = 1;
static int ten = 10;
static int thousand = 1000;
static int max_retries = 127;
static int max_ms = 3600 * 1000;
static int max_fin_timeout = 24 * 3600;
static int max_backlog = 1 << 20;
static int max_buckets = 1 << 24;
static int two = 2;
static int three = 3;
static int max_rto_ms = 120 * 1000;
static int max_keepidle = XTCP_MAX_KEEPIDLE;
static int max_keepcnt = XTCP_MAX_KEEPCNT;
static int min_snd_mss = XTCP_MIN_SND_MSS;
static int max_snd_mss = 65535;

/* .data holds the field's offset until a namespace's copy is made. */
#define XTCP_KNOB_AS(name, field, lo, hi) {			\
	.procname	= name,					\
	.data		= (void *)offsetof(struct xtcp_sysctl, field),	\
	.maxlen		= sizeof(int),				\
	.mode		= 0644,					\
	.proc_handler	= proc_dointvec_minmax,			\
	.extra1		= lo,					\
	.extra2		= hi,					\
}

#define XTCP_KNOB(name, lo, hi)	XTCP_KNOB_AS(#name, name, lo, hi)

/* Three sizes, min default max, as tcp_rmem and tcp_wmem. */
#define XTCP_KNOB_SIZES(name) {					\
	.procname	= #name,				\
	.data		= (void *)offsetof(struct xtcp_sysctl, name),	\
	.maxlen		= 3 * sizeof(int),			\
	.mode		= 0644,					\
	.proc_handler	= proc_dointvec_minmax,			\
	.extra1		= SYSCTL_ONE,				\
}

/* net.xtcp.congestion_control: a name cong.c knows, or ENOENT as TCP. */
static int xtcp_cc_sysctl(xtcp_ctl_table *table, int write, void *buffer,
			  size_t *lenp, loff_t *ppos)
{
	char name[XTCP_CC_NAME_MAX];
	struct ctl_table tmp = {
		.data = name,
		.maxlen = sizeof(name),
	};
	int err;

	strscpy(name, table->data, sizeof(name));
	err = proc_dostring(&tmp, write, buffer, lenp, ppos);
	if (err || !write)
		return err;
	if (!xtcp_cong_known(name))
		return -ENOENT;
	strscpy(table->data, name, XTCP_CC_NAME_MAX);
	return 0;
}

static const struct ctl_table xtcp_sysctl_template[] = {
	{
		.procname	= "congestion_control",
		.data		= (void *)offsetof(struct xtcp_sysctl,
						   congestion_control),
		.maxlen		= XTCP_CC_NAME_MAX,
		.mode		= 0644,
		.proc_handler	= xtcp_cc_sysctl,
	},
	XTCP_KNOB_SIZES(rmem),
	XTCP_KNOB_SIZES(wmem),
	XTCP_KNOB(syn_retries, &one, &max_retries),
	XTCP_KNOB(synack_retries, SYSCTL_ZERO, &max_retries),
	XTCP_KNOB(max_syn_backlog, &one, &max_backlog),
	XTCP_KNOB(fin_timeout, &one, &max_fin_timeout),
	XTCP_KNOB(msl_ms, &ten, &max_ms),
	XTCP_KNOB_AS("tw_reuse", timewait_reuse, SYSCTL_ZERO, &two),
	XTCP_KNOB(max_tw_buckets, SYSCTL_ZERO, &max_buckets),
	XTCP_KNOB(orphan_retries, SYSCTL_ZERO, &max_retries),
	XTCP_KNOB(retries2, &one, &max_retries),
	XTCP_KNOB(abort_on_overflow, SYSCTL_ZERO, SYSCTL_ONE),
	XTCP_KNOB(rto_initial_ms, &ten, &max_rto_ms),
	XTCP_KNOB(rto_min_ms, &one, &max_rto_ms),
	XTCP_KNOB(rto_max_ms, &thousand, &max_rto_ms),
	XTCP_KNOB(max_orphans, SYSCTL_ZERO, SYSCTL_INT_MAX),
	XTCP_KNOB(window_scaling, SYSCTL_ZERO, SYSCTL_ONE),
	XTCP_KNOB(slow_start_after_idle, SYSCTL_ZERO, SYSCTL_ONE),
	XTCP_KNOB(hystart_detect, SYSCTL_ZERO, &three),
	XTCP_KNOB(limit_output_bytes, SYSCTL_ZERO, SYSCTL_INT_MAX),
	XTCP_KNOB(recovery, SYSCTL_ZERO, SYSCTL_ONE),
	XTCP_KNOB(timestamps, SYSCTL_ZERO, SYSCTL_ONE),
	XTCP_KNOB(sack, SYSCTL_ZERO, SYSCTL_ONE),
	XTCP_KNOB(syncookies, SYSCTL_ZERO, &two),
	XTCP_KNOB(syncookie_period_ms, &ten, &max_ms),
	XTCP_KNOB(challenge_ack_limit, SYSCTL_ZERO, SYSCTL_INT_MAX),
	XTCP_KNOB(invalid_ratelimit_ms, SYSCTL_ZERO, &max_ms),
	XTCP_KNOB(keepalive_time, &one, &max_keepidle),
	XTCP_KNOB(keepalive_intvl, &one, &max_keepidle),
	XTCP_KNOB(keepalive_probes, &one, &max_keepcnt),
	XTCP_KNOB(min_snd_mss, &min_snd_mss, &max_snd_mss),
	XTCP_KNOB(mtu_probing, SYSCTL_ZERO, &two),
	XTCP_KNOB(base_mss, &min_snd_mss, &max_snd_mss),
	XTCP_KNOB(mtu_probe_floor, &min_snd_mss, &max_snd_mss),
	XTCP_KNOB(probe_threshold, &one, &max_snd_mss),
	XTCP_KNOB(probe_interval, &one, SYSCTL_INT_MAX),
	{ }
};

/* net.xtcp.mem is one for the whole machine, as tcp_mem: only the
 * initial namespace shows it.
 */
static struct ctl_table xtcp_mem_table[] = {
	{
		.procname	= "mem",
		.data		= xtcp_mem,
		.maxlen		= sizeof(xtcp_mem),
		.mode		= 0644,
		.proc_handler	= proc_doulongvec_minmax,
	},
	{ }
};

static struct ctl_table_header *xtcp_mem_hdr;

static void xtcp_sysctl_defaults(struct xtcp_sysctl *sc)
{
	/* Linux's tcp_rmem and tcp_wmem. */
	sc->rmem[0] = 4096;
	sc->rmem[1] = 131072;
	sc->rmem[2] = 6 << 20;
	sc->wmem[0] = 4096;
	sc->wmem[1] = 16384;
	sc->wmem[2] = 4 << 20;
	sc->syn_retries = 6;		/* a lost SYN fails after ~127 s */
	sc->synack_retries = 5;
	sc->max_syn_backlog = 4096;
	sc->fin_timeout = 60;
	sc->msl_ms = 30 * 1000;		/* TIME_WAIT = 2*MSL = 60 s, as Linux */
	sc->timewait_reuse = 2;		/* Linux's default; needs timestamps */
	sc->max_tw_buckets = xtcp_ehash_size() / 2;
	sc->orphan_retries = 8;
	sc->retries2 = 15;
	sc->abort_on_overflow = 0;
	sc->rto_initial_ms = 1000;	/* RFC 6298 */
	sc->rto_min_ms = 200;		/* Linux's TCP_RTO_MIN */
	sc->rto_max_ms = 120 * 1000;	/* TCP_RTO_MAX */
	sc->max_orphans = xtcp_ehash_size() / 2;	/* as tcp_max_orphans */
	sc->window_scaling = 1;
	sc->slow_start_after_idle = 1;
	/* tcp_cubic's hystart_detect: the ACK train and the delay. */
	sc->hystart_detect = XTCP_HYSTART_ACK_TRAIN | XTCP_HYSTART_DELAY;
	sc->limit_output_bytes = 16 * 65536;	/* tcp_limit_output_bytes */
	sc->recovery = 1;
	sc->timestamps = 1;
	sc->sack = 1;
	sc->syncookies = 1;		/* when the SYN queue is full */
	sc->syncookie_period_ms = 64 * 1000;
	/* Off, as in Linux since 6.0: a namespace-wide count is a side
	 * channel (CVE-2016-5696); the per-socket limit does the work.
	 */
	sc->challenge_ack_limit = INT_MAX;
	sc->invalid_ratelimit_ms = 500;	/* Linux's tcp_invalid_ratelimit */
	sc->keepalive_time = 7200;	/* Linux's: two hours */
	sc->keepalive_intvl = 75;
	sc->keepalive_probes = 9;
	sc->min_snd_mss = XTCP_MIN_SND_MSS;	/* Linux's TCP_MIN_SND_MSS */
	/* Linux's path MTU probing knobs: off, from an MSS of 1024. */
	sc->mtu_probing = 0;
	sc->base_mss = 1024;
	sc->mtu_probe_floor = 48;
	sc->probe_threshold = 8;
	sc->probe_interval = 600;
	strscpy(sc->congestion_control, "cubic",
		sizeof(sc->congestion_control));	/* Linux's default */
}

int xtcp_sysctl_init_net(struct net *net)
{
	struct xtcp_net *xn = xtcp_pernet(net);
	struct ctl_table *table;
	int i, n = ARRAY_SIZE(xtcp_sysctl_template) - 1;

	xtcp_sysctl_defaults(&xn->sysctl);
	table = kmemdup(xtcp_sysctl_template, sizeof(xtcp_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	/* The template holds offsets; point them at this namespace. */
	for (i = 0; i < n; i++)
		table[i].data = (char *)&xn->sysctl + (uintptr_t)table[i].data;

	xn->sysctl_hdr = xtcp_register_net_sysctl(net, "net/xtcp", table, n);
	if (!xn->sysctl_hdr) {
		kfree(table);
		return -ENOMEM;
	}
	if (net_eq(net, &init_net)) {
		xtcp_mem_hdr = xtcp_register_net_sysctl(net, "net/xtcp",
							xtcp_mem_table, 1);
		if (!xtcp_mem_hdr) {
			xtcp_sysctl_exit_net(net);
			return -ENOMEM;
		}
	}
	return 0;
}

void xtcp_sysctl_exit_net(struct net *net)
{
	struct xtcp_net *xn = xtcp_pernet(net);
	const struct ctl_table *table = xn->sysctl_hdr->ctl_table_arg;

	if (net_eq(net, &init_net) && xtcp_mem_hdr) {
		unregister_net_sysctl_table(xtcp_mem_hdr);
		xtcp_mem_hdr = NULL;
	}
	unregister_net_sysctl_table(xn->sysctl_hdr);
	kfree(table);
}
