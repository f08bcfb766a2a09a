// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the config parser and validator (xv_config_load() of
 * loader/config.c), built with -fsanitize=fuzzer,address,undefined. Each
 * input is a config file: it is written to a memfd and loaded through
 * /proc/self/fd/N, twice. Anything but these is a crash (abort, with the
 * reason on stderr):
 *
 *   - the load returns 0 or -EINVAL, nothing else;
 *   - both loads return the same, say the same and (accepted) parse to the
 *     same config, field by field;
 *   - a refused config says why, every message "PATH:LINE: ..." with LINE
 *     inside the file, in line order; an accepted config says nothing;
 *   - an accepted config is what the contract allows (config_check.c);
 *   - no leak, no memory error, no undefined behaviour (the sanitizers).
 *
 * Seeds: tests/fuzz/corpus/config (the test configs, the README and
 * DESIGN examples); dictionary: tests/fuzz/config.dict. At exit it prints
 * "config_fuzz: N inputs, A accepted, R refused".
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "config.h"
#include "config_check.h"
#include "log_capture.h"

static int memfd = -1;
static char path[64];
static unsigned long n_inputs, n_accepted, n_refused;

static void __attribute__((noreturn)) crash(const char *what, const char *detail)
{
	fprintf(stderr, "config_fuzz: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	abort();
}

static void report(void)
{
	fprintf(stderr, "config_fuzz: %lu inputs, %lu accepted, %lu refused\n",
		n_inputs, n_accepted, n_refused);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memfd = memfd_create("xvnet.conf", MFD_CLOEXEC);
	if (memfd < 0)
		crash("memfd_create", strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	atexit(report);
	return 0;
}

static void put_input(const uint8_t *data, size_t size)
{
	size_t off = 0;
	ssize_t n;

	if (ftruncate(memfd, 0))
		crash("ftruncate", strerror(errno));
	while (off < size) {
		n = pwrite(memfd, data + off, size - off, (off_t)off);
		if (n <= 0)
			crash("pwrite", strerror(errno));
		off += (size_t)n;
	}
}

static int count_lines(const uint8_t *data, size_t size)
{
	int n = 0;
	size_t i;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n + (size && data[size - 1] != '\n');
}

/* Every message "PATH:LINE: text\n", 1 <= LINE <= nlines, lines ascending. */
static void check_messages(char *msgs, int ret, int nlines)
{
	size_t plen = strlen(path);
	char *line, *save, *end;
	long ln, prev = 0;
	int n = 0;

	if (ret == 0 && *msgs)
		crash("accepted config printed messages", msgs);
	if (ret == 0)
		return;
	if (!*msgs || msgs[strlen(msgs) - 1] != '\n')
		crash("refused config without a complete message", msgs);
	for (line = strtok_r(msgs, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), n++) {
		if (strncmp(line, path, plen) || line[plen] != ':')
			crash("message without the file name", line);
		ln = strtol(line + plen + 1, &end, 10);
		if (end == line + plen + 1 || strncmp(end, ": ", 2))
			crash("message without a line number", line);
		if (ln < 1 || ln > nlines)
			crash("message names a line outside the file", line);
		if (ln < prev)
			crash("messages out of line order", line);
		prev = ln;
	}
	if (!n)
		crash("refused config without a message", NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xv_config a, b;
	char why[512], *ma, *mb;
	int ra, rb;

	n_inputs++;
	put_input(data, size);
	ra = xv_config_load(path, &a);
	ma = xvf_log_take();
	rb = xv_config_load(path, &b);
	mb = xvf_log_take();

	if (ra != 0 && ra != -EINVAL)
		crash("load returned neither 0 nor -EINVAL", strerror(-ra));
	if (ra != rb)
		crash("two loads of one input disagree on the result", NULL);
	if (strcmp(ma, mb))
		crash("two loads of one input print different messages", ma);
	if (!ra && !xvf_config_valid(&a, why, sizeof(why)))
		crash("accepted an invalid config", why);
	if (!ra && !xvf_config_equal(&a, &b))
		crash("two loads of one input parse differently", NULL);
	check_messages(ma, ra, count_lines(data, size));
	if (ra) {
		n_refused++;
	} else {
		n_accepted++;
		xv_config_free(&a);
		xv_config_free(&b);
	}
	free(ma);
	free(mb);
	return 0;
}
