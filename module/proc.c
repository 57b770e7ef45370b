// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/xtcp_stat: the namespace's counters, one "Name value" line each,
 * the way /proc/net/snmp names its fields.
 */
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <net/net_namespace.h>

#include "xtcp.h"

static const char * const xtcp_mib_names[XTCP_MIB_MAX] = {
	[XTCP_MIB_INSEGS]	 = "InSegs",
	[XTCP_MIB_INERRS]	 = "InErrs",
	[XTCP_MIB_INCSUMERRORS]	 = "InCsumErrors",
	[XTCP_MIB_NOSOCKET]	 = "NoSocket",
};

static unsigned long xtcp_mib_sum(const struct xtcp_net *xn, int field)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(xn->mib, cpu)->mibs[field];
	return sum;
}

static int xtcp_stat_show(struct seq_file *seq, void *v)
{
	const struct xtcp_net *xn = xtcp_pernet(seq_file_single_net(seq));
	int i;

	for (i = 0; i < XTCP_MIB_MAX; i++)
		seq_printf(seq, "%s %lu\n", xtcp_mib_names[i],
			   xtcp_mib_sum(xn, i));
	return 0;
}

int xtcp_proc_init_net(struct net *net)
{
	if (!proc_create_net_single("xtcp_stat", 0444, net->proc_net,
				    xtcp_stat_show, NULL))
		return -ENOMEM;
	return 0;
}

void xtcp_proc_exit_net(struct net *net)
{
	remove_proc_entry("xtcp_stat", net->proc_net);
}
