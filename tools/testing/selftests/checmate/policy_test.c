// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: declarative policies and safe reloads with
 * checmatectl. `apply -f` of the egress allowlist sample's policy file,
 * checked by real connects from a cgroup: applied twice, nothing changes;
 * an entry changed, the map is updated in place (same programs); the
 * object changed, its programs are replaced while a connect loop and a
 * query loop run, and neither ever sees the hook without the policy or
 * with both; delete removes it all. `load` of an object whose programs are
 * attached is refused, and `load --replace` keeps the data of the pinned
 * maps, so a later update through the pins reaches the running program.
 * A policy in monitor mode (`monitor = true`) beside an enforcing policy
 * of the same object on the same hook: real connects are refused only by
 * the enforcing one, the monitor's would-be denials come out of
 * `checmatectl events --json` with every field, and an apply with the key
 * flipped makes the same program enforce.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

#define CG "/sys/fs/cgroup/policy_test"
#define STATE "/sys/fs/bpf/checmate"
#define PIN "/sys/fs/bpf/policy_test"
#define CONNECT CHECMATE_HOOK_SOCKET_CONNECT
#define SENDMSG CHECMATE_HOOK_SOCKET_SENDMSG
/* An egress_allow key as checmatectl prints it. */
#define ENTRY(port) "{ addr = \"127.0.0.1\", family = 2, port = " #port " }"

static char out[65536];

/* Run checmatectl with @fmt; its exit status, its output in out[]. */
static int ctl(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	size_t n;
	FILE *f;

	va_start(ap, fmt);
	snprintf(cmd, sizeof(cmd), "./checmatectl ");
	vsnprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = 0;
	n = pclose(f);
	fprintf(stderr, "# $ %s\n# %s", cmd, out);
	return WIFEXITED(n) ? WEXITSTATUS(n) : -1;
}

/*
 * The policy file at /tmp/@file.toml of policy @name: object @obj (the
 * egress sample), allowing 127.0.0.1 port @port (and @port2 if not 0)
 * from CG; @extra appended.
 */
static void policy_named(const char *file, const char *name, const char *obj, int port,
			 int port2, const char *extra)
{
	char path[128], cwd[256];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/%s.toml", file);
	f = fopen(path, "w");
	if (!f || !getcwd(cwd, sizeof(cwd)))
		abort();
	fprintf(f, "name = \"%s\"\nobject = \"%s/%s\"\n%s\n", name, cwd, obj, extra);
	fprintf(f, "[[maps.egress_cgroup]]\nkey = 0\nvalue = \"" CG "\"\n");
	fprintf(f, "[[maps.egress_allow]]\n"
		   "key = { family = 2, port = %d, addr = \"127.0.0.1\" }\nvalue = 1\n", port);
	if (port2)
		fprintf(f, "[[maps.egress_allow]]\n"
			   "key = { family = 2, port = %d, addr = \"127.0.0.1\" }\nvalue = 1\n",
			port2);
	fclose(f);
}

/* The egress policy file at /tmp/@file.toml: policy "egress". */
static void policy(const char *file, const char *obj, int port, int port2, const char *extra)
{
	policy_named(file, "egress", obj, port, port2, extra);
}

