// SPDX-License-Identifier: GPL-2.0
/* The one place zctrace's tracepoints are instantiated. */

#include "zctrace.h"

#define CREATE_TRACE_POINTS
#include "trace.h"
