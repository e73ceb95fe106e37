/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state machine of one Checmate hook (mode, lock, audit, frozen maps,
 * program list), written once for two readers:
 *
 * - fuzz_test.c predicts the errno and the new state of every prctl it
 *   makes with cm_step();
 * - the Promela model, tools/model/checmate.pml, includes this file with
 *   CM_PROMELA defined: the tables below are macros that are valid C and
 *   valid Promela. spin checks the model against the lock's promises and
 *   compares every transition it explores with cm_step().
 *
 * The numbers are those of include/uapi/linux/checmate.h; fuzz_test.c
 * checks that at build time.
 */
#ifndef CHECMATE_HOOK_MODEL_H
#define CHECMATE_HOOK_MODEL_H

#define CM_OP_ATTACH		1
#define CM_OP_DETACH		2
#define CM_OP_RESET		3
#define CM_OP_DENY_RESET	4
#define CM_OP_SET_MODE		5
#define CM_OP_QUERY		6
#define CM_OP_SET_AUDIT		7
#define CM_OP_REPLACE		8

#define CM_MODE_NORMAL		0
#define CM_MODE_APPEND_ONLY	1
#define CM_MODE_READ_ONLY	2
#define CM_MODE_DISABLED	3
#define CM_MODE_LOG_ONLY	4
#define CM_NMODES		5

#define CM_LOCK_F_FREEZE_MAPS	1
#define CM_LOCK_FLAGS		CM_LOCK_F_FREEZE_MAPS

#ifndef CM_MAX_PROGS
#define CM_MAX_PROGS		64
#endif

/* Sets of modes, one bit per mode. */
#define CM_M(mode)		(1 << (mode))
#define CM_ALL_MODES		(CM_M(CM_NMODES) - 1)

/*
 * CHECMATE_OP_SET_MODE: the modes a hook in a mode may be set to, unlocked
 * and locked. A locked hook may only raise its enforcement, ranked
 * DISABLED < LOG_ONLY < NORMAL < APPEND_ONLY < READ_ONLY: it can be switched
 * on (DISABLED, LOG_ONLY -> NORMAL), never off.
 */
#define CM_UNLOCKED_FROM_NORMAL		CM_ALL_MODES
#define CM_UNLOCKED_FROM_APPEND_ONLY	(CM_M(CM_MODE_APPEND_ONLY) | CM_M(CM_MODE_READ_ONLY))
#define CM_UNLOCKED_FROM_READ_ONLY	CM_M(CM_MODE_READ_ONLY)
#define CM_UNLOCKED_FROM_DISABLED	CM_ALL_MODES
#define CM_UNLOCKED_FROM_LOG_ONLY	CM_ALL_MODES

#define CM_LOCKED_FROM_NORMAL		(CM_M(CM_MODE_NORMAL) | CM_UNLOCKED_FROM_APPEND_ONLY)
#define CM_LOCKED_FROM_APPEND_ONLY	CM_UNLOCKED_FROM_APPEND_ONLY
#define CM_LOCKED_FROM_READ_ONLY	CM_UNLOCKED_FROM_READ_ONLY
#define CM_LOCKED_FROM_DISABLED		CM_ALL_MODES
#define CM_LOCKED_FROM_LOG_ONLY		(CM_ALL_MODES & ~CM_M(CM_MODE_DISABLED))

