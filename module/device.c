// SPDX-License-Identifier: GPL-2.0
/* /dev/zctrace: the ioctls that start, read, reset and stop sessions. */

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "zctrace.h"

/*
 * Copy in an argument whose first field is its size.  Only the size this
 * ABI version knows is accepted; the callers check the reserved fields.
 */
static int zc_copy_arg(void *arg, size_t size, const void __user *uarg)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize != size)
		return -EINVAL;
	if (copy_from_user(arg, uarg, size))
		return -EFAULT;
	return 0;
}

static bool zc_reserved_zero(const void *reserved, size_t size)
{
	return !memchr_inv(reserved, 0, size);
}

static long zc_ioctl_version(void __user *uarg)
{
	struct zctrace_version v;
	int ret;

	ret = zc_copy_arg(&v, sizeof(v), uarg);
	if (ret)
		return ret;
	if (v.reserved)
		return -EINVAL;
	v.abi_version = ZCTRACE_ABI_VERSION;
	v.nr_counters = __ZCTRACE_CTR_MAX;
	return copy_to_user(uarg, &v, sizeof(v)) ? -EFAULT : 0;
}

static long zc_ioctl_start(struct zc_client *client, void __user *uarg)
{
	struct zctrace_start st;
	int ret;

	ret = zc_copy_arg(&st, sizeof(st), uarg);
	if (ret)
		return ret;
	if (!zc_reserved_zero(st.reserved, sizeof(st.reserved)))
		return -EINVAL;
	/*
	 * A START that fails must leave no session behind: find out whether
	 * the id can be written before starting one (as STOP does).
	 */
	if (put_user(0, &((struct zctrace_start __user *)uarg)->id))
		return -EFAULT;
	ret = zc_session_start(client, st.pid, st.flags, &st.id);
	if (ret)
		return ret;
	/* Only an unmap meanwhile fails here: the caller can stop it by closing. */
	return put_user(st.id, &((struct zctrace_start __user *)uarg)->id) ? -EFAULT : 0;
}

/* READ and STOP: the counters go to a user array of the caller's length. */
static long zc_ioctl_read(struct zc_client *client, void __user *uarg, bool stop)
{
	struct zctrace_read __user *ureq = uarg;
	struct zctrace_read req;
	struct zc_counters *snap;
	void __user *counters;
	size_t len;
	u32 state;
	int ret;

	ret = zc_copy_arg(&req, sizeof(req), uarg);
	if (ret)
		return ret;
	if (!zc_reserved_zero(req.reserved, sizeof(req.reserved)))
		return -EINVAL;
	if (req.nr_counters && !req.counters)
		return -EINVAL;

	counters = u64_to_user_ptr(req.counters);
	len = min_t(size_t, req.nr_counters, __ZCTRACE_CTR_MAX) * sizeof(u64);

	snap = kzalloc(sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
	/*
	 * A STOP that could not hand its counts back must not destroy them:
	 * everything it will write is written once before the session goes
	 * (short of the caller unmapping it meanwhile), with what it holds, so
	 * that a STOP that fails leaves it as it was.
	 */
	ret = -EFAULT;
	if (stop && (copy_from_user(snap->v, counters, len) ||
		     copy_to_user(counters, snap->v, len) ||
		     put_user(req.nr_counters, &ureq->nr_counters) ||
		     put_user(req.state, &ureq->state)))
		goto out;

	if (stop)
		ret = zc_session_stop(client, req.id, snap->v, &state);
	else
		ret = zc_session_read(client, req.id, snap->v, &state);
	if (ret)
		goto out;

	ret = -EFAULT;
	if (copy_to_user(counters, snap->v, len))
		goto out;
	if (put_user(__ZCTRACE_CTR_MAX, &ureq->nr_counters) ||
	    put_user(state, &ureq->state))
		goto out;
	ret = 0;
out:
	kfree(snap);
	return ret;
}

static long zc_ioctl_reset(struct zc_client *client, void __user *uarg)
{
	struct zctrace_reset req;
	int ret;

	ret = zc_copy_arg(&req, sizeof(req), uarg);
	if (ret)
		return ret;
	if (req.reserved)
		return -EINVAL;
	return zc_session_reset(client, req.id);
}

static long zc_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct zc_client *client = file->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case ZCTRACE_IOC_VERSION:
		return zc_ioctl_version(uarg);
	case ZCTRACE_IOC_START:
		return zc_ioctl_start(client, uarg);
	case ZCTRACE_IOC_READ:
		return zc_ioctl_read(client, uarg, false);
	case ZCTRACE_IOC_STOP:
		return zc_ioctl_read(client, uarg, true);
	case ZCTRACE_IOC_RESET:
		return zc_ioctl_reset(client, uarg);
	default:
		return -ENOTTY;
	}
}

static int zc_open(struct inode *inode, struct file *file)
{
	struct zc_client *client;

	/* Sessions see other tasks' I/O: the same rule as perf's system-wide mode. */
	if (!perfmon_capable())
		return -EPERM;
	client = zc_client_new();
	if (!client)
		return -ENOMEM;
	file->private_data = client;
	return 0;
}

static int zc_release(struct inode *inode, struct file *file)
{
	zc_client_free(file->private_data);
	return 0;
}

static const struct file_operations zc_fops = {
	.owner = THIS_MODULE,
	.open = zc_open,
	.release = zc_release,
	.unlocked_ioctl = zc_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice zc_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = ZCTRACE_DEVICE_NAME,
	.fops = &zc_fops,
	.mode = 0600,
};

int zc_device_init(void)
{
	return misc_register(&zc_misc);
}

void zc_device_uninit(void)
{
	misc_deregister(&zc_misc);
}
