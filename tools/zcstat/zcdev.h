/* SPDX-License-Identifier: GPL-2.0 */
/* /dev/zctrace: start, read and stop sessions. */
#ifndef ZCSTAT_ZCDEV_H
#define ZCSTAT_ZCDEV_H

#include <stdint.h>
#include <sys/types.h>

#include "counters.h"

#define ZCDEV_PATH "/dev/" ZCTRACE_DEVICE_NAME

/* Each returns the fd / 0, or -errno. */
int zcdev_open(void);
int zcdev_version(int fd, uint32_t *abi, uint32_t *nr_counters);
int zcdev_start(int fd, pid_t pid, uint32_t flags, uint32_t *id);
/* state: ZCTRACE_STATE_*; c may be NULL to throw the counts away. */
int zcdev_read(int fd, uint32_t id, struct counters *c, uint32_t *state);
int zcdev_stop(int fd, uint32_t id, struct counters *c);

#endif
