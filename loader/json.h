/* SPDX-License-Identifier: GPL-2.0 */
/* The little JSON the --json outputs need: a quoted, escaped string. */
#ifndef XV_JSON_H
#define XV_JSON_H

#include <stdio.h>

static inline void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

#endif
