// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: monitoring. Log-only programs beside enforcing ones
 * (CHECMATE_ATTACH_F_LOG_ONLY, CHECMATE_OP_SET_PROG_FLAGS), the query's
 * per-program flags (CHECMATE_QUERY_SIZE_VER1), the denial events of
 * /sys/kernel/security/checmate/events, and the hooks file's active=, the
 * state of each hook's LSM static call (a hook without programs costs
 * nothing).
 *
 * How each fails on a kernel without these features: ATTACH and
 * SET_PROG_FLAGS with CHECMATE_ATTACH_F_LOG_ONLY give EINVAL, a query of
 * size 24 or 32 gives EINVAL (only 0 was accepted), the events file does
 * not exist (ENOENT), and the hooks file has no active= and no :log-only
 * (its lines do not parse). On a kernel whose monitor is wrong: a log-only
 * denial that stops the operation or the programs after it, a log-only
 * write to local_port that binds the socket elsewhere, a flag change
 * allowed on a locked hook, an event with another pid, uid, cgroup,
 * verdict or context, a reader that is not woken, a ring that keeps more
 * or fewer than CHECMATE_EVENTS_RING events, a hook left switched on
 * without programs: each is an EXPECT or ASSERT below.
 *
 * Two tests (set_prog_flags_on_a_locked_hook, set_prog_flags_in_frozen_modes)
 * lock task_setnice and freeze task_setscheduler until
 * reboot (no other test locks them or uses them after this one): run
 * before lock_test, as run_all.sh does; run again in the same boot they
 * skip. Programs deny only this test's processes.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "kselftest_harness.h"
#include "common.h"

#define H(x) CHECMATE_HOOK_##x
#define LOG_ONLY CHECMATE_ATTACH_F_LOG_ONLY
#define HOOKS_FILE "/sys/kernel/security/checmate/hooks"
#define EVENTS_FILE "/sys/kernel/security/checmate/events"
#define EV_SIZE sizeof(struct checmate_event)
/* What log-only programs deny with: an errno mkdir(2) never returns. */
#define MON_ERRNO ENOTUNIQ

/* One line of the hooks file. */
struct hline {
	char name[32], mode[16];
	int locked, audit, active;
	unsigned long long runs, denials;
	int n;
	__u32 ids[CHECMATE_MAX_PROGS_PER_HOOK];
	unsigned long long pruns[CHECMATE_MAX_PROGS_PER_HOOK];
	unsigned long long pdenials[CHECMATE_MAX_PROGS_PER_HOOK];
	int log_only[CHECMATE_MAX_PROGS_PER_HOOK];
};

static char hooks_buf[1 << 18];

/* A program of the line: id:runs:denials, then :log-only if flagged. */
static int parse_prog(const char *tok, struct hline *l)
{
	int off = 0, i = l->n;

	if (i >= CHECMATE_MAX_PROGS_PER_HOOK ||
	    sscanf(tok, "%u:%llu:%llu%n", &l->ids[i], &l->pruns[i], &l->pdenials[i], &off) != 3)
		return -1;
	l->log_only[i] = !strcmp(tok + off, ":log-only");
	if (!l->log_only[i] && tok[off])
		return -1;
	l->n++;
	return 0;
}

/*
 * Parse the line of @hook: every field, -1 if one is missing (active=
 * included) or a token is not understood.
 */
static int hooks_line(unsigned int hook, struct hline *l)
{
	char *p, *tok, *save;
	int fd = open(HOOKS_FILE, O_RDONLY), progs = 0, seen = 0;
	ssize_t n, len = 0;

	if (fd < 0)
		return -1;
	while ((n = read(fd, hooks_buf + len, sizeof(hooks_buf) - 1 - len)) > 0)
		len += n;
	close(fd);
	if (n < 0)
		return -1;
	hooks_buf[len] = 0;
	p = hooks_buf;
	for (unsigned int i = 1; i < hook && p; i++) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || !*p)
		return -1;
	p[strcspn(p, "\n")] = 0;
	memset(l, 0, sizeof(*l));
	tok = strtok_r(p, " ", &save);
	if (!tok || strlen(tok) >= sizeof(l->name))
		return -1;
	snprintf(l->name, sizeof(l->name), "%s", tok);
	while ((tok = strtok_r(NULL, " ", &save))) {
		if (progs) {
			if (parse_prog(tok, l))
				return -1;
		} else if (sscanf(tok, "mode=%15s", l->mode) == 1) {
			seen |= 1;
		} else if (sscanf(tok, "locked=%d", &l->locked) == 1) {
			seen |= 2;
		} else if (sscanf(tok, "audit=%d", &l->audit) == 1) {
			seen |= 4;
		} else if (sscanf(tok, "active=%d", &l->active) == 1) {
			seen |= 8;
		} else if (sscanf(tok, "runs=%llu", &l->runs) == 1) {
			seen |= 16;
		} else if (sscanf(tok, "denials=%llu", &l->denials) == 1) {
			seen |= 32;
		} else if (!strncmp(tok, "progs=", 6)) {
			seen |= 64;
			progs = 1;
			if (tok[6] && parse_prog(tok + 6, l))
				return -1;
		} else {
			return -1;
		}
	}
	return seen == 127 ? 0 : -1;
}

/* The slot of program @id in @l, or -1. */
static int slot_of(const struct hline *l, __u32 id)
{
	for (int i = 0; i < l->n; i++)
		if (l->ids[i] == id)
			return i;
	return -1;
}

static int attach_flags(unsigned int hook, int fd, unsigned long flags)
{
	return checmate(CHECMATE_OP_ATTACH, hook, fd, flags);
}

static int set_flags(unsigned int hook, int fd, unsigned long flags)
{
	return checmate(CHECMATE_OP_SET_PROG_FLAGS, hook, fd, flags);
}

/* CHECMATE_OP_QUERY with the given struct size and flags array. */
static int query_sz(unsigned int hook, struct checmate_query *q, __u32 *ids, __u32 cap,
		    __u32 *flags, unsigned long size)
{
	memset(q, 0, sizeof(*q));
	q->prog_cnt = cap;
	q->prog_ids = (uintptr_t)ids;
	q->prog_flags = (uintptr_t)flags;
	return checmate(CHECMATE_OP_QUERY, hook, (uintptr_t)q, size);
}

/* The CHECMATE_ATTACH_F_* flags program @id has on @hook, or -1. */
static long flags_of(unsigned int hook, __u32 id)
{
	__u32 ids[CHECMATE_MAX_PROGS_PER_HOOK], flags[CHECMATE_MAX_PROGS_PER_HOOK];
	struct checmate_query q;

	if (query_sz(hook, &q, ids, CHECMATE_MAX_PROGS_PER_HOOK, flags,
		     CHECMATE_QUERY_SIZE_VER1))
		return -1;
	for (__u32 i = 0; i < q.prog_cnt; i++)
		if (ids[i] == id)
			return flags[i];
	return -1;
}

/* mkdir(2) of @path: 0 (the directory is removed again) or the errno. */
static int mkdir_errno(const char *path)
{
	if (mkdir(path, 0755))
		return errno;
	rmdir(path);
	return 0;
}

/* The events file, opened with @flags and moved past every old event. */
static int events_open(int flags)
{
	int fd = open(EVENTS_FILE, O_RDONLY | flags);

	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static struct checmate_event evbuf[2 * CHECMATE_EVENTS_RING];

/*
 * Read what @fd (O_NONBLOCK) has into evbuf, up to @max events; their
 * count, or -1 for an error other than EAGAIN or a read of a part of an
 * event.
 */
static int events_drain(int fd, int max)
{
	int n = 0;

	while (n < max) {
		ssize_t r = read(fd, evbuf + n, (max - n) * EV_SIZE);

		if (r < 0)
			return errno == EAGAIN ? n : -1;
		if (r == 0 || r % EV_SIZE)
			return -1;
		n += r / EV_SIZE;
	}
	return n;
}

/* Copies the events of evbuf[0..@n) made by program @id to @out. */
static int events_of(int n, __u32 id, struct checmate_event *out, int max)
{
	int k = 0;

	for (int i = 0; i < n && k < max; i++)
		if (evbuf[i].prog_id == id)
			out[k++] = evbuf[i];
	return k;
}

/* Are the seq numbers of evbuf[0..@n) consecutive? */
static int seq_consecutive(int n)
{
	for (int i = 1; i < n; i++)
		if (evbuf[i].seq != evbuf[i - 1].seq + 1)
			return 0;
	return 1;
}

static __u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* A loopback UDP port nobody holds now. */
static int free_port(void)
{
	struct sockaddr_in sin = lo4(0);
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_DGRAM, 0), port = -1;

	if (s < 0)
		return -1;
	if (!bind(s, (struct sockaddr *)&sin, sizeof(sin)) &&
	    !getsockname(s, (struct sockaddr *)&sin, &len))
		port = ntohs(sin.sin_port);
	close(s);
	return port;
}

