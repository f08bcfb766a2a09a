// SPDX-License-Identifier: GPL-2.0
/*
 * bpffs is not mounted at /sys/fs/bpf on every machine. The pin directory's
 * parent gets a bpffs mount when it has none: at /sys/fs/bpf, or at any other
 * parent that is an empty directory (mounting over a populated directory would
 * hide its contents, so that is refused).
 */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include "bpffs.h"
#include "common.h"
#include "log.h"

bool xv_bpffs_is_bpf(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

static bool dir_is_empty(const char *path)
{
	struct dirent *de;
	bool empty = true;
	DIR *d = opendir(path);

	if (!d)
		return false;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			empty = false;
			break;
		}
	}
	closedir(d);
	return empty;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, path);
	for (p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int xv_bpffs_prepare(const char *pin_dir)
{
	char buf[PATH_MAX];
	char *parent;
	int err;

	if (strlen(pin_dir) >= sizeof(buf) || pin_dir[0] != '/') {
		pr_warn("pin_dir %s: must be an absolute path\n", pin_dir);
		return -XV_EUSAGE;
	}
	strcpy(buf, pin_dir);
	parent = dirname(buf);
	if (!xv_bpffs_is_bpf(parent)) {
		err = mkdir_p(parent);
		if (err) {
			pr_warn("%s: cannot create: %s\n", parent, strerror(-err));
			return err;
		}
		if (strcmp(parent, "/sys/fs/bpf") && !dir_is_empty(parent)) {
			pr_warn("%s: not a bpf file system and not empty; mount one there (mount -t bpf bpf %s)\n",
				parent, parent);
			return -XV_EUSAGE;
		}
		if (mount("bpf", parent, "bpf", 0, "mode=0700")) {
			err = -errno;
			pr_warn("%s: cannot mount bpffs: %s\n", parent, strerror(errno));
			return err;
		}
		pr_info("mounted bpffs at %s\n", parent);
	}
	if (mkdir(pin_dir, 0700) && errno != EEXIST) {
		err = -errno;
		pr_warn("%s: cannot create: %s\n", pin_dir, strerror(errno));
		return err;
	}
	return 0;
}

int xv_pin_path(char *buf, size_t len, const char *pin_dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", pin_dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
