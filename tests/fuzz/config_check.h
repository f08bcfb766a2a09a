/* SPDX-License-Identifier: GPL-2.0 */
/* Invariants of an accepted config, and equality of two (config_check.c). */
#ifndef XVF_CONFIG_CHECK_H
#define XVF_CONFIG_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include "config.h"

/* Whether cfg is what the contract allows; if not, why in buf. */
bool xvf_config_valid(const struct xv_config *cfg, char *buf, size_t size);
/* Field by field (not memcmp: struct padding is not part of a config). */
bool xvf_config_equal(const struct xv_config *a, const struct xv_config *b);

#endif