static int join_cgroup(void)
{
	int fd = open(CG "/cgroup.procs", O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, "0", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static int udp_connect(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_DGRAM, 0), ret;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ret = connect(s, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0;
	close(s);
	return ret;
}

/* connect() to 127.0.0.1:@port from a child in CG: 0 or its errno. */
static int connect_in_cg(int port)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(join_cgroup() ? 200 : udp_connect(port));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Number of programs on @hook, their ids in @ids (up to 8). */
static int progs(unsigned int hook, __u32 *ids)
{
	struct checmate_query q;
	__u32 buf[CHECMATE_MAX_PROGS_PER_HOOK];

	if (cm_query(hook, &q, buf, CHECMATE_MAX_PROGS_PER_HOOK))
		return -1;
	if (ids)
		memcpy(ids, buf, sizeof(__u32) * (q.prog_cnt < 8 ? q.prog_cnt : 8));
	return q.prog_cnt;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void clean(void)
{
	char cmd[] = "./checmatectl delete egress >/dev/null 2>&1; "
		     "./checmatectl delete egress_allowlist >/dev/null 2>&1; "
		     "./checmatectl delete yama_ptrace >/dev/null 2>&1; "
		     "./checmatectl delete egress_next >/dev/null 2>&1";

	if (system(cmd) < 0)
		abort();
	checmate(CHECMATE_OP_RESET, CONNECT, 0, 0);
	checmate(CHECMATE_OP_RESET, SENDMSG, 0, 0);
}

/* Number of programs on @hook, their ids and CHECMATE_ATTACH_F_* flags. */
static int progs_flags(unsigned int hook, __u32 *ids, __u32 *flags, __u32 cap)
{
	struct checmate_query q = {
		.prog_cnt = cap,
		.prog_ids = (uintptr_t)ids,
		.prog_flags = (uintptr_t)flags,
	};

	if (checmate(CHECMATE_OP_QUERY, hook, (uintptr_t)&q, CHECMATE_QUERY_SIZE_VER1))
		return -1;
	return q.prog_cnt;
}

/*
 * A small JSON reader, for checmatectl's one object a line: the value of
 * member @key of the object at @obj (its '{'), not of the objects inside
 * it; its text is copied to @val (a string without its quotes, anything
 * else as written, an object whole). 0, or -1 if there is no such member.
 */
static int json_get(const char *obj, const char *key, char *val, size_t len)
{
	int depth = 0, in_str = 0, want_key = 0;
	const char *p, *start = NULL;

	for (p = obj; *p; p++) {
		if (in_str) {
			if (*p == '\\' && p[1]) {
				p++;
			} else if (*p == '"') {
				in_str = 0;
				/* A member name at depth 1: "key": */
				if (want_key && depth == 1 && p[1] == ':' &&
				    (size_t)(p - start) == strlen(key) &&
				    !strncmp(start, key, p - start))
					goto found;
			}
			continue;
		}
		if (*p == '"') {
			in_str = 1;
			start = p + 1;
			want_key = p[-1] == '{' || p[-1] == ',';
		} else if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return -1;
		}
	}
	return -1;
found:
	p += 2;
	start = p;
	if (*p == '"') {
		/* A string: its text, escapes as written. */
		for (start = ++p; *p && *p != '"'; p++)
			if (*p == '\\' && p[1])
				p++;
	} else if (*p == '{' || *p == '[') {
		/* An object or a list, whole. */
		for (depth = 0, in_str = 0; *p; p++) {
			if (in_str) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == '"')
					in_str = 0;
			} else if (*p == '"') {
				in_str = 1;
			} else if (*p == '{' || *p == '[') {
				depth++;
			} else if ((*p == '}' || *p == ']') && --depth == 0) {
				p++;
				break;
			}
		}
	} else {
		/* A number, true, false or null. */
		while (*p && *p != ',' && *p != '}' && *p != ']')
			p++;
	}
	if ((size_t)(p - start) >= len)
		return -1;
	memcpy(val, start, p - start);
	val[p - start] = 0;
	return 0;
}

/* Member @key of @obj as a number; -1 if absent or not one. */
static long long json_num(const char *obj, const char *key)
{
	char v[64], *end;
	long long n;

	if (json_get(obj, key, v, sizeof(v)))
		return -1;
	n = strtoll(v, &end, 10);
	return *end ? -1 : n;
}

/* Member @key of @obj is the string @want (or the literal, for others). */
static int json_is(const char *obj, const char *key, const char *want)
{
	char v[256];

	return !json_get(obj, key, v, sizeof(v)) && !strcmp(v, want);
}

/*
 * The last line of out[] (checmatectl events --json) that is an event of
 * program @id with outcome @outcome, copied to @line; 0 if found.
 */
static int last_event(__u32 id, const char *outcome, char *line, size_t len)
{
	char *l, *save = NULL, copy[sizeof(out)];
	int found = -1;

	snprintf(copy, sizeof(copy), "%s", out);
	for (l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (l[0] != '{' || json_num(l, "prog_id") != id || !json_is(l, "outcome", outcome))
			continue;
		snprintf(line, len, "%s", l);
		found = 0;
	}
	return found;
}

/*
 * The events the kernel still keeps, as `checmatectl events --json`
 * prints them, of program @id only (the ring's 1024 are more than out[]
 * holds), in out[]; 0 if there is one.
 */
