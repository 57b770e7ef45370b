// SPDX-License-Identifier: GPL-2.0
/*
 * tcg-flags-check: does this CPU keep the flags across CMPXCHG16B?
 *
 * CMPXCHG16B changes ZF and nothing else.  QEMU 7.2's TCG (Debian 12's)
 * computes the other flags from the lazy-flags state the instruction
 * before left, without that instruction's kind: after a CMP at the start
 * of a block they come out as CMP's source operand, so RFLAGS gets
 * whatever bits that value has, reserved ones, TF and DF among them.  In
 * a guest kernel that is a single-step trap or string instructions
 * running backwards, and then a crash anywhere (SLUB's per-CPU fast path
 * runs cmpxchg16b); scripts/vm-run starts its guests without CX16 for
 * this reason.  Run it in a guest: exit 0 when the flags are right (or
 * there is no CMPXCHG16B to check), 1 when they are not.
 */
#include <cpuid.h>
#include <stdint.h>
#include <stdio.h>

#define FLAGS_CF	0x001UL
#define FLAGS_ZF	0x040UL
#define FLAGS_TF	0x100UL
#define FLAGS_DF	0x400UL

static unsigned __int128 target __attribute__((aligned(16)));

/* POPF, CMP a with b, CMPXCHG16B on a target equal to rdx:rax: RFLAGS. */
static unsigned long flags_after(unsigned long a, unsigned long b)
{
	unsigned long start = 0x202, flags;	/* IF and the fixed bit */
	uint64_t lo = 0, hi = 0;

	target = 0;
	asm volatile("push %[start]\n\tpopf\n\t"
		     "cmp %[b], %[a]\n\t"
		     "cmpxchg16b %[t]\n\t"
		     "pushf\n\tpop %[flags]"
		     : [flags] "=r"(flags), "+a"(lo), "+d"(hi), [t] "+m"(target)
		     : [a] "r"(a), [b] "r"(b), "b"(1UL), "c"(1UL),
		       [start] "r"(start)
		     : "cc", "memory");
	return flags;
}

int main(void)
{
	unsigned int eax, ebx, ecx, edx;
	unsigned long flags;

	if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_CMPXCHG16B)) {
		printf("no CMPXCHG16B on this CPU: nothing to check\n");
		return 0;
	}
	/* 5 - b borrows: CF set; the exchange succeeds: ZF set. */
	flags = flags_after(5, 0x6e5077deadbeef01UL);
	printf("RFLAGS after cmp + cmpxchg16b: %#lx (CF=%d ZF=%d TF=%d DF=%d, bits 22-63 %s)\n",
	       flags, !!(flags & FLAGS_CF), !!(flags & FLAGS_ZF),
	       !!(flags & FLAGS_TF), !!(flags & FLAGS_DF),
	       flags >> 22 ? "set" : "clear");
	if ((flags & FLAGS_CF) && (flags & FLAGS_ZF) &&
	    !(flags & (FLAGS_TF | FLAGS_DF)) && !(flags >> 22)) {
		printf("ok: CMPXCHG16B keeps the flags\n");
		return 0;
	}
	printf("BAD: CMPXCHG16B lost the flags (an emulator bug): do not run kernels on this CPU model\n");
	return 1;
}
