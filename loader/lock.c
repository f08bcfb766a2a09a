// SPDX-License-Identifier: GPL-2.0
/* See lock.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "dhcp.h"
#include "lock.h"
#include "log.h"

static int lock_path(const char *pin_dir, char *dir, size_t dsize, char *path,
		     size_t psize)
{
	int err = xv_dhcp_run_dir(pin_dir, dir, dsize);

	if (err)
		return err;
	if ((size_t)snprintf(path, psize, "%s/lock", dir) >= psize)
		return -ENAMETOOLONG;
	return 0;
}

static int holder(int fd)
{
	char buf[32] = "";

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		return 0;
	return atoi(buf);
}

int xv_lock_take(const char *pin_dir)
{
	char dir[1024], path[1100], pid[32];
	struct timespec tick = { 0, 100000000 };
	int fd, err, waited = 0;

	err = lock_path(pin_dir, dir, sizeof(dir), path, sizeof(path));
	if (err)
		return err;
	if ((mkdir(XV_RUN_ROOT, 0755) && errno != EEXIST) ||
	    (mkdir(dir, 0755) && errno != EEXIST)) {
		err = -errno;
		pr_warn("cannot create %s: %s\n", dir, strerror(errno));
		return err;
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		err = -errno;
		pr_warn("cannot open %s: %s\n", path, strerror(errno));
		return err;
	}
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK) {
			err = -errno;
			pr_warn("cannot lock %s: %s\n", path, strerror(errno));
			close(fd);
			return err;
		}
		if (!waited)
			pr_info("%s: another xvnet (pid %d) is changing it; waiting\n",
				pin_dir, holder(fd));
		if (++waited > XV_LOCK_WAIT_S * 10) {
			pr_warn("%s: another xvnet (pid %d) has held it for %d s; giving up\n",
				pin_dir, holder(fd), XV_LOCK_WAIT_S);
			close(fd);
			return -EBUSY;
		}
		nanosleep(&tick, NULL);
	}
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, strlen(pid), 0) < 0)
		pr_debug("%s: cannot write our pid: %s\n", path, strerror(errno));
	return fd;
}

void xv_lock_release(int fd, const char *pin_dir, bool last)
{
	char dir[1024], path[1100];

	if (fd < 0)
		return;
	if (last && !lock_path(pin_dir, dir, sizeof(dir), path, sizeof(path))) {
		unlink(path);
		rmdir(dir);	/* only if nothing else is left in it */
		rmdir(XV_RUN_ROOT);
	}
	close(fd);	/* releases the lock */
}