/* The port a UDP socket bound to loopback port @port really gets, or -1. */
static int bound_port(int port)
{
	struct sockaddr_in sin = lo4(port);
	socklen_t len = sizeof(sin);
	int s = socket(AF_INET, SOCK_DGRAM, 0), got = -1;

	if (s < 0)
		return -1;
	if (!bind(s, (struct sockaddr *)&sin, sizeof(sin)) &&
	    !getsockname(s, (struct sockaddr *)&sin, &len))
		got = ntohs(sin.sin_port);
	close(s);
	return got;
}

/* connect(2) of a TCP socket to loopback port @port: 0 or the errno. */
static int connect_errno(int port)
{
	struct sockaddr_in sin = lo4(port);
	int s = socket(AF_INET, SOCK_STREAM, 0), err = 0;

	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)))
		err = errno;
	close(s);
	return err;
}

#define SOCK_OFF(f) ((int)offsetof(struct checmate_sock_ctx, f))
#define TASK_OFF(f) ((int)offsetof(struct checmate_task_ctx, f))

/*
 * A socket_bind program: for the caller @tgid, a bind to port @from is
 * made a bind to @to; it allows everything.
 */
static int load_port_rewrite(int tgid, int from, int to)
{
	const struct bpf_insn insns[] = {
		MOV64_REG(6, 1),
		CALL(BPF_FUNC_get_current_pid_tgid),
		RSH64_IMM(0, 32),
		JNE_IMM(0, tgid, 3),
		LDX_MEM(BPF_W, 2, 6, SOCK_OFF(local_port)),
		JNE_IMM(2, from, 1),
		ST_MEM(BPF_W, 6, SOCK_OFF(local_port), to),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	return load_prog(H(SOCKET_BIND), insns, ARRAY_LEN(insns));
}

/*
 * 6. active= follows the programs: with none attached, every hook but the
 * two that are always on (task_prctl and bpf: their pre functions) is
 * switched off; an attach switches the hook on and the detach off again.
 * Hooks earlier tests left with programs, locked or frozen are only
 * checked for being on when they have programs.
 */
TEST(active_follows_attach)
{
	int exercised = 0, skipped = 0;

	for (unsigned int hook = 1; hook < __CHECMATE_HOOK_MAX; hook++) {
		int always = hook == H(TASK_PRCTL) || hook == H(BPF), fd, want;
		struct checmate_query q;
		struct hline l;

		ASSERT_EQ(0, cm_query(hook, &q, NULL, 0));
		ASSERT_EQ(0, hooks_line(hook, &l)) TH_LOG("hook %u: no active= or bad line", hook);
		/* On: always, or with programs that run. */
		want = always || (q.prog_cnt && q.mode != CHECMATE_MODE_DISABLED);
		EXPECT_EQ(want, l.active) TH_LOG("%s: %d programs, mode %u", l.name,
						 q.prog_cnt, q.mode);
		if (q.prog_cnt || (q.flags & CHECMATE_QUERY_F_LOCKED) ||
		    (q.mode != CHECMATE_MODE_NORMAL && q.mode != CHECMATE_MODE_LOG_ONLY)) {
			skipped++;
			continue;
		}
		fd = load_ret(hook, 0);
		ASSERT_LE(0, fd) TH_LOG("hook %u: %s", hook, verifier_log);
		ASSERT_EQ(0, cm_attach(hook, fd));
		ASSERT_EQ(0, hooks_line(hook, &l));
		EXPECT_EQ(1, l.active) TH_LOG("%s: attach did not switch it on", l.name);
		ASSERT_EQ(0, cm_detach(hook, fd));
		ASSERT_EQ(0, hooks_line(hook, &l));
		EXPECT_EQ(always, l.active) TH_LOG("%s: detach did not switch it off", l.name);
		close(fd);
		exercised++;
	}
	TH_LOG("%d hooks switched on and off, %d left as they were", exercised, skipped);
	/* Run alone every hook is exercised; after the others, most. */
	EXPECT_LE(__CHECMATE_HOOK_MAX / 2, exercised);
}

/* A hook that stops running its programs (DISABLED) is switched off too. */
TEST(active_follows_mode)
{
	unsigned int hook = H(PATH_SYMLINK);
	int fd = load_ret(hook, 0);
	struct hline l;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, checmate(CHECMATE_OP_RESET, hook, 0, 0));
	ASSERT_EQ(0, cm_attach(hook, fd));
	ASSERT_EQ(0, hooks_line(hook, &l));
	EXPECT_EQ(1, l.active);
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_DISABLED, 0));
	ASSERT_EQ(0, hooks_line(hook, &l));
	EXPECT_EQ(0, l.active);
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_LOG_ONLY, 0));
	ASSERT_EQ(0, hooks_line(hook, &l));
	EXPECT_EQ(1, l.active);
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_NORMAL, 0));
	ASSERT_EQ(0, hooks_line(hook, &l));
	EXPECT_EQ(1, l.active);
	/* A log-only program is run: the hook is on for it. */
	ASSERT_EQ(0, set_flags(hook, fd, LOG_ONLY));
	ASSERT_EQ(0, hooks_line(hook, &l));
	EXPECT_EQ(1, l.active);
	ASSERT_EQ(0, cm_detach(hook, fd));
	ASSERT_EQ(0, hooks_line(hook, &l));
	EXPECT_EQ(0, l.active);
	close(fd);
}

/*
 * 1. A log-only deny program alone: the operation succeeds and an event
 * says what it would have done. Attached first beside an enforcing deny
 * program: the enforcing one still runs and denies, both are counted, and
 * each makes its event, in order.
 */
TEST(monitor_beside_enforcing)
{
	unsigned int hook = H(PATH_MKDIR);
	int mon = load_deny_tgid(hook, getpid(), MON_ERRNO);
	int enf = load_deny_tgid(hook, getpid(), DENY_ERRNO);
	__u32 mon_id = prog_id(mon), enf_id = prog_id(enf);
	struct checmate_event got[4];
	struct checmate_inode_ctx c;
	struct hline before, after;
	char path[64], name[32];
	int efd, n, ms, es;

	ASSERT_LE(0, mon) TH_LOG("%s", verifier_log);
	ASSERT_LE(0, enf);
	snprintf(name, sizeof(name), "cm_monitor_%d", getpid());
	snprintf(path, sizeof(path), "/tmp/%s", name);
	efd = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd) TH_LOG("events: %s", strerror(errno));

	ASSERT_EQ(0, attach_flags(hook, mon, LOG_ONLY)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(LOG_ONLY, flags_of(hook, mon_id));
	ASSERT_EQ(0, mkdir_errno(path));
	n = events_drain(efd, ARRAY_LEN(evbuf));
	ASSERT_LE(0, n);
	ASSERT_EQ(1, events_of(n, mon_id, got, 4));
	EXPECT_EQ(hook, got[0].hook);
	EXPECT_EQ(-MON_ERRNO, got[0].verdict);
	EXPECT_EQ(CHECMATE_EVENT_LOG_ONLY, got[0].outcome);
	EXPECT_EQ(CHECMATE_EVENT_F_PROG_LOG_ONLY, got[0].flags);
	EXPECT_EQ(getpid(), got[0].pid);
	EXPECT_EQ(sizeof(c), got[0].ctx_size);
	memcpy(&c, got[0].ctx, sizeof(c));
	EXPECT_STREQ(name, c.name);
	EXPECT_EQ(strlen(name), c.name_len);
	EXPECT_EQ(S_IFDIR, c.mode & S_IFMT);

	ASSERT_EQ(0, attach_flags(hook, enf, 0));
	ASSERT_EQ(0, hooks_line(hook, &before));
	EXPECT_EQ(DENY_ERRNO, mkdir_errno(path));
	ASSERT_EQ(0, hooks_line(hook, &after));
	ms = slot_of(&after, mon_id);
	es = slot_of(&after, enf_id);
	ASSERT_LE(0, ms);
	ASSERT_EQ(ms + 1, es);
	EXPECT_EQ(1, after.log_only[ms]);
	EXPECT_EQ(0, after.log_only[es]);
	/* Both ran and both denied, the monitor first. */
	EXPECT_EQ(before.pruns[ms] + 1, after.pruns[ms]);
	EXPECT_EQ(before.pdenials[ms] + 1, after.pdenials[ms]);
	EXPECT_EQ(before.pruns[es] + 1, after.pruns[es]);
	EXPECT_EQ(before.pdenials[es] + 1, after.pdenials[es]);
	EXPECT_LE(before.denials + 1, after.denials);
	n = events_drain(efd, ARRAY_LEN(evbuf));
	ASSERT_LE(0, n);
	ASSERT_EQ(1, events_of(n, mon_id, got, 1));
	ASSERT_EQ(1, events_of(n, enf_id, got + 1, 1));
	EXPECT_EQ(CHECMATE_EVENT_LOG_ONLY, got[0].outcome);
	EXPECT_EQ(CHECMATE_EVENT_F_PROG_LOG_ONLY, got[0].flags);
	EXPECT_EQ(CHECMATE_EVENT_DENIED, got[1].outcome);
	EXPECT_EQ(0, got[1].flags);
	EXPECT_EQ(-DENY_ERRNO, got[1].verdict);
	EXPECT_LT(got[0].seq, got[1].seq);

	/* Only the enforcing one detached: the monitor lets it through. */
	ASSERT_EQ(0, cm_detach(hook, enf));
	EXPECT_EQ(0, mkdir_errno(path));
	ASSERT_EQ(0, cm_detach(hook, mon));
	close(efd);
	close(mon);
	close(enf);
}