static int events_of(__u32 id)
{
	return ctl("events --json --since-boot --no-follow | grep '\"prog_id\":%u,'", id);
}

/* The cgroup id of @path: its directory's inode number. */
static __u64 cgroup_id_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

FIXTURE(policy) {};

FIXTURE_SETUP(policy)
{
	ASSERT_TRUE(mkdir(CG, 0755) == 0 || errno == EEXIST);
	clean();
}

FIXTURE_TEARDOWN(policy)
{
	clean();
}

/*
 * Each test loads, verifies and attaches the sample objects with checmatectl
 * several times: longer than the harness's 30 s on the debug kernel.
 */
TEST_F_TIMEOUT(policy, apply_twice_changes_nothing, 300)
{
	__u32 a[8], b[8];
	char *line, *end, ev[4096], ctx[2048];

	policy("p1", "samples/egress_allowlist.bpf.o", 4242, 0, "");
	ASSERT_EQ(0, ctl("apply -f /tmp/p1.toml --dry-run"));
	EXPECT_NE(NULL, strstr(out, "policy egress: load"));
	EXPECT_NE(NULL, strstr(out, "+ program egress_connect on socket_connect"));
	EXPECT_NE(NULL, strstr(out, "+ egress_allow: " ENTRY(4242) " = 1"));
	/* A dry run changes nothing. */
	EXPECT_EQ(0, progs(CONNECT, NULL));
	EXPECT_FALSE(exists(STATE "/egress"));

	ASSERT_EQ(0, ctl("apply -f /tmp/p1.toml"));
	ASSERT_EQ(1, progs(CONNECT, a));
	ASSERT_EQ(1, progs(SENDMSG, NULL));
	EXPECT_TRUE(exists(STATE "/egress/manifest"));
	EXPECT_TRUE(exists(STATE "/egress/prog_egress_connect"));
	EXPECT_TRUE(exists(STATE "/egress/map_egress_allow"));
	EXPECT_EQ(0, connect_in_cg(4242));
	EXPECT_EQ(ECONNREFUSED, connect_in_cg(4243));
	EXPECT_EQ(0, udp_connect(4243));

	/* Again: nothing to do, nothing done. */
	ASSERT_EQ(0, ctl("apply -f /tmp/p1.toml --dry-run"));
	EXPECT_NE(NULL, strstr(out, "policy egress: unchanged"));
	ASSERT_EQ(0, ctl("apply -f /tmp/p1.toml"));
	EXPECT_NE(NULL, strstr(out, "policy egress: unchanged"));
	EXPECT_EQ(NULL, strstr(out, "  "));
	ASSERT_EQ(1, progs(CONNECT, b));
	EXPECT_EQ(a[0], b[0]);
	EXPECT_EQ(0, connect_in_cg(4242));
	EXPECT_EQ(ECONNREFUSED, connect_in_cg(4243));

	/* show names the policy and counts what its program refused. */
	ASSERT_EQ(0, ctl("show socket_connect"));
	EXPECT_NE(NULL, strstr(out, "egress_connect[egress]("));
	EXPECT_NE(NULL, strstr(out, " runs, 2 denied)"));
	ASSERT_EQ(0, ctl("show --json"));
	EXPECT_NE(NULL, strstr(out, "\"policy\": \"egress\""));
	ASSERT_EQ(0, ctl("metrics"));
	EXPECT_NE(NULL, strstr(out, "# TYPE checmate_program_denials_total counter"));
	EXPECT_NE(NULL, strstr(out, "program=\"egress_connect\",policy=\"egress\"} 2\n"));
	/* Hook-wide counters also count other tests' programs: present only. */
	EXPECT_NE(NULL, strstr(out, "checmate_hook_denials_total{hook=\"socket_connect\"} "));
	/*
	 * A refusal as data: one JSON object, with the policy; every denial
	 * is an event, audit on or off.
	 */
	EXPECT_EQ(ECONNREFUSED, connect_in_cg(4243));
	ASSERT_EQ(0, events_of(a[0]));
	ASSERT_EQ(0, last_event(a[0], "denied", ev, sizeof(ev)));
	EXPECT_TRUE(json_is(ev, "hook", "socket_connect"));
	EXPECT_TRUE(json_is(ev, "policy", "egress"));
	EXPECT_EQ(111, json_num(ev, "errno"));
	EXPECT_TRUE(json_is(ev, "errno_name", "ECONNREFUSED"));
	EXPECT_TRUE(json_is(ev, "comm", "policy_test"));
	EXPECT_TRUE(json_is(ev, "prog_log_only", "false"));
	ASSERT_EQ(0, json_get(ev, "ctx", ctx, sizeof(ctx)));
	EXPECT_TRUE(json_is(ctx, "remote_ip4", "127.0.0.1"));
	EXPECT_EQ(4243, json_num(ctx, "remote_port"));

	/* Found again by a later checmatectl. */
	ASSERT_EQ(0, ctl("list"));
	EXPECT_NE(NULL, strstr(out, "egress "));
	EXPECT_NE(NULL, strstr(out, "egress_connect@socket_connect"));
	/* Its programs are attached (other tests' loads may be listed, detached). */
	line = strstr(out, "egress ");
	ASSERT_NE(NULL, line);
	end = strchr(line, '\n');
	if (end)
		*end = 0;
	EXPECT_EQ(NULL, strstr(line, "detached"));
}

