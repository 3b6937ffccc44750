/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zctrace's own tracepoints, one per accounted event, so that
 * `perf record -e 'zctrace:*'` and trace-cmd see what the counters count.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM zctrace

#if !defined(_ZCTRACE_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _ZCTRACE_TRACE_H

#include <linux/netdevice.h>
#include <linux/tracepoint.h>

#include "zctrace.h"

/* So that perf and trace-cmd can read the names below from the format files. */
TRACE_DEFINE_ENUM(ZC_U2K);
TRACE_DEFINE_ENUM(ZC_K2U);
TRACE_DEFINE_ENUM(ZC_K2K);
TRACE_DEFINE_ENUM(ZC_SITE_OTHER);
TRACE_DEFINE_ENUM(ZC_SITE_SOCK_SEND);
TRACE_DEFINE_ENUM(ZC_SITE_FILE_READ);
TRACE_DEFINE_ENUM(ZC_SITE_PIPE);
TRACE_DEFINE_ENUM(ZC_SITE_SEGMENT);
TRACE_DEFINE_ENUM(ZCTRACE_CTR_DISK_READ_BYTES);
TRACE_DEFINE_ENUM(ZCTRACE_CTR_NIC_TX_BYTES);
TRACE_DEFINE_ENUM(ZCTRACE_CTR_SOFT_TX_BYTES);

#define ZC_SHOW_DIR(dir)					\
	__print_symbolic(dir,					\
			 { ZC_U2K, "u2k" },			\
			 { ZC_K2U, "k2u" },			\
			 { ZC_K2K, "k2k" })

#define ZC_SHOW_SITE(site)					\
	__print_symbolic(site,					\
			 { ZC_SITE_OTHER, "other" },		\
			 { ZC_SITE_SOCK_SEND, "sock_send" },	\
			 { ZC_SITE_FILE_READ, "file_read" },	\
			 { ZC_SITE_PIPE, "pipe" },		\
			 { ZC_SITE_SEGMENT, "segment" })

#define ZC_SHOW_XFER(kind)					\
	__print_symbolic(kind,					\
			 { ZCTRACE_CTR_DISK_READ_BYTES, "disk_read" }, \
			 { ZCTRACE_CTR_NIC_TX_BYTES, "nic_tx" },	\
			 { ZCTRACE_CTR_SOFT_TX_BYTES, "soft_tx" })

/* A CPU copy made by a copy routine for the session's task or socket. */
TRACE_EVENT(copy,
	TP_PROTO(u32 session, u32 dir, u32 site, u64 bytes),
	TP_ARGS(session, dir, site, bytes),
	TP_STRUCT__entry(
		__field(u32, session)
		__field(u32, dir)
		__field(u32, site)
		__field(u64, bytes)
	),
	TP_fast_assign(
		__entry->session = session;
		__entry->dir = dir;
		__entry->site = site;
		__entry->bytes = bytes;
	),
	TP_printk("session=%u dir=%s site=%s bytes=%llu", __entry->session,
		  ZC_SHOW_DIR(__entry->dir), ZC_SHOW_SITE(__entry->site),
		  __entry->bytes)
);

/* Bytes a device moved: disk into the page cache, or skb to a device. */
TRACE_EVENT(device_xfer,
	TP_PROTO(u32 session, u32 kind, u64 bytes),
	TP_ARGS(session, kind, bytes),
	TP_STRUCT__entry(
		__field(u32, session)
		__field(u32, kind)
		__field(u64, bytes)
	),
	TP_fast_assign(
		__entry->session = session;
		__entry->kind = kind;
		__entry->bytes = bytes;
	),
	TP_printk("session=%u kind=%s bytes=%llu", __entry->session,
		  ZC_SHOW_XFER(__entry->kind), __entry->bytes)
);

/* An skb of the session's socket handed to a device's xmit routine. */
TRACE_EVENT(xmit,
	TP_PROTO(u32 session, const struct net_device *dev, unsigned int len,
		 unsigned int frag_bytes, unsigned int nr_frags, bool hw),
	TP_ARGS(session, dev, len, frag_bytes, nr_frags, hw),
	TP_STRUCT__entry(
		__field(u32, session)
		__array(char, dev, IFNAMSIZ)
		__field(unsigned int, len)
		__field(unsigned int, frag_bytes)
		__field(unsigned int, nr_frags)
		__field(bool, hw)
	),
	TP_fast_assign(
		__entry->session = session;
		strscpy_pad(__entry->dev, dev->name, IFNAMSIZ);
		__entry->len = len;
		__entry->frag_bytes = frag_bytes;
		__entry->nr_frags = nr_frags;
		__entry->hw = hw;
	),
	TP_printk("session=%u dev=%s len=%u frag_bytes=%u descriptors=%u %s",
		  __entry->session, __entry->dev, __entry->len,
		  __entry->frag_bytes, __entry->nr_frags + 1,
		  __entry->hw ? "dma" : "soft")
);

/* Page-cache bytes attached to an skb by reference instead of copied. */
TRACE_EVENT(page_attach,
	TP_PROTO(u32 session, u64 bytes),
	TP_ARGS(session, bytes),
	TP_STRUCT__entry(
		__field(u32, session)
		__field(u64, bytes)
	),
	TP_fast_assign(
		__entry->session = session;
		__entry->bytes = bytes;
	),
	TP_printk("session=%u bytes=%llu", __entry->session, __entry->bytes)
);

#endif /* _ZCTRACE_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