/*
 * 1. The programs after a monitor run as if it had allowed: two monitors
 * both run and both report, and the operation succeeds.
 */
TEST(monitors_all_run)
{
	unsigned int hook = H(PATH_MKDIR);
	int m1 = load_deny_tgid(hook, getpid(), MON_ERRNO);
	int m2 = load_deny_tgid(hook, getpid(), DENY_ERRNO);
	struct checmate_event got[2];
	char path[64];
	int efd, n;

	ASSERT_LE(0, m1);
	ASSERT_LE(0, m2);
	snprintf(path, sizeof(path), "/tmp/cm_monitors_%d", getpid());
	efd = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, attach_flags(hook, m1, LOG_ONLY));
	ASSERT_EQ(0, attach_flags(hook, m2, LOG_ONLY));
	EXPECT_EQ(0, mkdir_errno(path));
	ASSERT_EQ(0, cm_detach(hook, m1));
	ASSERT_EQ(0, cm_detach(hook, m2));
	n = events_drain(efd, ARRAY_LEN(evbuf));
	ASSERT_LE(0, n);
	ASSERT_EQ(1, events_of(n, prog_id(m1), got, 1));
	ASSERT_EQ(1, events_of(n, prog_id(m2), got + 1, 1));
	EXPECT_EQ(-MON_ERRNO, got[0].verdict);
	EXPECT_EQ(-DENY_ERRNO, got[1].verdict);
	EXPECT_EQ(got[0].seq + 1, got[1].seq);
	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(CHECMATE_EVENT_LOG_ONLY, got[i].outcome);
		EXPECT_EQ(CHECMATE_EVENT_F_PROG_LOG_ONLY, got[i].flags);
	}
	close(efd);
	close(m1);
	close(m2);
}

/*
 * 2. local_port written by a log-only program is not what the socket binds
 * to, nor what the programs after it see (they may still change it); the
 * same program enforcing (its flag cleared, or attached without it)
 * rebinds the socket.
 */
TEST(log_only_writes_are_discarded)
{
	unsigned int hook = H(SOCKET_BIND);
	int from = free_port(), to1 = free_port(), to2 = free_port();
	int w1, w2;

	ASSERT_LT(0, from);
	ASSERT_LT(0, to1);
	ASSERT_LT(0, to2);
	ASSERT_NE(from, to1);
	ASSERT_NE(from, to2);
	ASSERT_NE(to1, to2);
	w1 = load_port_rewrite(getpid(), from, to1);
	w2 = load_port_rewrite(getpid(), from, to2);
	ASSERT_LE(0, w1) TH_LOG("%s", verifier_log);
	ASSERT_LE(0, w2);

	ASSERT_EQ(0, attach_flags(hook, w1, LOG_ONLY)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(from, bound_port(from));
	/* The monitor's write does not take the field from w2. */
	ASSERT_EQ(0, cm_attach(hook, w2));
	EXPECT_EQ(to2, bound_port(from));
	ASSERT_EQ(0, cm_detach(hook, w2));
	EXPECT_EQ(from, bound_port(from));
	/* Enforcing, its write counts. */
	ASSERT_EQ(0, set_flags(hook, w1, 0));
	EXPECT_EQ(to1, bound_port(from));
	ASSERT_EQ(0, set_flags(hook, w1, LOG_ONLY));
	EXPECT_EQ(from, bound_port(from));
	ASSERT_EQ(0, cm_detach(hook, w1));
	ASSERT_EQ(0, attach_flags(hook, w1, 0));
	EXPECT_EQ(to1, bound_port(from));
	ASSERT_EQ(0, cm_detach(hook, w1));
	close(w1);
	close(w2);
}

/*
 * 2b. A monitor that starts enforcing moves to the end of the list, where
 * attaching it would put it: it cannot take a writable field from a
 * program attached after it (and maybe locked since). On the kernel that
 * kept its place, the bind got the monitor's port.
 */
TEST(enforcing_monitor_moves_last)
{
	unsigned int hook = H(SOCKET_BIND);
	int from = free_port(), to_m = free_port(), to_p = free_port();
	int m, p;

	ASSERT_LT(0, from);
	ASSERT_LT(0, to_m);
	ASSERT_LT(0, to_p);
	ASSERT_NE(to_m, to_p);
	ASSERT_NE(from, to_m);
	ASSERT_NE(from, to_p);
	m = load_port_rewrite(getpid(), from, to_m);
	p = load_port_rewrite(getpid(), from, to_p);
	ASSERT_LE(0, m) TH_LOG("%s", verifier_log);
	ASSERT_LE(0, p);
	ASSERT_EQ(0, attach_flags(hook, m, LOG_ONLY));
	ASSERT_EQ(0, cm_attach(hook, p));
	EXPECT_EQ(to_p, bound_port(from));
	ASSERT_EQ(0, set_flags(hook, m, 0));
	/* p decided first, and keeps the field. */
	EXPECT_EQ(to_p, bound_port(from));
	ASSERT_EQ(0, cm_detach(hook, p));
	EXPECT_EQ(to_m, bound_port(from));
	ASSERT_EQ(0, cm_detach(hook, m));
	close(m);
	close(p);
}

/*
 * 3. SET_PROG_FLAGS switches a program between enforcing and reporting,
 * seen by the operation, the query, the hooks file and the events.
 */
TEST(set_prog_flags_switches_enforcement)
{
	unsigned int hook = H(PATH_MKDIR);
	int prog = load_deny_tgid(hook, getpid(), DENY_ERRNO), efd, n, s;
	__u32 id = prog_id(prog);
	/* Denied, then two log-only, then denied again. */
	const __u32 want[] = {
		CHECMATE_EVENT_DENIED, CHECMATE_EVENT_LOG_ONLY,
		CHECMATE_EVENT_LOG_ONLY, CHECMATE_EVENT_DENIED,
	};
	struct checmate_event got[8];
	struct hline l;
	char path[64];

	ASSERT_LE(0, prog);
	snprintf(path, sizeof(path), "/tmp/cm_flags_%d", getpid());
	efd = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, cm_attach(hook, prog));
	EXPECT_EQ(DENY_ERRNO, mkdir_errno(path));
	EXPECT_EQ(0, flags_of(hook, id));

	ASSERT_EQ(0, set_flags(hook, prog, LOG_ONLY)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, mkdir_errno(path));
	EXPECT_EQ(LOG_ONLY, flags_of(hook, id));
	ASSERT_EQ(0, hooks_line(hook, &l));
	s = slot_of(&l, id);
	ASSERT_LE(0, s);
	EXPECT_EQ(1, l.log_only[s]);
	/* Setting what is set changes nothing. */
	ASSERT_EQ(0, set_flags(hook, prog, LOG_ONLY));
	EXPECT_EQ(0, mkdir_errno(path));

	ASSERT_EQ(0, set_flags(hook, prog, 0));
	EXPECT_EQ(DENY_ERRNO, mkdir_errno(path));
	EXPECT_EQ(0, flags_of(hook, id));
	ASSERT_EQ(0, hooks_line(hook, &l));
	EXPECT_EQ(0, l.log_only[slot_of(&l, id)]);

	n = events_drain(efd, ARRAY_LEN(evbuf));
	ASSERT_LE(0, n);
	ASSERT_EQ(ARRAY_LEN(want), events_of(n, id, got, ARRAY_LEN(got)));
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		EXPECT_EQ(want[i], got[i].outcome) TH_LOG("event %zu", i);
		EXPECT_EQ(want[i] == CHECMATE_EVENT_LOG_ONLY ?
			  CHECMATE_EVENT_F_PROG_LOG_ONLY : 0, got[i].flags);
		EXPECT_EQ(-DENY_ERRNO, got[i].verdict);
	}

	/* Where detaching is allowed, so is setting LOG_ONLY. */
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_DISABLED, 0));
	EXPECT_EQ(0, set_flags(hook, prog, LOG_ONLY));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_LOG_ONLY, 0));
	EXPECT_EQ(0, set_flags(hook, prog, 0));
	EXPECT_EQ(0, set_flags(hook, prog, LOG_ONLY));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_NORMAL, 0));
	EXPECT_EQ(LOG_ONLY, flags_of(hook, id));
	EXPECT_EQ(0, mkdir_errno(path));
	ASSERT_EQ(0, cm_detach(hook, prog));
	close(efd);
	close(prog);
}

