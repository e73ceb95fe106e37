// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: a prctl fuzzer with a model. Random (op, hook, fd,
 * flags) tuples, drawn from the valid values, their boundaries and garbage,
 * with fds of every kind (Checmate programs for several hooks, a program of
 * another type, a map, a pipe, closed and invalid numbers). After every call
 * the errno must be the model's, and a query of the hook must match the
 * model's mode, lock and program list.
 *
 * The fuzzer locks and freezes hooks for the rest of the boot: it runs last.
 * Its programs allow everything. CHECMATE_FUZZ_CALLS (default 100000).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "common.h"

#define NHOOKS (__CHECMATE_HOOK_MAX - 1)
#define NFDS 24

struct model {
	__u32 mode;
	int locked;
	int audit;
	__u32 ids[CHECMATE_MAX_PROGS_PER_HOOK];
	__u32 n;
};

static struct model m[__CHECMATE_HOOK_MAX];

/* An fd of the pool: what the kernel must make of it. */
struct fd_kind {
	long fd;
	unsigned int hook;	/* Checmate program verified for this hook, else 0 */
	int err;		/* errno when not a Checmate program */
	__u32 id;
};

static struct fd_kind fds[NFDS];
static int nfds;

static int may_become(__u32 from, __u32 to, int locked)
{
	int ok;

	if (from == to)
		return 1;
	switch (from) {
	case CHECMATE_MODE_NORMAL:
	case CHECMATE_MODE_DISABLED:
	case CHECMATE_MODE_LOG_ONLY:
		ok = 1;
		break;
	case CHECMATE_MODE_APPEND_ONLY:
		ok = to == CHECMATE_MODE_READ_ONLY;
		break;
	default:
		ok = 0;
	}
	return ok && !(locked && (to == CHECMATE_MODE_NORMAL || to == CHECMATE_MODE_DISABLED ||
				  to == CHECMATE_MODE_LOG_ONLY));
}

/* The model's answer (0 or an errno), and its new state on success. */
static int predict(unsigned long op, unsigned long hook, unsigned long a4,
		   unsigned long a5, struct fd_kind *f)
{
	struct model *h;

	if (op < CHECMATE_OP_ATTACH || op > CHECMATE_OP_SET_AUDIT)
		return EINVAL;
	if (a5)
		return EINVAL;
	if ((op == CHECMATE_OP_RESET || op == CHECMATE_OP_DENY_RESET) && a4)
		return EINVAL;
	if (hook < 1 || hook >= __CHECMATE_HOOK_MAX)
		return EINVAL;
	h = &m[hook];
	switch (op) {
	case CHECMATE_OP_ATTACH:
	case CHECMATE_OP_DETACH: {
		int at = -1;

		if (f->err)
			return f->err;
		if (f->hook != hook)
			return EINVAL;
		for (__u32 i = 0; i < h->n; i++)
			if (h->ids[i] == f->id)
				at = i;
		if (op == CHECMATE_OP_ATTACH) {
			if (h->mode == CHECMATE_MODE_READ_ONLY)
				return EPERM;
			if (at >= 0)
				return EEXIST;
			if (h->n >= CHECMATE_MAX_PROGS_PER_HOOK)
				return E2BIG;
			h->ids[h->n++] = f->id;
			return 0;
		}
		if (h->locked || h->mode == CHECMATE_MODE_APPEND_ONLY ||
		    h->mode == CHECMATE_MODE_READ_ONLY)
			return EPERM;
		if (at < 0)
			return ENOENT;
		memmove(&h->ids[at], &h->ids[at + 1], (h->n - at - 1) * sizeof(__u32));
		h->n--;
		return 0;
	}
	case CHECMATE_OP_RESET:
		if (h->locked || h->mode == CHECMATE_MODE_APPEND_ONLY ||
		    h->mode == CHECMATE_MODE_READ_ONLY)
			return EPERM;
		h->n = 0;
		return 0;
	case CHECMATE_OP_DENY_RESET:
		h->locked = 1;
		return 0;
	case CHECMATE_OP_SET_AUDIT:
		if (a4 > 1)
			return EINVAL;
		h->audit = a4;
		return 0;
	case CHECMATE_OP_SET_MODE:
		if (a4 > CHECMATE_MODE_LOG_ONLY)
			return EINVAL;
		if (!may_become(h->mode, a4, h->locked))
			return EPERM;
		h->mode = a4;
		return 0;
	}
	return 0;	/* query: checked below */
}

static void add_fd(long fd, unsigned int hook, int err)
{
	fds[nfds].fd = fd;
	fds[nfds].hook = hook;
	fds[nfds].err = err;
	fds[nfds].id = hook ? prog_id(fd) : 0;
	nfds++;
}

/* Heavy: minutes on a debug kernel (KASAN, lockdep). */
FIXTURE(heavy) {};
FIXTURE_SETUP(heavy) {}
FIXTURE_TEARDOWN(heavy) {}