TEST_F_TIMEOUT(policy, changed_entry_updated_in_place, 300)
{
	__u32 a[8], b[8];

	policy("p1", "samples/egress_allowlist.bpf.o", 4242, 0, "");
	ASSERT_EQ(0, ctl("apply -f /tmp/p1.toml"));
	ASSERT_EQ(1, progs(CONNECT, a));
	/* 4243 instead of 4242. */
	policy("p2", "samples/egress_allowlist.bpf.o", 4243, 0, "");
	ASSERT_EQ(0, ctl("apply -f /tmp/p2.toml --dry-run"));
	EXPECT_NE(NULL, strstr(out, "policy egress: update in place"));
	EXPECT_NE(NULL, strstr(out, "+ egress_allow: " ENTRY(4243)));
	EXPECT_NE(NULL, strstr(out, "- egress_allow: " ENTRY(4242)));
	EXPECT_EQ(0, connect_in_cg(4242));
	ASSERT_EQ(0, ctl("apply -f /tmp/p2.toml"));
	ASSERT_EQ(1, progs(CONNECT, b));
	EXPECT_EQ(a[0], b[0]);
	EXPECT_EQ(ECONNREFUSED, connect_in_cg(4242));
	EXPECT_EQ(0, connect_in_cg(4243));
	ASSERT_EQ(0, ctl("apply -f /tmp/p2.toml"));
	EXPECT_NE(NULL, strstr(out, "policy egress: unchanged"));

	/* The mode is the file's too: log-only lets the refused through. */
	policy("p3", "samples/egress_allowlist.bpf.o", 4243, 0, "mode = \"log-only\"");
	ASSERT_EQ(0, ctl("apply -f /tmp/p3.toml"));
	EXPECT_NE(NULL, strstr(out, "mode socket_connect: normal -> log-only"));
	EXPECT_EQ(0, connect_in_cg(4242));
	ASSERT_EQ(1, progs(CONNECT, b));
	EXPECT_EQ(a[0], b[0]);
	ASSERT_EQ(0, ctl("apply -f /tmp/p2.toml"));
	EXPECT_NE(NULL, strstr(out, "policy egress: unchanged"));
	ASSERT_EQ(0, ctl("mode socket_connect normal"));
	ASSERT_EQ(0, ctl("mode socket_sendmsg normal"));
	EXPECT_EQ(ECONNREFUSED, connect_in_cg(4242));
}

#define REPLACES 21

/*
 * Shared with the loops (a MAP_SHARED page, other processes): stop flag and
 * what they saw, read and written with relaxed atomics.
 */
struct watch {
	int stop;
	long rounds, neither, lost, queries, bad_count;
};

#define W_GET(x)	__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define W_INC(x)	__atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)

/* In CG: 4242 must always connect, 4243 always be refused. */
static void connect_loop(struct watch *w)
{
	if (join_cgroup())
		_exit(1);
	while (!W_GET(w->stop)) {
		if (udp_connect(4243) == 0)
			W_INC(w->neither);
		if (udp_connect(4242) != 0)
			W_INC(w->lost);
		W_INC(w->rounds);
	}
	_exit(0);
}