/* 3. Bad flags and programs that are not there; nothing changes. */
TEST(set_prog_flags_errors)
{
	unsigned int hook = H(PATH_MKDIR);
	int prog = load_deny_tgid(hook, getpid(), DENY_ERRNO);
	int other = load_ret(hook, 0);
	const unsigned long bad[] = { 2, 3, 1UL << 31, -1UL };
	char path[64];

	ASSERT_LE(0, prog);
	ASSERT_LE(0, other);
	snprintf(path, sizeof(path), "/tmp/cm_errors_%d", getpid());
	/* Unknown attach flags: EINVAL, and not attached. */
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		EXPECT_EQ(-1, attach_flags(hook, prog, bad[i]));
		EXPECT_EQ(EINVAL, errno) TH_LOG("attach flags %#lx", bad[i]);
		EXPECT_EQ(0, attached(hook, prog_id(prog)));
	}
	/* Not attached: ENOENT. */
	EXPECT_EQ(-1, set_flags(hook, prog, LOG_ONLY));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-1, set_flags(hook, prog, 0));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, cm_attach(hook, prog));
	EXPECT_EQ(-1, set_flags(hook, other, LOG_ONLY));
	EXPECT_EQ(ENOENT, errno);
	/* Unknown flags: EINVAL, the program still enforcing. */
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		EXPECT_EQ(-1, set_flags(hook, prog, bad[i]));
		EXPECT_EQ(EINVAL, errno) TH_LOG("flags %#lx", bad[i]);
	}
	EXPECT_EQ(0, flags_of(hook, prog_id(prog)));
	EXPECT_EQ(DENY_ERRNO, mkdir_errno(path));
	/* Not a program. */
	EXPECT_EQ(-1, set_flags(hook, -1, LOG_ONLY));
	EXPECT_NE(0, errno);
	ASSERT_EQ(0, cm_detach(hook, prog));
	EXPECT_EQ(-1, set_flags(hook, prog, LOG_ONLY));
	EXPECT_EQ(ENOENT, errno);
	close(other);
	close(prog);
}

/*
 * 4. QUERY: size 0 and CHECMATE_QUERY_SIZE_VER0 (24) leave prog_flags
 * alone, CHECMATE_QUERY_SIZE_VER1 (32) fills it per program (also when
 * the buffer is too small, as far as it goes); any other size is EINVAL.
 */
TEST(query_sizes)
{
	unsigned int hook = H(PATH_SYMLINK);
	int a = load_ret(hook, 0), b = load_ret(hook, 0);
	__u32 ids[CHECMATE_MAX_PROGS_PER_HOOK], flags[CHECMATE_MAX_PROGS_PER_HOOK];
	const unsigned long bad[] = { 1, 8, 16, 20, 23, 25, 28, 31, 33, 40, 64, 4096, -1UL };
	const unsigned long old[] = { 0, CHECMATE_QUERY_SIZE_VER0 };
	struct checmate_query q;
	int ia, ib;

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(24, CHECMATE_QUERY_SIZE_VER0);
	ASSERT_EQ(32, CHECMATE_QUERY_SIZE_VER1);
	ASSERT_EQ(32, sizeof(struct checmate_query));
	ASSERT_EQ(0, checmate(CHECMATE_OP_RESET, hook, 0, 0));
	ASSERT_EQ(0, attach_flags(hook, a, LOG_ONLY));
	ASSERT_EQ(0, cm_attach(hook, b));

	for (size_t i = 0; i < ARRAY_LEN(old); i++) {
		memset(flags, 0xaa, sizeof(flags));
		ASSERT_EQ(0, query_sz(hook, &q, ids, ARRAY_LEN(ids), flags, old[i]))
			TH_LOG("size %lu: %s", old[i], strerror(errno));
		ASSERT_EQ(2, q.prog_cnt);
		EXPECT_EQ(prog_id(a), ids[0]);
		EXPECT_EQ(prog_id(b), ids[1]);
		EXPECT_EQ(0xaaaaaaaa, flags[0]) TH_LOG("size %lu wrote prog_flags", old[i]);
		EXPECT_EQ(0xaaaaaaaa, flags[1]);
	}

	memset(flags, 0xaa, sizeof(flags));
	ASSERT_EQ(0, query_sz(hook, &q, ids, ARRAY_LEN(ids), flags, CHECMATE_QUERY_SIZE_VER1))
		TH_LOG("%s", strerror(errno));
	ASSERT_EQ(2, q.prog_cnt);
	ia = ids[0] == prog_id(a) ? 0 : 1;
	ib = 1 - ia;
	EXPECT_EQ(prog_id(a), ids[ia]);
	EXPECT_EQ(prog_id(b), ids[ib]);
	EXPECT_EQ(LOG_ONLY, flags[ia]);
	EXPECT_EQ(0, flags[ib]);
	EXPECT_EQ(0xaaaaaaaa, flags[2]);
	/* No prog_flags array: only the ids. */
	ASSERT_EQ(0, query_sz(hook, &q, ids, ARRAY_LEN(ids), NULL, CHECMATE_QUERY_SIZE_VER1));
	EXPECT_EQ(2, q.prog_cnt);
	/* Room for one: ENOSPC after filling it. */
	memset(flags, 0xaa, sizeof(flags));
	EXPECT_EQ(-1, query_sz(hook, &q, ids, 1, flags, CHECMATE_QUERY_SIZE_VER1));
	EXPECT_EQ(ENOSPC, errno);
	EXPECT_EQ(2, q.prog_cnt);
	EXPECT_EQ(LOG_ONLY, flags[0]);
	EXPECT_EQ(0xaaaaaaaa, flags[1]);
	/* Count only. */
	ASSERT_EQ(0, query_sz(hook, &q, NULL, 0, NULL, CHECMATE_QUERY_SIZE_VER1));
	EXPECT_EQ(2, q.prog_cnt);

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		memset(flags, 0xaa, sizeof(flags));
		EXPECT_EQ(-1, query_sz(hook, &q, ids, ARRAY_LEN(ids), flags, bad[i]));
		EXPECT_EQ(EINVAL, errno) TH_LOG("size %lu", bad[i]);
		EXPECT_EQ(0xaaaaaaaa, flags[0]);
	}
	/* reserved must still be 0, in both sizes. */
	memset(&q, 0, sizeof(q));
	q.reserved = 1;
	EXPECT_EQ(-1, checmate(CHECMATE_OP_QUERY, hook, (uintptr_t)&q, CHECMATE_QUERY_SIZE_VER1));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, checmate(CHECMATE_OP_RESET, hook, 0, 0));
	close(a);
	close(b);
}

