// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: concurrency. Writer threads attach, detach and reset
 * programs while reader threads cross the same hooks; then every program
 * reference must come back. Run on several vCPUs (tools/vm/run.sh --cpus 4).
 *
 * Each program denies this process with its own errno. A reader notes the
 * writers' epoch before its syscall; a denial by a program whose detach had
 * returned before that epoch is a stale decision and fails the test.
 *
 * CHECMATE_STRESS_OPS (default 100000) sets the number of API calls; the
 * readers cross the hooks until the writers are done.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "kselftest_harness.h"
#include "common.h"

#define NPROGS 6
#define NWRITERS 2
#define NREADERS 2

static const int prog_errno[NPROGS] = { EDOM, ERANGE, EXDEV, ENOTUNIQ, EBADFD, EREMCHG };
static const unsigned int hooks[2] = { CHECMATE_HOOK_FILE_OPEN, CHECMATE_HOOK_SOCKET_CREATE };

static int progs[2][NPROGS];
static __u32 ids[2][NPROGS];
static atomic_long epoch;		/* bumped after each detach/reset returns */
static atomic_long detached_at[2][NPROGS]; /* epoch of the last detach of each program */
static atomic_long attached_at[2][NPROGS]; /* epoch of the last attach */
static atomic_long api_calls, crossings, stale, unexpected;
static atomic_int writers_done;
static long target_ops;

static int which(int err)
{
	for (int i = 0; i < NPROGS; i++)
		if (prog_errno[i] == err)
			return i;
	return -1;
}

/* Writers serialize per program, so that the bookkeeping is exact. */
static pthread_mutex_t prog_lock[2][NPROGS] = {
	[0 ... 1] = { [0 ... NPROGS - 1] = PTHREAD_MUTEX_INITIALIZER },
};

static void *writer(void *arg)
{
	unsigned int seed = (unsigned long)arg;

	while (atomic_fetch_add(&api_calls, 1) < target_ops) {
		int h = rand_r(&seed) % 2, p = rand_r(&seed) % NPROGS, r = rand_r(&seed) % 100;

		if (r < 95) {
			pthread_mutex_lock(&prog_lock[h][p]);
			if (r < 50) {
				/* Marked attached before it can deny. */
				attached_at[h][p] = atomic_load(&epoch);
				cm_attach(hooks[h], progs[h][p]);
			} else if (cm_detach(hooks[h], progs[h][p]) == 0) {
				detached_at[h][p] = atomic_fetch_add(&epoch, 1) + 1;
			}
			pthread_mutex_unlock(&prog_lock[h][p]);
			continue;
		}
		for (int i = 0; i < NPROGS; i++)
			pthread_mutex_lock(&prog_lock[h][i]);
		if (checmate(CHECMATE_OP_RESET, hooks[h], 0, 0) == 0) {
			long e = atomic_fetch_add(&epoch, 1) + 1;

			for (int i = 0; i < NPROGS; i++)
				detached_at[h][i] = e;
		}
		for (int i = 0; i < NPROGS; i++)
			pthread_mutex_unlock(&prog_lock[h][i]);
	}
	atomic_fetch_add(&writers_done, 1);
	return NULL;
}

static void *reader(void *arg)
{
	long h = (long)arg;

	while (atomic_load(&writers_done) < NWRITERS) {
		long start = atomic_load(&epoch);
		int fd, err = 0;

		if (h == 0)
			fd = open("/tmp/checmate-stress", O_RDONLY);
		else
			fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0)
			err = errno;
		else
			close(fd);
		atomic_fetch_add(&crossings, 1);
		if (err) {
			int p = which(err);
			long d, a;

			if (p < 0) {
				atomic_fetch_add(&unexpected, 1);
				continue;
			}
			/*
			 * Stale: its detach returned before this syscall began,
			 * and it was not attached again since. Read the detach
			 * epoch first: attach epochs only grow, so a later read
			 * of one can only hide, never invent, a stale denial.
			 */
			d = atomic_load(&detached_at[h][p]);
			a = atomic_load(&attached_at[h][p]);
			if (d <= start && a < d) {
				atomic_fetch_add(&stale, 1);
				fprintf(stderr, "# stale: hook %ld prog %d: began %ld, ",
					h, p, start);
				fprintf(stderr, "detached %ld, attached %ld\n", d, a);
			}
		}
	}
	return NULL;
}

/* Is program @id still known to the kernel? */
static int prog_exists(__u32 id)
{
	union bpf_attr attr = { .prog_id = id };
	int fd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &attr);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* Heavy: minutes on a debug kernel (KASAN, lockdep). */
FIXTURE(heavy) {};
FIXTURE_SETUP(heavy) {}
FIXTURE_TEARDOWN(heavy) {}

TEST_F_TIMEOUT(heavy, attach_detach_under_load, 1800)
{
	pthread_t w[NWRITERS], r[NREADERS];
	int fd = open("/tmp/checmate-stress", O_CREAT | O_WRONLY, 0600);
	const char *ops = getenv("CHECMATE_STRESS_OPS");
	time_t t0 = time(NULL);
	int left;

	target_ops = ops ? atol(ops) : 100000;
	ASSERT_LE(0, fd);
	close(fd);
	for (int h = 0; h < 2; h++) {
		for (int i = 0; i < NPROGS; i++) {
			progs[h][i] = load_deny_tgid(hooks[h], getpid(), prog_errno[i]);
			ASSERT_LE(0, progs[h][i]) TH_LOG("%s", verifier_log);
			ids[h][i] = prog_id(progs[h][i]);
		}
	}
	for (long i = 0; i < NREADERS; i++)
		ASSERT_EQ(0, pthread_create(&r[i], NULL, reader, (void *)(i % 2)));
	for (long i = 0; i < NWRITERS; i++)
		ASSERT_EQ(0, pthread_create(&w[i], NULL, writer, (void *)(i + 1)));
	for (int i = 0; i < NWRITERS; i++)
		pthread_join(w[i], NULL);
	for (int i = 0; i < NREADERS; i++)
		pthread_join(r[i], NULL);
	TH_LOG("%ld API calls, %ld hook crossings, %ld s", atomic_load(&api_calls) - NWRITERS,
	       atomic_load(&crossings), (long)(time(NULL) - t0));
	EXPECT_EQ(0, atomic_load(&stale));
	EXPECT_EQ(0, atomic_load(&unexpected));

	/* Reset, close: every program must go, once the RCU work has run. */
	for (int h = 0; h < 2; h++) {
		ASSERT_EQ(0, checmate(CHECMATE_OP_RESET, hooks[h], 0, 0));
		for (int i = 0; i < NPROGS; i++)
			close(progs[h][i]);
	}
	for (int tries = 0; tries < 100; tries++) {
		left = 0;
		for (int h = 0; h < 2; h++)
			for (int i = 0; i < NPROGS; i++)
				left += prog_exists(ids[h][i]);
		if (!left)
			break;
		usleep(50000);
	}
	EXPECT_EQ(0, left) TH_LOG("%d programs left behind", left);
}

TEST_HARNESS_MAIN