/* The hook holds exactly one program at every look. */
static void query_loop(struct watch *w)
{
	while (!W_GET(w->stop)) {
		if (progs(CONNECT, NULL) != 1)
			W_INC(w->bad_count);
		W_INC(w->queries);
	}
	_exit(0);
}

/* 21 loads of the object: minutes on the debug kernel. */
TEST_F_TIMEOUT(policy, changed_object_replaced_never_both_nor_neither, 900)
{
	struct watch *w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	__u32 a[8], b[8], s1[8], s2[8];
	long rounds, queries;
	pid_t c, q;
	int status;

	ASSERT_NE(MAP_FAILED, w);
	/* A new build of the object: another file, other bytes. */
	ASSERT_EQ(0, system("cp samples/egress_allowlist.bpf.o /tmp/egress_v2.bpf.o"));
	ASSERT_EQ(0, system("printf v2 >> /tmp/egress_v2.bpf.o"));
	policy("p1", "samples/egress_allowlist.bpf.o", 4242, 0, "");
	ASSERT_EQ(0, ctl("apply -f /tmp/p1.toml"));
	ASSERT_EQ(1, progs(CONNECT, a));
	ASSERT_EQ(1, progs(SENDMSG, s1));
	policy("v2", "../tmp/egress_v2.bpf.o", 4242, 0, "");

	c = fork();
	if (c == 0)
		connect_loop(w);
	q = fork();
	if (q == 0)
		query_loop(w);
	while (W_GET(w->rounds) < 20 || W_GET(w->queries) < 20)
		usleep(1000);
	rounds = W_GET(w->rounds);
	queries = W_GET(w->queries);
	/*
	 * Back and forth, REPLACES times: a replacement that left the hook
	 * empty or doubled for the time of one syscall shows in the query loop.
	 */
	for (int i = 0; i < REPLACES; i++) {
		ASSERT_EQ(0, ctl("apply -f /tmp/%s.toml", i % 2 ? "p1" : "v2"));
		EXPECT_NE(NULL, strstr(out, "~ program egress_connect on socket_connect:"));
		EXPECT_NE(NULL, strstr(out, "~ program egress_sendmsg on socket_sendmsg:"));
	}
	rounds = W_GET(w->rounds) - rounds;
	queries = W_GET(w->queries) - queries;
	usleep(20000);
	__atomic_store_n(&w->stop, 1, __ATOMIC_RELAXED);
	ASSERT_EQ(c, waitpid(c, &status, 0));
	ASSERT_EQ(q, waitpid(q, &status, 0));
	TH_LOG("during %d replacements: %ld connect rounds, %ld queries", REPLACES, rounds,
	       queries);
	/* The loops ran while the programs were replaced. */
	EXPECT_LT(10, rounds);
	EXPECT_LT(10, queries);
	EXPECT_EQ(0, w->neither);
	EXPECT_EQ(0, w->lost);
	EXPECT_EQ(0, w->bad_count);

	/* New programs, one each, in the old ones' places. */
	ASSERT_EQ(1, progs(CONNECT, b));
	ASSERT_EQ(1, progs(SENDMSG, s2));
	EXPECT_NE(a[0], b[0]);
	EXPECT_NE(s1[0], s2[0]);
	EXPECT_EQ(0, connect_in_cg(4242));
	EXPECT_EQ(ECONNREFUSED, connect_in_cg(4243));
	ASSERT_EQ(0, ctl("apply -f /tmp/v2.toml"));
	EXPECT_NE(NULL, strstr(out, "policy egress: unchanged"));
	ASSERT_EQ(0, ctl("list"));
	EXPECT_NE(NULL, strstr(out, "/tmp/egress_v2.bpf.o"));
	EXPECT_FALSE(exists(STATE "/egress@new"));
	EXPECT_FALSE(exists(STATE "/egress@old"));
	munmap(w, sizeof(*w));
}