/* The caller's cgroup v2 directory, under /sys/fs/cgroup; "" if unknown. */
static void own_cgroup(char *path, size_t size)
{
	char line[512];
	FILE *f = fopen("/proc/self/cgroup", "r");

	path[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(path, size, "/sys/fs/cgroup%s", line + 3);
	}
	fclose(f);
}

/* The cgroup id of @dir as name_to_handle_at(2) gives it; 0 on error. */
static __u64 cgroup_handle_id(const char *dir)
{
	__u64 buf[(sizeof(struct file_handle) + 8 + 7) / 8];
	struct file_handle *fh = (struct file_handle *)buf;
	__u64 id;
	int mnt;

	fh->handle_bytes = sizeof(id);
	if (name_to_handle_at(AT_FDCWD, dir, fh, &mnt, 0) || fh->handle_bytes != sizeof(id))
		return 0;
	memcpy(&id, fh->f_handle, sizeof(id));
	return id;
}

struct denier {
	int port, err;
	pid_t tid;
};

static void *deny_in_thread(void *arg)
{
	struct denier *d = arg;

	d->tid = gettid();
	d->err = connect_errno(d->port);
	return NULL;
}

/*
 * 5. An enforced denial makes one event that names the hook, the program,
 * its errno and the caller (pid, tid, euid, comm, cgroup), and holds the
 * hook's context with the operation's values: here the connect's port.
 * The hook's audit flag is off. Made by the main thread, another thread
 * and a child with another euid and comm, in a cgroup of the test's own.
 * An allowed operation makes none.
 */
TEST(event_describes_the_denial)
{
	unsigned int hook = H(SOCKET_CONNECT);
	int port = free_port(), other = free_port(), prog, efd, n, status;
	char cg[600], old_cg[600], comm[16] = "", pidstr[16];
	struct checmate_event got[4];
	struct checmate_sock_ctx c;
	struct checmate_query q;
	struct denier d = { 0 };
	__u64 cg_id, t0, t1;
	struct stat st;
	pthread_t th;
	pid_t child;

	ASSERT_LT(0, port);
	ASSERT_LT(0, other);
	ASSERT_NE(port, other);
	/* Any caller's connect to @port: the child's too. */
	prog = load_deny_if(hook, 0, SOCK_OFF(remote_port), 4, port, DENY_ERRNO);
	ASSERT_LE(0, prog) TH_LOG("%s", verifier_log);
	ASSERT_EQ(0, cm_query(hook, &q, NULL, 0));
	ASSERT_EQ(0, q.flags & CHECMATE_QUERY_F_AUDIT) TH_LOG("audit is on");

	/* A cgroup of our own: its id is not the root's 1. */
	own_cgroup(old_cg, sizeof(old_cg));
	ASSERT_NE(0, old_cg[0]);
	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/cm_monitor_%d", getpid());
	ASSERT_EQ(0, mkdir(cg, 0755));
	ASSERT_EQ(0, stat(cg, &st));
	cg_id = cgroup_handle_id(cg);
	EXPECT_EQ(st.st_ino, cg_id);
	snprintf(pidstr, sizeof(pidstr), "%d", getpid());
	{
		char procs[700];

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
		ASSERT_EQ(0, write_str(procs, pidstr));
	}
	ASSERT_EQ(cg_id, own_cgroup_id());

	efd = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd) TH_LOG("events: %s", strerror(errno));
	ASSERT_EQ(0, cm_attach(hook, prog));
	prctl(PR_GET_NAME, comm);
	t0 = now_ns();
	EXPECT_EQ(DENY_ERRNO, connect_errno(port));
	t1 = now_ns();
	/* Allowed: refused by TCP, no event. */
	EXPECT_EQ(ECONNREFUSED, connect_errno(other));
	d.port = port;
	ASSERT_EQ(0, pthread_create(&th, NULL, deny_in_thread, &d));
	ASSERT_EQ(0, pthread_join(th, NULL));
	EXPECT_EQ(DENY_ERRNO, d.err);
	EXPECT_NE(getpid(), d.tid);
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		prctl(PR_SET_NAME, "cm-child");
		if (setresuid(0, 4242, 0))
			_exit(100);
		_exit(connect_errno(port));
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_EQ(DENY_ERRNO, WEXITSTATUS(status));
	ASSERT_EQ(0, cm_detach(hook, prog));

	n = events_drain(efd, ARRAY_LEN(evbuf));
	ASSERT_LE(0, n);
	EXPECT_EQ(1, seq_consecutive(n));
	ASSERT_EQ(3, events_of(n, prog_id(prog), got, 4));
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(hook, got[i].hook);
		EXPECT_EQ(prog_id(prog), got[i].prog_id);
		EXPECT_EQ(-DENY_ERRNO, got[i].verdict);
		EXPECT_EQ(CHECMATE_EVENT_DENIED, got[i].outcome);
		EXPECT_EQ(0, got[i].flags);
		EXPECT_EQ(cg_id, got[i].cgroup_id);
		EXPECT_EQ(0, got[i].reserved);
		EXPECT_EQ(sizeof(c), got[i].ctx_size);
		memcpy(&c, got[i].ctx, sizeof(c));
		EXPECT_EQ(AF_INET, c.family);
		EXPECT_EQ(SOCK_STREAM, c.type);
		EXPECT_EQ(IPPROTO_TCP, c.protocol);
		EXPECT_EQ(port, c.remote_port);
		EXPECT_EQ(htonl(INADDR_LOOPBACK), c.remote_ip4);
		EXPECT_NE(0, c.info & CHECMATE_SOCK_F_REMOTE);
		EXPECT_EQ(cg_id, c.cgroup_id);
		/* Nothing after the context. */
		for (size_t b = sizeof(c); b < CHECMATE_EVENT_CTX_MAX; b++)
			if (got[i].ctx[b]) {
				EXPECT_EQ(0, got[i].ctx[b]) TH_LOG("ctx byte %zu", b);
				break;
			}
		if (i)
			EXPECT_LT(got[i - 1].seq, got[i].seq);
	}
	EXPECT_LE(t0, got[0].time_ns);
	EXPECT_GE(t1, got[0].time_ns);
	EXPECT_EQ(getpid(), got[0].pid);
	EXPECT_EQ(getpid(), got[0].tid);
	EXPECT_EQ(0, got[0].uid);
	EXPECT_STREQ(comm, got[0].comm);
	EXPECT_EQ(getpid(), got[1].pid);
	EXPECT_EQ(d.tid, got[1].tid);
	EXPECT_EQ(child, got[2].pid);
	EXPECT_EQ(child, got[2].tid);
	EXPECT_EQ(4242, got[2].uid);
	EXPECT_STREQ("cm-child", got[2].comm);
	close(efd);

	snprintf(cg, sizeof(cg), "%s/cgroup.procs", old_cg);
	EXPECT_EQ(0, write_str(cg, pidstr));
	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/cm_monitor_%d", getpid());
	EXPECT_EQ(0, rmdir(cg));
	close(prog);
}

/* 5. With the audit flag on there is still one event per denial. */
TEST(event_once_with_audit)
{
	unsigned int hook = H(PATH_MKDIR);
	int prog = load_deny_tgid(hook, getpid(), DENY_ERRNO), efd, n;
	struct checmate_event got[4];
	char path[64];

	ASSERT_LE(0, prog);
	snprintf(path, sizeof(path), "/tmp/cm_audit_%d", getpid());
	efd = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, cm_attach(hook, prog));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_AUDIT, hook, 1, 0));
	EXPECT_EQ(DENY_ERRNO, mkdir_errno(path));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_AUDIT, hook, 0, 0));
	EXPECT_EQ(DENY_ERRNO, mkdir_errno(path));
	ASSERT_EQ(0, cm_detach(hook, prog));
	n = events_drain(efd, ARRAY_LEN(evbuf));
	ASSERT_LE(0, n);
	EXPECT_EQ(2, events_of(n, prog_id(prog), got, 4));
	close(efd);
	close(prog);
}

