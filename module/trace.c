// SPDX-License-Identifier: GPL-2.0
/*
 * The one place XTCP's tracepoints (trace.h) are defined: the events'
 * code and their tracefs entries under events/xtcp/.
 */
#define CREATE_TRACE_POINTS
#include "trace.h"
