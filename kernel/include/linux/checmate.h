/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checmate: what the BPF core needs from the Checmate LSM.
 */
#ifndef _LINUX_CHECMATE_H
#define _LINUX_CHECMATE_H

#include <linux/errno.h>
#include <linux/types.h>

#ifdef CONFIG_SECURITY_CHECMATE
/* 0 if @hook names a Checmate hook a program may be verified for. */
int checmate_prog_check_attach(u32 hook);
#else
static inline int checmate_prog_check_attach(u32 hook)
{
	return -EINVAL;
}
#endif

#endif /* _LINUX_CHECMATE_H */