/*
 * 5. A hook in CHECMATE_MODE_LOG_ONLY: the denial is an event with outcome
 * LOG_ONLY (the program's own flag not set), the operation succeeds.
 */
TEST(event_of_log_only_mode)
{
	unsigned int hook = H(PATH_MKDIR);
	int prog = load_deny_tgid(hook, getpid(), DENY_ERRNO), efd, n;
	struct checmate_event got[4];
	char path[64];

	ASSERT_LE(0, prog);
	snprintf(path, sizeof(path), "/tmp/cm_logmode_%d", getpid());
	efd = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, cm_attach(hook, prog));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_LOG_ONLY, 0));
	EXPECT_EQ(0, mkdir_errno(path));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_NORMAL, 0));
	EXPECT_EQ(DENY_ERRNO, mkdir_errno(path));
	ASSERT_EQ(0, set_flags(hook, prog, LOG_ONLY));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_LOG_ONLY, 0));
	EXPECT_EQ(0, mkdir_errno(path));
	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_NORMAL, 0));
	ASSERT_EQ(0, cm_detach(hook, prog));
	n = events_drain(efd, ARRAY_LEN(evbuf));
	ASSERT_LE(0, n);
	ASSERT_EQ(3, events_of(n, prog_id(prog), got, 4));
	EXPECT_EQ(CHECMATE_EVENT_LOG_ONLY, got[0].outcome);
	EXPECT_EQ(0, got[0].flags);
	EXPECT_EQ(-DENY_ERRNO, got[0].verdict);
	EXPECT_EQ(CHECMATE_EVENT_DENIED, got[1].outcome);
	EXPECT_EQ(got[0].seq + 1, got[1].seq);
	/* A monitor in log-only mode: both say so. */
	EXPECT_EQ(CHECMATE_EVENT_LOG_ONLY, got[2].outcome);
	EXPECT_EQ(CHECMATE_EVENT_F_PROG_LOG_ONLY, got[2].flags);
	close(efd);
	close(prog);
}

/*
 * 5. read(2): EINVAL for less than one event (which stays to be read),
 * whole events only, EAGAIN with O_NONBLOCK when there is nothing new;
 * a new file reads from the oldest event kept, lseek(SEEK_END) skips them.
 */
