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
 * The egress policy file at /tmp/@name.toml: object @obj, allowing
 * 127.0.0.1 port @port (and @port2 if not 0) from CG; @extra appended.
 */
static void policy(const char *name, const char *obj, int port, int port2, const char *extra)
{
	char path[128], cwd[256];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/%s.toml", name);
	f = fopen(path, "w");
	if (!f || !getcwd(cwd, sizeof(cwd)))
		abort();
	fprintf(f, "name = \"egress\"\nobject = \"%s/%s\"\n%s\n", cwd, obj, extra);
	fprintf(f, "[[maps.egress_cgroup]]\nkey = 0\nvalue = \"" CG "\"\n");
	fprintf(f, "[[maps.egress_allow]]\n"
		   "key = { family = 2, port = %d, addr = \"127.0.0.1\" }\nvalue = 1\n", port);
	if (port2)
		fprintf(f, "[[maps.egress_allow]]\n"
			   "key = { family = 2, port = %d, addr = \"127.0.0.1\" }\nvalue = 1\n",
			port2);
	fclose(f);
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
		     "./checmatectl delete yama_ptrace >/dev/null 2>&1";

	if (system(cmd) < 0)
		abort();
	checmate(CHECMATE_OP_RESET, CONNECT, 0, 0);
	checmate(CHECMATE_OP_RESET, SENDMSG, 0, 0);
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

TEST_F(policy, apply_twice_changes_nothing)
{
	__u32 a[8], b[8];
	char *line, *end;

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
	/* A reported refusal as data: one JSON object, with the policy. */
	ASSERT_EQ(0, ctl("audit socket_connect on"));
	EXPECT_EQ(ECONNREFUSED, connect_in_cg(4243));
	ASSERT_EQ(0, ctl("audit socket_connect off"));
	ASSERT_EQ(0, ctl("events --json --since-boot --no-follow"));
	EXPECT_NE(NULL, strstr(out, "\"hook\":\"socket_connect\""));
	EXPECT_NE(NULL, strstr(out, "\"policy\":\"egress\""));
	EXPECT_NE(NULL, strstr(out, "\"errno\":111"));
	EXPECT_NE(NULL, strstr(out, "\"enforced\":true"));
	EXPECT_NE(NULL, strstr(out, "\"comm\":\"policy_test\""));
	EXPECT_NE(NULL, strstr(out, "\"remote\":\"127.0.0.1:4243\""));

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

TEST_F(policy, changed_entry_updated_in_place)
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

TEST_F(policy, delete_removes_it)
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

TEST_F(policy, load_twice_refused_or_replaced)
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

TEST_HARNESS_MAIN
