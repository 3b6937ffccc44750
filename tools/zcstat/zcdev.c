// SPDX-License-Identifier: GPL-2.0
/* /dev/zctrace: start, read and stop sessions. */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "zcdev.h"

int zcdev_open(void)
{
	int fd = open(ZCDEV_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int zcdev_version(int fd, uint32_t *abi, uint32_t *nr_counters)
{
	struct zctrace_version v = { .size = sizeof(v) };

	if (ioctl(fd, ZCTRACE_IOC_VERSION, &v))
		return -errno;
	*abi = v.abi_version;
	*nr_counters = v.nr_counters;
	return 0;
}

int zcdev_start(int fd, pid_t pid, uint32_t flags, uint32_t *id)
{
	struct zctrace_start st = { .size = sizeof(st), .flags = flags, .pid = pid };

	if (ioctl(fd, ZCTRACE_IOC_START, &st))
		return -errno;
	*id = st.id;
	return 0;
}

static int read_or_stop(int fd, unsigned long req, uint32_t id,
			struct counters *c, uint32_t *state)
{
	struct zctrace_read rd = {
		.size = sizeof(rd),
		.id = id,
		.nr_counters = c ? __ZCTRACE_CTR_MAX : 0,
		.counters = (uintptr_t)(c ? c->v : NULL),
	};

	/* An older module fills fewer: the rest must read as zero. */
	if (c)
		memset(c, 0, sizeof(*c));
	if (ioctl(fd, req, &rd))
		return -errno;
	if (state)
		*state = rd.state;
	return 0;
}

int zcdev_read(int fd, uint32_t id, struct counters *c, uint32_t *state)
{
	return read_or_stop(fd, ZCTRACE_IOC_READ, id, c, state);
}

int zcdev_stop(int fd, uint32_t id, struct counters *c)
{
	return read_or_stop(fd, ZCTRACE_IOC_STOP, id, c, NULL);
}