TEST(event_read_rules)
{
	unsigned int hook = H(PATH_MKDIR);
	int prog = load_deny_tgid(hook, getpid(), DENY_ERRNO), efd, fd2;
	char path[64], buf[3 * EV_SIZE / 2];
	struct checmate_event ev;
	struct stat st;
	__u64 seq;

	ASSERT_LE(0, prog);
	ASSERT_EQ(0, stat(EVENTS_FILE, &st)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0400, st.st_mode & 07777);
	snprintf(path, sizeof(path), "/tmp/cm_read_%d", getpid());
	efd = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd);
	EXPECT_EQ(-1, read(efd, &ev, EV_SIZE));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, cm_attach(hook, prog));
	EXPECT_EQ(DENY_ERRNO, mkdir_errno(path));
	ASSERT_EQ(0, cm_detach(hook, prog));
	EXPECT_EQ(-1, read(efd, buf, EV_SIZE - 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, read(efd, buf, 1));
	EXPECT_EQ(EINVAL, errno);
	/* One and a half events' room: one event. */
	ASSERT_EQ(EV_SIZE, read(efd, buf, sizeof(buf)));
	memcpy(&ev, buf, sizeof(ev));
	EXPECT_EQ(prog_id(prog), ev.prog_id);
	EXPECT_EQ(-1, read(efd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);

	/* A new reader starts at the oldest kept: ours or one before. */
	seq = ev.seq;
	fd2 = open(EVENTS_FILE, O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(EV_SIZE, read(fd2, buf, EV_SIZE));
	memcpy(&ev, buf, sizeof(ev));
	EXPECT_GE(seq, ev.seq);
	EXPECT_LT(seq, ev.seq + CHECMATE_EVENTS_RING);
	EXPECT_LE(0, lseek(fd2, 0, SEEK_END));
	EXPECT_EQ(-1, read(fd2, buf, EV_SIZE));
	EXPECT_EQ(EAGAIN, errno);
	close(fd2);
	close(efd);
	close(prog);
}

/* 5. poll(2): nothing new times out; a denial makes the file readable. */
TEST(event_poll)
{
	unsigned int hook = H(PATH_MKDIR);
	int prog = load_deny_tgid(hook, getpid(), DENY_ERRNO), efd;
	struct pollfd p = { .events = POLLIN };
	struct checmate_event ev;
	char path[64];

	ASSERT_LE(0, prog);
	snprintf(path, sizeof(path), "/tmp/cm_poll_%d", getpid());
	efd = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd);
	p.fd = efd;
	EXPECT_EQ(0, poll(&p, 1, 200));
	ASSERT_EQ(0, cm_attach(hook, prog));
	EXPECT_EQ(DENY_ERRNO, mkdir_errno(path));
	ASSERT_EQ(0, cm_detach(hook, prog));
	EXPECT_EQ(1, poll(&p, 1, 2000));
	EXPECT_NE(0, p.revents & POLLIN);
	ASSERT_EQ(EV_SIZE, read(efd, &ev, EV_SIZE));
	EXPECT_EQ(prog_id(prog), ev.prog_id);
	p.revents = 0;
	EXPECT_EQ(0, poll(&p, 1, 0));
	close(efd);
	close(prog);
}

struct reader {
	int fd;
	int done;		/* __atomic */
	ssize_t ret;
	struct checmate_event ev;
};

static void *blocking_read(void *arg)
{
	struct reader *r = arg;

	r->ret = read(r->fd, &r->ev, EV_SIZE);
	__atomic_store_n(&r->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* 5. A blocking read in one thread is woken by a denial in another. */
TEST(event_wakes_a_blocked_reader)
{
	unsigned int hook = H(PATH_MKDIR);
	int prog = load_deny_tgid(hook, getpid(), DENY_ERRNO);
	struct reader r = { 0 };
	char path[64];
	pthread_t th;

	ASSERT_LE(0, prog);
	snprintf(path, sizeof(path), "/tmp/cm_wake_%d", getpid());
	r.fd = events_open(0);
	ASSERT_LE(0, r.fd);
	ASSERT_EQ(0, pthread_create(&th, NULL, blocking_read, &r));
	usleep(300000);
	EXPECT_EQ(0, __atomic_load_n(&r.done, __ATOMIC_SEQ_CST)) TH_LOG("read did not block");
	ASSERT_EQ(0, cm_attach(hook, prog));
	EXPECT_EQ(DENY_ERRNO, mkdir_errno(path));
	ASSERT_EQ(0, cm_detach(hook, prog));
	for (int i = 0; i < 500 && !__atomic_load_n(&r.done, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	ASSERT_EQ(1, __atomic_load_n(&r.done, __ATOMIC_SEQ_CST)) TH_LOG("the reader was not woken");
	pthread_join(th, NULL);
	EXPECT_EQ(EV_SIZE, r.ret);
	EXPECT_EQ(prog_id(prog), r.ev.prog_id);
	EXPECT_EQ(gettid(), r.ev.tid);
	close(r.fd);
	close(prog);
}

static void on_alarm(int sig)
{
}

/*
 * 5. A blocked reader is interruptible: a signal without SA_RESTART ends
 * the read with EINTR, SIGKILL ends the process.
 */
TEST(event_blocked_reader_is_interruptible)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct checmate_event ev;
	int fd = events_open(0), status;
	pid_t pid;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	alarm(1);
	EXPECT_EQ(-1, read(fd, &ev, EV_SIZE));
	EXPECT_EQ(EINTR, errno);
	close(fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		fd = events_open(0);
		if (fd < 0)
			_exit(1);
		read(fd, &ev, EV_SIZE);
		_exit(2);
	}
	usleep(300000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
}

/*
 * 5. verdict is what the denial was, a negative errno: a program that
 * returns 1 denies with EPERM, and the event says -EPERM.
 */
TEST(event_verdict_is_the_errno)
{
	unsigned int hook = H(PATH_MKDIR);
	int prog = load_deny_tgid(hook, getpid(), -1), efd, n;
	struct checmate_event got[2];
	char path[64];

	ASSERT_LE(0, prog);
	snprintf(path, sizeof(path), "/tmp/cm_verdict_%d", getpid());
	efd = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, cm_attach(hook, prog));
	EXPECT_EQ(EPERM, mkdir_errno(path));
	ASSERT_EQ(0, cm_detach(hook, prog));
	n = events_drain(efd, ARRAY_LEN(evbuf));
	ASSERT_LE(0, n);
	ASSERT_EQ(1, events_of(n, prog_id(prog), got, 2));
	EXPECT_EQ(-EPERM, got[0].verdict);
	close(efd);
	close(prog);
}

/*
 * 5. A reader that does not read while more than CHECMATE_EVENTS_RING
 * denials happen loses the oldest: it reads exactly the last
 * CHECMATE_EVENTS_RING, consecutive, and the gap from the first denial it
 * missed is the count lost.
 */
TEST(event_ring_overflow)
{
	unsigned int hook = H(PATH_MKDIR);
	int prog = load_deny_tgid(hook, getpid(), DENY_ERRNO), efd, fd1, n;
	const int extra = 100, total = CHECMATE_EVENTS_RING + extra;
	struct checmate_event first;
	char path[64];

	ASSERT_LE(0, prog);
	snprintf(path, sizeof(path), "/tmp/cm_ring_%d", getpid());
	efd = events_open(O_NONBLOCK);
	fd1 = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_LE(0, fd1);
	ASSERT_EQ(0, cm_attach(hook, prog));
	EXPECT_EQ(DENY_ERRNO, mkdir_errno(path));
	/* The first denial's seq, read by another file. */
	ASSERT_EQ(EV_SIZE, read(fd1, &first, EV_SIZE));
	ASSERT_EQ(prog_id(prog), first.prog_id);
	for (int i = 1; i < total; i++)
		ASSERT_EQ(DENY_ERRNO, mkdir_errno(path));
	ASSERT_EQ(0, cm_detach(hook, prog));
	n = events_drain(efd, ARRAY_LEN(evbuf));
	ASSERT_EQ(CHECMATE_EVENTS_RING, n);
	EXPECT_EQ(1, seq_consecutive(n));
	EXPECT_EQ(evbuf[n - 1].seq + 1 - CHECMATE_EVENTS_RING, evbuf[0].seq);
	EXPECT_LE(first.seq + total - 1, evbuf[n - 1].seq);
	/* The gap: the oldest events of ours are gone. */
	EXPECT_LE(first.seq + extra, evbuf[0].seq);
	EXPECT_EQ(prog_id(prog), evbuf[n - 1].prog_id);
	close(fd1);
	close(efd);
	close(prog);
}

/*
 * A socket_bind program: for the caller @tgid, a bind to port @from is
 * rewritten to @to and denied with DENY_ERRNO.
 */
static int load_rewrite_and_deny(int tgid, int from, int to)
{
	const struct bpf_insn insns[] = {
		MOV64_REG(6, 1),
		CALL(BPF_FUNC_get_current_pid_tgid),
		RSH64_IMM(0, 32),
		JNE_IMM(0, tgid, 5),
		LDX_MEM(BPF_W, 2, 6, SOCK_OFF(local_port)),
		JNE_IMM(2, from, 3),
		ST_MEM(BPF_W, 6, SOCK_OFF(local_port), to),
		MOV64_IMM(0, -DENY_ERRNO),
		EXIT(),
		MOV64_IMM(0, 0),
		EXIT(),
	};

	return load_prog(H(SOCKET_BIND), insns, ARRAY_LEN(insns));
}

/*
 * 5. The event's context is the hook's context as the denying program was
 * given it (the UAPI header): a program that rewrites local_port and
 * denies shows the port the bind asked for, which its verdict was about,
 * enforcing or a monitor.
 */
TEST(event_ctx_as_the_program_was_given_it)
{
	unsigned int hook = H(SOCKET_BIND);
	int from = free_port(), to = free_port(), prog, efd, n;
	struct checmate_event got[2];
	struct checmate_sock_ctx c;

	ASSERT_LT(0, from);
	ASSERT_LT(0, to);
	ASSERT_NE(from, to);
	prog = load_rewrite_and_deny(getpid(), from, to);
	ASSERT_LE(0, prog) TH_LOG("%s", verifier_log);
	efd = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, cm_attach(hook, prog));
	EXPECT_EQ(-1, bound_port(from));
	ASSERT_EQ(0, set_flags(hook, prog, LOG_ONLY));
	EXPECT_EQ(from, bound_port(from));
	ASSERT_EQ(0, cm_detach(hook, prog));
	n = events_drain(efd, ARRAY_LEN(evbuf));
	ASSERT_LE(0, n);
	ASSERT_EQ(2, events_of(n, prog_id(prog), got, 2));
	EXPECT_EQ(CHECMATE_EVENT_DENIED, got[0].outcome);
	EXPECT_EQ(CHECMATE_EVENT_LOG_ONLY, got[1].outcome);
	for (int i = 0; i < 2; i++) {
		memcpy(&c, got[i].ctx, sizeof(c));
		EXPECT_EQ(from, c.local_port) TH_LOG("event %d: local_port %u, asked %d",
						     i, c.local_port, from);
		EXPECT_EQ(htonl(INADDR_LOOPBACK), c.local_ip4);
	}
	close(efd);
	close(prog);
}

/*
 * 5. A denial where there is no task (socket_sock_rcv_skb runs in softirq
 * for a loopback datagram): CHECMATE_EVENT_F_NO_TASK, and no pid, uid,
 * comm or cgroup of whichever task the softirq interrupted (the sender's).
 */
TEST(event_without_a_task)
{
	unsigned int hook = H(SOCKET_SOCK_RCV_SKB);
	int port = free_port(), rx, tx, prog, efd, n;
	struct sockaddr_in sin = lo4(0);
	struct checmate_event got[2];
	struct checmate_sock_ctx c;
	char byte = 'x', zero[16] = { 0 };

	ASSERT_LT(0, port);
	prog = load_deny_if(hook, 0, SOCK_OFF(local_port), 4, port, DENY_ERRNO);
	ASSERT_LE(0, prog) TH_LOG("%s", verifier_log);
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, rx);
	ASSERT_LE(0, tx);
	sin = lo4(port);
	ASSERT_EQ(0, bind(rx, (struct sockaddr *)&sin, sizeof(sin)));
	efd = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, cm_attach(hook, prog));
	EXPECT_EQ(1, sendto(tx, &byte, 1, 0, (struct sockaddr *)&sin, sizeof(sin)));
	usleep(100000);
	ASSERT_EQ(0, cm_detach(hook, prog));
	/* Dropped. */
	EXPECT_EQ(-1, recv(rx, &byte, 1, MSG_DONTWAIT));
	n = events_drain(efd, ARRAY_LEN(evbuf));
	ASSERT_LE(0, n);
	ASSERT_EQ(1, events_of(n, prog_id(prog), got, 2));
	EXPECT_EQ(CHECMATE_EVENT_DENIED, got[0].outcome);
	EXPECT_EQ(CHECMATE_EVENT_F_NO_TASK, got[0].flags);
	EXPECT_EQ(0, got[0].pid);
	EXPECT_EQ(0, got[0].tid);
	EXPECT_EQ(0, got[0].uid);
	EXPECT_EQ(0, got[0].cgroup_id);
	EXPECT_EQ(0, memcmp(zero, got[0].comm, sizeof(zero)));
	memcpy(&c, got[0].ctx, sizeof(c));
	EXPECT_EQ(port, c.local_port);
	close(efd);
	close(rx);
	close(tx);
	close(prog);
}

/*
 * 5. A denial that is not enforced because the operation only gives up
 * privilege (a capset() that drops a capability, CHECMATE_CRED_F_DROP):
 * the call succeeds, the event's outcome is CHECMATE_EVENT_DROP.
 */
TEST(event_of_a_drop)
{
	unsigned int hook = H(CAPSET);
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	int prog = load_deny_tgid(hook, getpid(), DENY_ERRNO), efd, n;
	struct checmate_event got[2];
	struct checmate_cred_ctx c;

	ASSERT_LE(0, prog);
	ASSERT_EQ(0, syscall(SYS_capget, &hdr, data));
	data[CAP_TO_INDEX(CAP_SYS_NICE)].effective &= ~CAP_TO_MASK(CAP_SYS_NICE);
	efd = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, cm_attach(hook, prog));
	EXPECT_EQ(0, syscall(SYS_capset, &hdr, data));
	ASSERT_EQ(0, cm_detach(hook, prog));
	n = events_drain(efd, ARRAY_LEN(evbuf));
	ASSERT_LE(0, n);
	ASSERT_EQ(1, events_of(n, prog_id(prog), got, 2));
	EXPECT_EQ(CHECMATE_EVENT_DROP, got[0].outcome);
	EXPECT_EQ(-DENY_ERRNO, got[0].verdict);
	EXPECT_EQ(0, got[0].flags);
	EXPECT_EQ(getpid(), got[0].pid);
	EXPECT_EQ(sizeof(c), got[0].ctx_size);
	memcpy(&c, got[0].ctx, sizeof(c));
	EXPECT_NE(0, c.info & CHECMATE_CRED_F_DROP);
	close(efd);
	close(prog);
}