TEST_F_TIMEOUT(policy, delete_removes_it, 300)
{
	policy("p1", "samples/egress_allowlist.bpf.o", 4242, 0, "");
	ASSERT_EQ(0, ctl("apply -f /tmp/p1.toml"));
	EXPECT_EQ(ECONNREFUSED, connect_in_cg(4243));
	ASSERT_EQ(0, ctl("delete egress"));
	EXPECT_NE(NULL, strstr(out, "policy egress: deleted"));
	EXPECT_EQ(0, progs(CONNECT, NULL));
	EXPECT_EQ(0, progs(SENDMSG, NULL));
	EXPECT_FALSE(exists(STATE "/egress"));
	EXPECT_EQ(0, connect_in_cg(4243));
	ASSERT_EQ(0, ctl("list"));
	EXPECT_TRUE(strncmp(out, "egress ", 7) && !strstr(out, "\negress "));
	/* Exit status 4: not found. */
	EXPECT_EQ(4, ctl("delete egress"));
	EXPECT_NE(NULL, strstr(out, "no policy 'egress'"));
	/* And applied again from nothing, as the boot unit does: a directory. */
	ASSERT_EQ(0, system("mkdir -p /tmp/policies.d && cp /tmp/p1.toml /tmp/policies.d/"));
	ASSERT_EQ(0, ctl("apply -f /tmp/policies.d"));
	EXPECT_NE(NULL, strstr(out, "policy egress: load"));
	EXPECT_EQ(ECONNREFUSED, connect_in_cg(4243));
	ASSERT_EQ(0, ctl("apply -f /tmp/policies.d"));
	EXPECT_NE(NULL, strstr(out, "policy egress: unchanged"));
}

#define KEY4(port) "u32:2,u32:" #port ",ip4:127.0.0.1,u32:0,u32:0,u32:0"

TEST_F_TIMEOUT(policy, load_twice_refused_or_replaced, 300)
{
	__u32 a[8], b[8];

	mkdir(PIN, 0700);
	ASSERT_EQ(0, ctl("load samples/egress_allowlist.bpf.o --pin-maps " PIN));
	ASSERT_EQ(0, ctl("map update " PIN "/egress_cgroup u32:0 cgroup:" CG));
	ASSERT_EQ(0, ctl("map update " PIN "/egress_allow " KEY4(4242) " u8:1"));
	ASSERT_EQ(1, progs(CONNECT, a));
	/* The rollout that used to attach a second copy. */
	EXPECT_EQ(1, ctl("load samples/egress_allowlist.bpf.o --pin-maps " PIN));
	EXPECT_NE(NULL, strstr(out, "policy 'egress_allowlist' is loaded already"));
	EXPECT_NE(NULL, strstr(out, "--replace"));
	ASSERT_EQ(1, progs(CONNECT, b));
	EXPECT_EQ(a[0], b[0]);
	/* A policy file of another name does not duplicate it either. */
	policy("p1", "samples/egress_allowlist.bpf.o", 4242, 0, "");
	EXPECT_NE(0, ctl("apply -f /tmp/p1.toml"));
	EXPECT_NE(NULL, strstr(out, "they belong to policy egress_allowlist"));
	ASSERT_EQ(1, progs(CONNECT, NULL));

	/* --replace: new programs, same maps, so the pins still steer it. */
	ASSERT_EQ(0, ctl("load samples/egress_allowlist.bpf.o --pin-maps " PIN " --replace"));
	EXPECT_NE(NULL, strstr(out, "replaced id"));
	ASSERT_EQ(1, progs(CONNECT, b));
	ASSERT_EQ(1, progs(SENDMSG, NULL));
	EXPECT_NE(a[0], b[0]);
	EXPECT_EQ(0, connect_in_cg(4242));
	EXPECT_EQ(ECONNREFUSED, connect_in_cg(4243));
	ASSERT_EQ(0, ctl("map update " PIN "/egress_allow " KEY4(4243) " u8:1"));
	EXPECT_EQ(0, connect_in_cg(4243));

	ASSERT_EQ(0, ctl("delete egress_allowlist"));
	EXPECT_EQ(0, progs(CONNECT, NULL));
	/* A load after a delete is a first load again. */
	ASSERT_EQ(0, ctl("load samples/yama_ptrace.bpf.o"));
	EXPECT_NE(0, ctl("load samples/yama_ptrace.bpf.o"));
	ASSERT_EQ(0, ctl("delete yama_ptrace"));
}

/*
 * Monitor mode for one policy: "egress" enforces (4242 and 4243 allowed),
 * "egress_next", the same object in monitor mode beside it on the same
 * hooks, would allow only 4242. Connects are refused only by the enforcing
 * policy; the monitor's would-be refusal of 4243 is an event with every
 * field; apply with the key flipped makes the same program enforce.
 */