TEST_F_TIMEOUT(heavy, prctl_fuzz_against_model, 1800)
{
	const char *env = getenv("CHECMATE_FUZZ_CALLS");
	long calls = env ? atol(env) : 100000, checked = 0;
	unsigned int seed = 1;
	int pipefd[2], closed;
	union bpf_attr attr;
	const struct bpf_insn insns[] = { MOV64_IMM(0, 0), EXIT() };

	/* Start from what the kernel has now (earlier tests lock hooks). */
	for (unsigned int hook = 1; hook < __CHECMATE_HOOK_MAX; hook++) {
		struct checmate_query q;

		ASSERT_EQ(0, cm_query(hook, &q, m[hook].ids, CHECMATE_MAX_PROGS_PER_HOOK));
		m[hook].mode = q.mode;
		m[hook].locked = !!(q.flags & CHECMATE_QUERY_F_LOCKED);
		m[hook].audit = !!(q.flags & CHECMATE_QUERY_F_AUDIT);
		m[hook].n = q.prog_cnt;
	}
	/* Programs for a few hooks, two each; and fds of every other kind. */
	for (unsigned int hook = 1; hook < __CHECMATE_HOOK_MAX; hook += 4) {
		for (int i = 0; i < 2; i++) {
			int fd = load_ret(hook, 0);

			ASSERT_LE(0, fd);
			add_fd(fd, hook, 0);
		}
	}
	add_fd(load_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, 0, insns, 2, 0), 0, EINVAL);
	ASSERT_EQ(0, pipe(pipefd));
	add_fd(pipefd[0], 0, EINVAL);
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	add_fd(sys_bpf(BPF_MAP_CREATE, &attr), 0, EINVAL);
	closed = dup(pipefd[1]);
	close(closed);
	add_fd(closed, 0, EBADF);
	add_fd(-1, 0, EBADF);
	add_fd(1L << 31, 0, EBADF);
	add_fd(4000, 0, EBADF);
	ASSERT_GT(NFDS, nfds);

	for (long c = 0; c < calls; c++) {
		unsigned long op, hook, a4, a5 = 0;
		struct fd_kind *f = &fds[rand_r(&seed) % nfds];
		struct checmate_query q;
		__u32 ids[CHECMATE_MAX_PROGS_PER_HOOK];
		int want, got, r = rand_r(&seed) % 100;

		/* Mostly valid, sometimes boundaries, rarely garbage. */
		op = r < 90 ? 1 + rand_r(&seed) % 7 : r < 95 ? (rand_r(&seed) % 2 ? 0 : 8)
							    : (unsigned long)rand_r(&seed) << 16;
		r = rand_r(&seed) % 100;
		if (r < 90)
			hook = 1 + rand_r(&seed) % NHOOKS;
		else if (r < 95)
			hook = rand_r(&seed) % 2 ? 0 : __CHECMATE_HOOK_MAX;
		else
			hook = -1UL - rand_r(&seed) % 4;
		/* Attach/detach often target the fds' own hooks. */
		if (f->hook && rand_r(&seed) % 2 && hook >= 1 && hook < __CHECMATE_HOOK_MAX)
			hook = f->hook;
		switch (op) {
		case CHECMATE_OP_ATTACH:
		case CHECMATE_OP_DETACH:
			a4 = f->fd;
			break;
		case CHECMATE_OP_SET_MODE:
			a4 = rand_r(&seed) % 100 < 95 ? rand_r(&seed) % 5 : 5 + rand_r(&seed) % 100;
			/* Freezing and locking are sticky: keep them rare. */
			if (a4 == CHECMATE_MODE_READ_ONLY || a4 == CHECMATE_MODE_APPEND_ONLY)
				a4 = rand_r(&seed) % 50 ? CHECMATE_MODE_NORMAL : a4;
			break;
		case CHECMATE_OP_QUERY:
			a4 = (uintptr_t)&q;
			memset(&q, 0, sizeof(q));
			q.prog_cnt = CHECMATE_MAX_PROGS_PER_HOOK;
			q.prog_ids = (uintptr_t)ids;
			break;
		case CHECMATE_OP_SET_AUDIT:
			a4 = rand_r(&seed) % 100 < 95 ? rand_r(&seed) % 2 : 2 + rand_r(&seed) % 100;
			break;
		case CHECMATE_OP_DENY_RESET:
			if (rand_r(&seed) % 50)
				op = CHECMATE_OP_RESET;
			a4 = rand_r(&seed) % 100 < 3;
			break;
		default:
			a4 = rand_r(&seed) % 100 < 3;
		}
		if (rand_r(&seed) % 100 < 2)
			a5 = 1 + rand_r(&seed);
		want = predict(op, hook, a4, a5, f);
		got = checmate(op, hook, a4, a5) ? errno : 0;
		ASSERT_EQ(want, got) TH_LOG("call %ld: op %lu hook %lu a4 %lu a5 %lu",
					    c, op, hook, a4, a5);
		if (hook < 1 || hook >= __CHECMATE_HOOK_MAX)
			continue;
		ASSERT_EQ(0, cm_query(hook, &q, ids, CHECMATE_MAX_PROGS_PER_HOOK));
		ASSERT_EQ(m[hook].mode, q.mode) TH_LOG("call %ld", c);
		ASSERT_EQ(m[hook].locked, !!(q.flags & CHECMATE_QUERY_F_LOCKED));
		ASSERT_EQ(m[hook].audit, !!(q.flags & CHECMATE_QUERY_F_AUDIT));
		ASSERT_EQ(m[hook].n, q.prog_cnt) TH_LOG("call %ld: hook %lu", c, hook);
		ASSERT_EQ(0, memcmp(m[hook].ids, ids, q.prog_cnt * sizeof(__u32)));
		checked++;
	}
	TH_LOG("%ld calls, %ld state checks", calls, checked);
}

TEST_HARNESS_MAIN