/* The rows packed into one number, five bits a row. */
#define CM_ROWS(t) \
	((t##_NORMAL << (5 * CM_MODE_NORMAL)) | \
	 (t##_APPEND_ONLY << (5 * CM_MODE_APPEND_ONLY)) | \
	 (t##_READ_ONLY << (5 * CM_MODE_READ_ONLY)) | \
	 (t##_DISABLED << (5 * CM_MODE_DISABLED)) | \
	 (t##_LOG_ONLY << (5 * CM_MODE_LOG_ONLY)))
#define CM_UNLOCKED_MODES	CM_ROWS(CM_UNLOCKED_FROM)
/* What a lock takes away (the locked table is a subset). */
#define CM_LOCK_REFUSES		(CM_UNLOCKED_MODES ^ CM_ROWS(CM_LOCKED_FROM))

/* May a hook go from mode @from to mode @to (both < CM_NMODES)? @locked: 0/1 */
#define CM_MAY_BECOME(from, to, locked) \
	(((CM_UNLOCKED_MODES ^ ((locked) * CM_LOCK_REFUSES)) >> (5 * (from) + (to))) & 1)

/*
 * The other operations: the modes in which each is allowed, and whether it
 * is allowed on a locked hook. Refused: EPERM.
 */
#define CM_ATTACH_MODES		(CM_ALL_MODES & ~CM_M(CM_MODE_READ_ONLY))
#define CM_ATTACH_LOCKED	1
#define CM_DETACH_MODES \
	(CM_M(CM_MODE_NORMAL) | CM_M(CM_MODE_DISABLED) | CM_M(CM_MODE_LOG_ONLY))
#define CM_DETACH_LOCKED	0
#define CM_RESET_MODES		CM_DETACH_MODES
#define CM_RESET_LOCKED		0
/* Replacing a program takes the old one away: the rule of detach. */
#define CM_REPLACE_MODES	CM_DETACH_MODES
#define CM_REPLACE_LOCKED	CM_DETACH_LOCKED
#define CM_DENY_RESET_MODES	CM_ALL_MODES
#define CM_DENY_RESET_LOCKED	1
#define CM_SET_AUDIT_MODES	CM_ALL_MODES
#define CM_SET_AUDIT_LOCKED	1

/* May operation CM_OP_@op be done on a hook in @mode, @locked (0/1)? */
#define CM_MAY(op, mode, locked) \
	(((CM_##op##_MODES >> (mode)) & (CM_##op##_LOCKED | !(locked))) & 1)

#ifndef CM_PROMELA
#include <errno.h>
#include <string.h>

struct cm_hook {
	unsigned int mode;
	int locked;
	int audit;
	int maps_frozen;
	unsigned int n;
	unsigned int ids[CM_MAX_PROGS];
};

static inline int cm_find(const struct cm_hook *h, unsigned long id)
{
	for (unsigned int i = 0; i < h->n; i++)
		if (h->ids[i] == id)
			return i;
	return -1;
}

/*
 * Operation @op on hook @h, its arguments checked: 0 and @h changed, or
 * -errno and @h as it was. @arg is the program's id (attach, detach,
 * the new program of replace), the lock's flags, the mode, or the audit
 * switch. @old is the id of the program a replace takes the place of (0
 * for the other operations).
 */
static inline int cm_step(struct cm_hook *h, int op, unsigned long arg,
			  unsigned long old)
{
	int at;

	switch (op) {
	case CM_OP_ATTACH:
		if (!CM_MAY(ATTACH, h->mode, h->locked))
			return -EPERM;
		if (cm_find(h, arg) >= 0)
			return -EEXIST;
		if (h->n >= CM_MAX_PROGS)
			return -E2BIG;
		h->ids[h->n++] = arg;
		return 0;
	case CM_OP_DETACH:
		if (!CM_MAY(DETACH, h->mode, h->locked))
			return -EPERM;
		at = cm_find(h, arg);
		if (at < 0)
			return -ENOENT;
		memmove(&h->ids[at], &h->ids[at + 1], (h->n - at - 1) * sizeof(h->ids[0]));
		h->n--;
		return 0;
	case CM_OP_REPLACE:
		if (!CM_MAY(REPLACE, h->mode, h->locked))
			return -EPERM;
		if (cm_find(h, arg) >= 0)
			return -EEXIST;
		at = cm_find(h, old);
		if (at < 0)
			return -ENOENT;
		h->ids[at] = arg;
		return 0;
	case CM_OP_RESET:
		if (!CM_MAY(RESET, h->mode, h->locked))
			return -EPERM;
		h->n = 0;
		return 0;
	case CM_OP_DENY_RESET:
		if (arg & ~(unsigned long)CM_LOCK_FLAGS)
			return -EINVAL;
		if (!CM_MAY(DENY_RESET, h->mode, h->locked))
			return -EPERM;
		h->locked = 1;
		if (arg & CM_LOCK_F_FREEZE_MAPS)
			h->maps_frozen = 1;
		return 0;
	case CM_OP_SET_MODE:
		if (arg >= CM_NMODES)
			return -EINVAL;
		if (!CM_MAY_BECOME(h->mode, arg, h->locked))
			return -EPERM;
		h->mode = arg;
		return 0;
	case CM_OP_QUERY:
		return 0;
	case CM_OP_SET_AUDIT:
		if (arg > 1)
			return -EINVAL;
		if (!CM_MAY(SET_AUDIT, h->mode, h->locked))
			return -EPERM;
		h->audit = arg;
		return 0;
	}
	return -EINVAL;
}
#endif /* CM_PROMELA */

#endif /* CHECMATE_HOOK_MODEL_H */