TEST_F_TIMEOUT(policy, monitor_beside_enforcing_then_flipped, 300)
{
	__u32 ids[8], flags[8], ids2[8], flags2[8], mon;
	char ev[4096], ctx[2048];

	policy("p1", "samples/egress_allowlist.bpf.o", 4242, 4243, "");
	ASSERT_EQ(0, ctl("apply -f /tmp/p1.toml"));
	policy_named("next", "egress_next", "samples/egress_allowlist.bpf.o", 4242, 0,
		     "monitor = true");
	ASSERT_EQ(0, ctl("apply -f /tmp/next.toml --dry-run"));
	EXPECT_NE(NULL, strstr(out, "policy egress_next: load"));
	EXPECT_NE(NULL, strstr(out, "+ program egress_connect on socket_connect (monitor)"));
	ASSERT_EQ(1, progs(CONNECT, NULL));
	/* Beside the enforcing copy of the same object, not refused. */
	ASSERT_EQ(0, ctl("apply -f /tmp/next.toml"));
	ASSERT_EQ(2, progs_flags(CONNECT, ids, flags, 8));
	EXPECT_EQ(0, flags[0]);
	EXPECT_EQ(CHECMATE_ATTACH_F_LOG_ONLY, flags[1]);
	ASSERT_EQ(2, progs_flags(SENDMSG, ids2, flags2, 8));
	EXPECT_EQ(CHECMATE_ATTACH_F_LOG_ONLY, flags2[1]);
	mon = ids[1];

	/* Only the enforcing policy refuses. */
	EXPECT_EQ(0, connect_in_cg(4242));
	EXPECT_EQ(0, connect_in_cg(4243));
	EXPECT_EQ(ECONNREFUSED, connect_in_cg(4244));
	EXPECT_EQ(0, udp_connect(4244));

	/* The monitor's would-be refusal of 4243, as data. */
	ASSERT_EQ(0, events_of(mon));
	ASSERT_EQ(0, last_event(mon, "log-only", ev, sizeof(ev)));
	EXPECT_TRUE(json_is(ev, "hook", "socket_connect"));
	EXPECT_TRUE(json_is(ev, "policy", "egress_next"));
	EXPECT_TRUE(json_is(ev, "prog_log_only", "true"));
	EXPECT_EQ(ECONNREFUSED, json_num(ev, "errno"));
	EXPECT_TRUE(json_is(ev, "errno_name", "ECONNREFUSED"));
	EXPECT_TRUE(json_is(ev, "comm", "policy_test"));
	EXPECT_LT(0, json_num(ev, "pid"));
	EXPECT_LT(0, json_num(ev, "tid"));
	EXPECT_EQ(0, json_num(ev, "uid"));
	EXPECT_LE(0, json_num(ev, "seq"));
	EXPECT_LE(0, json_num(ev, "lost"));
	EXPECT_EQ((long long)cgroup_id_of(CG), json_num(ev, "cgroup_id"));
	EXPECT_TRUE(json_is(ev, "cgroup", "/policy_test"));
	ASSERT_EQ(0, json_get(ev, "ctx", ctx, sizeof(ctx)));
	EXPECT_EQ(AF_INET, json_num(ctx, "family"));
	EXPECT_EQ(SOCK_DGRAM, json_num(ctx, "type"));
	EXPECT_TRUE(json_is(ctx, "remote_ip4", "127.0.0.1"));
	EXPECT_EQ(4243, json_num(ctx, "remote_port"));
	EXPECT_EQ((long long)cgroup_id_of(CG), json_num(ctx, "cgroup_id"));
	/* 4244: the enforcing program refused; the monitor after it never ran. */
	ASSERT_EQ(0, events_of(ids[0]));
	EXPECT_EQ(0, last_event(ids[0], "denied", ev, sizeof(ev)));
	EXPECT_TRUE(json_is(ev, "policy", "egress"));
	EXPECT_TRUE(json_is(ev, "prog_log_only", "false"));

	/* The flag in show, list and metrics. */
	ASSERT_EQ(0, ctl("show socket_connect"));
	EXPECT_NE(NULL, strstr(out, "egress_connect[egress_next]{log-only}("));
	EXPECT_EQ(NULL, strstr(out, "egress_connect[egress]{log-only}"));
	ASSERT_EQ(0, ctl("show socket_connect --json"));
	EXPECT_NE(NULL, strstr(out, "\"log_only\": true"));
	ASSERT_EQ(0, ctl("list"));
	EXPECT_NE(NULL, strstr(out, "egress_connect@socket_connect(log-only)"));
	ASSERT_EQ(0, ctl("metrics"));
	EXPECT_NE(NULL, strstr(out, "# TYPE checmate_program_log_only gauge"));
	EXPECT_NE(NULL, strstr(out, "program=\"egress_connect\",policy=\"egress_next\"} 1\n"));
	EXPECT_NE(NULL, strstr(out, "program=\"egress_connect\",policy=\"egress\"} 0\n"));

	/* Again unchanged: nothing to do. */
	ASSERT_EQ(0, ctl("apply -f /tmp/next.toml"));
	EXPECT_NE(NULL, strstr(out, "policy egress_next: unchanged"));

	/* Flipped: the same programs enforce, in place, both policies on. */
	policy_named("next", "egress_next", "samples/egress_allowlist.bpf.o", 4242, 0,
		     "monitor = false");
	ASSERT_EQ(0, ctl("apply -f /tmp/next.toml --dry-run"));
	EXPECT_NE(NULL, strstr(out, "policy egress_next: update in place"));
	EXPECT_NE(NULL, strstr(out, "on socket_connect: monitor -> enforcing"));
	EXPECT_NE(NULL, strstr(out, "on socket_sendmsg: monitor -> enforcing"));
	ASSERT_EQ(2, progs_flags(CONNECT, ids2, flags2, 8));
	EXPECT_EQ(CHECMATE_ATTACH_F_LOG_ONLY, flags2[1]);
	ASSERT_EQ(0, ctl("apply -f /tmp/next.toml"));
	ASSERT_EQ(2, progs_flags(CONNECT, ids2, flags2, 8));
	EXPECT_EQ(ids[0], ids2[0]);
	EXPECT_EQ(mon, ids2[1]);
	EXPECT_EQ(0, flags2[1]);
	ASSERT_EQ(2, progs_flags(SENDMSG, ids2, flags2, 8));
	EXPECT_EQ(0, flags2[1]);
	EXPECT_EQ(0, connect_in_cg(4242));
	EXPECT_EQ(ECONNREFUSED, connect_in_cg(4243));
	ASSERT_EQ(0, events_of(mon));
	ASSERT_EQ(0, last_event(mon, "denied", ev, sizeof(ev)));
	EXPECT_TRUE(json_is(ev, "policy", "egress_next"));
	EXPECT_TRUE(json_is(ev, "prog_log_only", "false"));
	ASSERT_EQ(0, ctl("apply -f /tmp/next.toml"));
	EXPECT_NE(NULL, strstr(out, "policy egress_next: unchanged"));
	/* Both attached already: either applies again. */
	ASSERT_EQ(0, ctl("apply -f /tmp/p1.toml"));
	EXPECT_NE(NULL, strstr(out, "policy egress: unchanged"));

	/* The old policy goes; the promoted one keeps enforcing. */
	ASSERT_EQ(0, ctl("delete egress"));
	ASSERT_EQ(1, progs_flags(CONNECT, ids2, flags2, 8));
	EXPECT_EQ(mon, ids2[0]);
	EXPECT_EQ(ECONNREFUSED, connect_in_cg(4243));
	/* And back to monitor: it reports, nothing refuses. */
	policy_named("next", "egress_next", "samples/egress_allowlist.bpf.o", 4242, 0,
		     "monitor = true");
	ASSERT_EQ(0, ctl("apply -f /tmp/next.toml"));
	EXPECT_NE(NULL, strstr(out, "on socket_connect: enforcing -> monitor"));
	EXPECT_EQ(0, connect_in_cg(4243));
	ASSERT_EQ(1, progs_flags(CONNECT, ids2, flags2, 8));
	EXPECT_EQ(mon, ids2[0]);
	EXPECT_EQ(CHECMATE_ATTACH_F_LOG_ONLY, flags2[0]);
}

TEST_HARNESS_MAIN
