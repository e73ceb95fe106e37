// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: a prctl fuzzer with a model. Random (op, hook, fd,
 * flags) tuples, drawn from the valid values, their boundaries and garbage,
 * with fds of every kind (Checmate programs for several hooks, a program of
 * another type, a map, a pipe, closed and invalid numbers). After every call
 * the errno must be the model's, and a query of the hook must match the
 * model's mode, lock, audit, frozen maps and program list.
 *
 * The model is cm_step() of hook_model.h, the transition table that
 * tools/model/checmate.pml model-checks with spin: the fuzzer only adds the
 * argument checks (hook number, fd, unused arguments) before it.
 *
 * The fuzzer locks and freezes hooks for the rest of the boot: it runs last.
 * Its programs allow everything and use no map. CHECMATE_FUZZ_CALLS (default
 * 100000).
 */
#define _GNU_SOURCE
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "common.h"
#include "hook_model.h"

#define NHOOKS (__CHECMATE_HOOK_MAX - 1)
/*
 * The fd pool: programs for every fourth hook, three each (so that a
 * replace has a position to keep), and seven fds of other kinds.
 */
#define PROGS_PER_HOOK 3
#define NFDS (PROGS_PER_HOOK * ((NHOOKS + 3) / 4) + 7)

/* The model's numbers are the UAPI's. */
#define SAME(model, uapi) static_assert((model) == (uapi), #model)
SAME(CM_OP_ATTACH, CHECMATE_OP_ATTACH);
SAME(CM_OP_DETACH, CHECMATE_OP_DETACH);
SAME(CM_OP_RESET, CHECMATE_OP_RESET);
SAME(CM_OP_DENY_RESET, CHECMATE_OP_DENY_RESET);
SAME(CM_OP_SET_MODE, CHECMATE_OP_SET_MODE);
SAME(CM_OP_QUERY, CHECMATE_OP_QUERY);
SAME(CM_OP_SET_AUDIT, CHECMATE_OP_SET_AUDIT);
SAME(CM_OP_REPLACE, CHECMATE_OP_REPLACE);
SAME(CM_MODE_NORMAL, CHECMATE_MODE_NORMAL);
SAME(CM_MODE_APPEND_ONLY, CHECMATE_MODE_APPEND_ONLY);
SAME(CM_MODE_READ_ONLY, CHECMATE_MODE_READ_ONLY);
SAME(CM_MODE_DISABLED, CHECMATE_MODE_DISABLED);
SAME(CM_MODE_LOG_ONLY, CHECMATE_MODE_LOG_ONLY);
SAME(CM_NMODES, CHECMATE_MODE_LOG_ONLY + 1);
SAME(CM_LOCK_F_FREEZE_MAPS, CHECMATE_LOCK_F_FREEZE_MAPS);
SAME(CM_MAX_PROGS, CHECMATE_MAX_PROGS_PER_HOOK);

static struct cm_hook m[__CHECMATE_HOOK_MAX];

/* An fd of the pool: what the kernel must make of it. */
struct fd_kind {
	long fd;
	unsigned int hook;	/* Checmate program verified for this hook, else 0 */
	int err;		/* errno when not a Checmate program */
	__u32 id;
};

static struct fd_kind fds[NFDS];
static int nfds;

/* Does the hook hold a program the fuzzer did not load (earlier tests')? */
static int has_foreign(const struct cm_hook *h)
{
	for (unsigned int i = 0; i < h->n; i++) {
		int mine = 0;

		for (int k = 0; k < nfds; k++)
			mine |= fds[k].hook && fds[k].id == h->ids[i];
		if (!mine)
			return 1;
	}
	return 0;
}

/* What the kernel makes of fd @f passed for @hook: 0 or -errno. */
static int check_fd(const struct fd_kind *f, unsigned long hook)
{
	if (f->err)
		return -f->err;
	return f->hook == hook ? 0 : -EINVAL;
}

/*
 * The model's answer (0 or -errno), and its new state on success. @f is
 * the fd passed as a4 (attach, detach, the new program of replace), @g the
 * one passed as a5 (the old program of replace).
 */
static int predict(unsigned long op, unsigned long hook, unsigned long a4,
		   unsigned long a5, const struct fd_kind *f, const struct fd_kind *g)
{
	unsigned long old = 0;
	int err;

	if (op < CM_OP_ATTACH || op > CM_OP_REPLACE)
		return -EINVAL;
	if (a5 && op != CM_OP_REPLACE)
		return -EINVAL;
	if (op == CM_OP_RESET && a4)
		return -EINVAL;
	if (hook < 1 || hook >= __CHECMATE_HOOK_MAX)
		return -EINVAL;
	if (op == CM_OP_ATTACH || op == CM_OP_DETACH || op == CM_OP_REPLACE) {
		err = check_fd(f, hook);
		if (err)
			return err;
		a4 = f->id;
	}
	if (op == CM_OP_REPLACE) {
		err = check_fd(g, hook);
		if (err)
			return err;
		old = g->id;
	}
	return cm_step(&m[hook], op, a4, old);
}

/*
 * An fd for the old program of a replace: mostly one of @f's hook, often
 * one the model has attached there (else the replace is mostly ENOENT).
 */
static struct fd_kind *pick_old(const struct fd_kind *f, unsigned int *seed)
{
	int same[NFDS], on[NFDS], n = 0, non = 0, r = rand_r(seed) % 100;

