// SPDX-License-Identifier: GPL-2.0
/*
 * zctrace: count the CPU copies, device transfers, gather descriptors and
 * user/kernel switches a task really makes when it sends a file to a socket.
 */

#include <linux/module.h>

#include "zctrace.h"

static int __init zc_init(void)
{
	int ret;

	ret = zc_sockets_init();
	if (ret)
		goto err_sockets;
	ret = zc_session_init();
	if (ret)
		goto err_session;
	ret = zc_probes_init();
	if (ret)
		goto err_probes;
	/* User-visible interfaces last: nothing can reach a half-made module. */
	ret = zc_netlink_init();
	if (ret)
		goto err_netlink;
	ret = zc_device_init();
	if (ret)
		goto err_device;

	pr_info("ABI %u loaded\n", ZCTRACE_ABI_VERSION);
	return 0;

err_device:
	zc_netlink_uninit();
err_netlink:
	zc_probes_uninit();
err_probes:
	zc_session_uninit();
err_session:
	zc_sockets_uninit();
err_sockets:
	return ret;
}

static void __exit zc_exit(void)
{
	zc_device_uninit();
	zc_netlink_uninit();
	zc_probes_uninit();
	zc_session_uninit();
	zc_sockets_uninit();
}

module_init(zc_init);
module_exit(zc_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Count the copies a file-to-socket transfer really makes");
MODULE_AUTHOR("The zctrace developers");
MODULE_VERSION("0.1");