/* errno of opening the events file, or 0. */
static int events_open_errno(void)
{
	int fd = open(EVENTS_FILE, O_RDONLY);

	return fd < 0 ? errno : (close(fd), 0);
}

/* Drops CAP_SYS_ADMIN from the effective set, staying uid 0. */
static int drop_sys_admin(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	return syscall(SYS_capset, &hdr, data);
}

/*
 * 5. Only CAP_SYS_ADMIN in the initial user namespace opens the events:
 * root of a new user namespace and root without CAP_SYS_ADMIN get EPERM,
 * other users EACCES (the file is 0400).
 */
TEST(events_are_for_the_admin)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, events_open_errno());
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (unshare(CLONE_NEWUSER))
			_exit(100);
		_exit(events_open_errno());
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(EPERM, WEXITSTATUS(status));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (drop_sys_admin())
			_exit(100);
		_exit(events_open_errno());
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(EPERM, WEXITSTATUS(status));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(100);
		_exit(events_open_errno());
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(EACCES, WEXITSTATUS(status));
}

/* setpriority(2) of the caller to @nice: 0 or the errno. */
static int nice_errno(int nice)
{
	return setpriority(PRIO_PROCESS, 0, nice) ? errno : 0;
}

/*
 * 3. On a locked hook a program may start enforcing (clear LOG_ONLY) but
 * none may stop (set it): EPERM, nothing changed. Locks task_setnice until
 * reboot; its programs deny this test's process only, at nice 6 and 7.
 */
TEST(set_prog_flags_on_a_locked_hook)
{
	unsigned int hook = H(TASK_SETNICE);
	struct checmate_query q;
	int mon, enf;

	ASSERT_EQ(0, cm_query(hook, &q, NULL, 0));
	if (q.flags & CHECMATE_QUERY_F_LOCKED)
		SKIP(return, "task_setnice is locked already: run once per boot");
	mon = load_deny_if(hook, getpid(), TASK_OFF(arg), 4, 7, DENY_ERRNO);
	enf = load_deny_if(hook, getpid(), TASK_OFF(arg), 4, 6, DENY_ERRNO);
	ASSERT_LE(0, mon) TH_LOG("%s", verifier_log);
	ASSERT_LE(0, enf);
	ASSERT_EQ(0, attach_flags(hook, mon, LOG_ONLY));
	ASSERT_EQ(0, cm_attach(hook, enf));
	EXPECT_EQ(0, nice_errno(7));
	EXPECT_EQ(DENY_ERRNO, nice_errno(6));
	ASSERT_EQ(0, checmate(CHECMATE_OP_DENY_RESET, hook, 0, 0));

	EXPECT_EQ(-1, set_flags(hook, enf, LOG_ONLY));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, flags_of(hook, prog_id(enf)));
	EXPECT_EQ(DENY_ERRNO, nice_errno(6));
	/* Unknown flags are still EINVAL; absent programs ENOENT. */
	EXPECT_EQ(-1, set_flags(hook, mon, 2));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, nice_errno(7));
	/* Starting to enforce is allowed, and final. */
	EXPECT_EQ(0, set_flags(hook, mon, 0)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(0, flags_of(hook, prog_id(mon)));
	EXPECT_EQ(DENY_ERRNO, nice_errno(7));
	EXPECT_EQ(-1, set_flags(hook, mon, LOG_ONLY));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(DENY_ERRNO, nice_errno(7));
	EXPECT_EQ(0, nice_errno(5));
	close(mon);
	close(enf);
}

static int affinity_errno(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set))
		return errno;
	return sched_setaffinity(0, sizeof(set), &set) ? errno : 0;
}

/*
 * 3. In APPEND_ONLY and READ_ONLY modes (unlocked) setting LOG_ONLY is
 * EPERM, as a detach is, and clearing it is allowed. Leaves
 * task_setscheduler read-only until reboot; its programs deny this test's
 * process only.
 */
TEST(set_prog_flags_in_frozen_modes)
{
	unsigned int hook = H(TASK_SETSCHEDULER);
	struct checmate_query q;
	int p, r, allow;

	ASSERT_EQ(0, cm_query(hook, &q, NULL, 0));
	if (q.mode != CHECMATE_MODE_NORMAL)
		SKIP(return, "task_setscheduler is frozen already: run once per boot");
	p = load_deny_tgid(hook, getpid(), DENY_ERRNO);
	r = load_deny_tgid(hook, getpid(), MON_ERRNO);
	allow = load_ret(hook, 0);
	ASSERT_LE(0, p);
	ASSERT_LE(0, r);
	ASSERT_LE(0, allow);
	ASSERT_EQ(0, cm_attach(hook, allow));
	ASSERT_EQ(0, attach_flags(hook, p, LOG_ONLY));
	ASSERT_EQ(0, attach_flags(hook, r, LOG_ONLY));
	EXPECT_EQ(0, affinity_errno());

	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_APPEND_ONLY, 0));
	EXPECT_EQ(-1, set_flags(hook, allow, LOG_ONLY));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(0, flags_of(hook, prog_id(allow)));
	EXPECT_EQ(0, set_flags(hook, p, 0)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(DENY_ERRNO, affinity_errno());
	EXPECT_EQ(-1, set_flags(hook, p, LOG_ONLY));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(DENY_ERRNO, affinity_errno());

	ASSERT_EQ(0, checmate(CHECMATE_OP_SET_MODE, hook, CHECMATE_MODE_READ_ONLY, 0));
	EXPECT_EQ(-1, set_flags(hook, allow, LOG_ONLY));
	EXPECT_EQ(EPERM, errno);
	/* Read-only: no attach, so no monitor starts enforcing either. */
	EXPECT_EQ(-1, set_flags(hook, r, 0));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(LOG_ONLY, flags_of(hook, prog_id(r)));
	EXPECT_EQ(DENY_ERRNO, affinity_errno());
	close(p);
	close(r);
	close(allow);
}

/*
 * A denial under task_lock(current): do_prlimit() asks
 * capable(CAP_SYS_RESOURCE) holding task_lock(group_leader), and the
 * event must not take that lock again for comm. The kernel that used
 * get_task_comm() there hung in setrlimit().
 */
TEST(event_under_task_lock)
{
	unsigned int hook = H(CAPABLE);
	struct checmate_event got[1];
	struct rlimit rl;
	int mon, efd, n;

	mon = load_deny_tgid(hook, getpid(), MON_ERRNO);
	ASSERT_LE(0, mon) TH_LOG("%s", verifier_log);
	efd = events_open(O_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &rl));
	/* Lowering needs no capability; raising it back does. */
	rl.rlim_max = rl.rlim_cur;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(0, attach_flags(hook, mon, LOG_ONLY));
	rl.rlim_max += 1;
	EXPECT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	ASSERT_EQ(0, cm_detach(hook, mon));
	n = events_drain(efd, ARRAY_LEN(evbuf));
	ASSERT_LE(0, n);
	ASSERT_LE(1, events_of(n, prog_id(mon), got, 1));
	EXPECT_EQ(CHECMATE_EVENT_LOG_ONLY, got[0].outcome);
	EXPECT_EQ(getpid(), (pid_t)got[0].pid);
	close(efd);
	close(mon);
}

TEST_HARNESS_MAIN