	for (int k = 0; f->hook && k < nfds; k++) {
		if (fds[k].hook != f->hook)
			continue;
		same[n++] = k;
		if (cm_find(&m[f->hook], fds[k].id) >= 0)
			on[non++] = k;
	}
	if (non && r < 50)
		return &fds[on[rand_r(seed) % non]];
	if (n && r < 80)
		return &fds[same[rand_r(seed) % n]];
	return &fds[rand_r(seed) % nfds];
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
	long calls = env ? atol(env) : 100000, checked = 0, locks = 0, foreign = 0;
	/* Replaces on a valid hook: done, EPERM, EEXIST, ENOENT, bad fd. */
	long replaces[5] = { 0 };
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
		m[hook].maps_frozen = !!(q.flags & CHECMATE_QUERY_F_MAPS_FROZEN);
		m[hook].n = q.prog_cnt;
	}
	/* Programs for a few hooks; and fds of every other kind. */
	for (unsigned int hook = 1; hook < __CHECMATE_HOOK_MAX; hook += 4) {
		for (int i = 0; i < PROGS_PER_HOOK; i++) {
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
	ASSERT_EQ(NFDS, nfds);

	for (long c = 0; c < calls; c++) {
		unsigned long op, hook, a4, a5 = 0;
		struct fd_kind *f = &fds[rand_r(&seed) % nfds], *g = f;
		struct checmate_query q;
		__u32 ids[CHECMATE_MAX_PROGS_PER_HOOK];
		struct cm_hook before;
		int want, got, r = rand_r(&seed) % 100;

		/* Mostly valid, sometimes boundaries, rarely garbage. */
		op = r < 90 ? 1 + rand_r(&seed) % 8 :
		     r < 95 ? (rand_r(&seed) % 2 ? 0 : CM_OP_REPLACE + 1 + rand_r(&seed) % 2) :
		     (unsigned long)rand_r(&seed) << 16;
		r = rand_r(&seed) % 100;
		if (r < 90)
			hook = 1 + rand_r(&seed) % NHOOKS;
		else if (r < 95)
			hook = rand_r(&seed) % 2 ? 0 : __CHECMATE_HOOK_MAX;
		else
			hook = -1UL - rand_r(&seed) % 4;
		/* Attach/detach/replace often target the fds' own hooks. */
		if (f->hook && rand_r(&seed) % 2 && hook >= 1 && hook < __CHECMATE_HOOK_MAX)
			hook = f->hook;
		switch (op) {
		case CHECMATE_OP_ATTACH:
		case CHECMATE_OP_DETACH:
			a4 = f->fd;
			break;
		case CHECMATE_OP_REPLACE:
			g = pick_old(f, &seed);
			a4 = f->fd;
			a5 = g->fd;
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
			/* Rare, so that hooks are fuzzed unlocked too. */
			if (rand_r(&seed) % 500) {
				op = CHECMATE_OP_RESET;
				a4 = rand_r(&seed) % 100 < 3;
				break;
			}
			r = rand_r(&seed) % 100;
			a4 = r < 45 ? 0 : r < 90 ? CHECMATE_LOCK_F_FREEZE_MAPS :
			     r < 95 ? 2UL + rand_r(&seed) % 6 : -1UL << (rand_r(&seed) % 64);
			break;
		default:
			a4 = rand_r(&seed) % 100 < 3;
		}
		/* Replace takes its garbage a5 from the pool's bad fds. */
		if (op != CHECMATE_OP_REPLACE && rand_r(&seed) % 100 < 2)
			a5 = 1 + rand_r(&seed);
		if (hook >= 1 && hook < __CHECMATE_HOOK_MAX)
			before = m[hook];
		want = predict(op, hook, a4, a5, f, g);
		got = checmate(op, hook, a4, a5) ? -errno : 0;
		/*
		 * Earlier tests' programs may use maps a lock cannot freeze
		 * (or too many tail-call targets): then the lock is refused
		 * and must leave the hook as it was.
		 */
		if (op == CHECMATE_OP_DENY_RESET && !want &&
		    (got == -EOPNOTSUPP || got == -EBUSY || got == -E2BIG) &&
		    has_foreign(&before)) {
			m[hook] = before;
			want = got;
			foreign++;
		}
		ASSERT_EQ(want, got) TH_LOG("call %ld: op %lu hook %lu a4 %lu a5 %lu",
					    c, op, hook, a4, a5);
		if (hook < 1 || hook >= __CHECMATE_HOOK_MAX)
			continue;
		locks += op == CHECMATE_OP_DENY_RESET && !got;
		if (op == CHECMATE_OP_REPLACE)
			replaces[!got ? 0 : got == -EPERM ? 1 : got == -EEXIST ? 2 :
				 got == -ENOENT ? 3 : 4]++;
		ASSERT_EQ(0, cm_query(hook, &q, ids, CHECMATE_MAX_PROGS_PER_HOOK));
		ASSERT_EQ(m[hook].mode, q.mode) TH_LOG("call %ld", c);
		ASSERT_EQ(m[hook].locked, !!(q.flags & CHECMATE_QUERY_F_LOCKED));
		ASSERT_EQ(m[hook].audit, !!(q.flags & CHECMATE_QUERY_F_AUDIT));
		ASSERT_EQ(m[hook].maps_frozen, !!(q.flags & CHECMATE_QUERY_F_MAPS_FROZEN));
		ASSERT_EQ(m[hook].n, q.prog_cnt) TH_LOG("call %ld: hook %lu", c, hook);
		ASSERT_EQ(0, memcmp(m[hook].ids, ids, q.prog_cnt * sizeof(__u32)));
		checked++;
	}
	TH_LOG("%ld calls, %ld state checks, %ld locks, %ld refused for others' maps",
	       calls, checked, locks, foreign);
	TH_LOG("replaces: %ld done, %ld EPERM, %ld EEXIST, %ld ENOENT, %ld bad fds",
	       replaces[0], replaces[1], replaces[2], replaces[3], replaces[4]);
}

TEST_HARNESS_MAIN
