// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: the kernel integrity hooks (kernel_module_request,
 * kernel_read_file, kernel_load_data). Each loader path the test kernel
 * has crosses its hook, a program's denial fails it with the program's
 * errno (or, for request_module(), keeps modprobe from running), and the
 * context holds what the kernel then shows: the id of what is loaded,
 * fstat(2) of the file, the module name asked for, the caller.
 *
 * The module buffers and files are not modules: without a program the
 * module loader refuses them (ENOEXEC), so nothing is ever loaded. The
 * request test points /proc/sys/kernel/modprobe at a script that logs
 * its arguments, to see whether the kernel ran it; the teardown puts the
 * old value back. No mount namespace of its own: the user mode helper
 * runs in init's, and finds the script and its log in /tmp there.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "common.h"

#define H(x) CHECMATE_HOOK_##x
/* The kernel's enum kernel_read_file_id / kernel_load_data_id. */
#define ID_MODULE 2
#define KTDIR "/tmp"
#define SCRIPT KTDIR "/checmate-km-modprobe"
#define LOG KTDIR "/checmate-km-modprobe.log"
#define MODPROBE "/proc/sys/kernel/modprobe"
/* AF_DECnet: gone from Linux since 6.1, so never built in. */
#define ABSENT_FAMILY 12

/* What a copy program stores: the context and how many times it ran. */
struct record {
	struct checmate_kernel_ctx k;
	__u64 runs;
};

static int read_record(int map, struct record *r)
{
	return cm_map_elem(BPF_MAP_LOOKUP_ELEM, map, 0, r);
}

static __u64 runs(int map)
{
	struct record r;

	return read_record(map, &r) ? -1ULL : r.runs;
}

/*
 * A program that, when the caller's tgid is @tgid, copies the context into
 * @map, counts the run and returns @ret; it returns 0 otherwise.
 */
static int load_copy(unsigned int hook, int map, int tgid, int ret)
{
	struct bpf_insn insns[128] = {};
	int n = 0, skip[2];

	insns[n++] = MOV64_REG(6, 1);
	insns[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
	insns[n++] = RSH64_IMM(0, 32);
	skip[0] = n;
	insns[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 0, tgid);
	n = emit_copy_tail(insns, n, map, sizeof(struct checmate_kernel_ctx),
			   offsetof(struct record, runs), ret, skip, 1);
	return load_prog(hook, insns, n);
}

static int try_init_module(const void *buf, size_t len)
{
	return syscall(SYS_init_module, buf, len, "") ? errno : 0;
}

static int try_finit_module(int fd)
{
	return syscall(SYS_finit_module, fd, "", 0) ? errno : 0;
}

/* socket(2) of a family the kernel asks modprobe for: 0 or the errno. */
static int absent_family(void)
{
	int s = socket(ABSENT_FAMILY, SOCK_DGRAM, 0);

	if (s >= 0) {
		close(s);
		return 0;
	}
	return errno;
}

static int write_file(const char *path, const char *text, int flags, mode_t mode)
{
	int fd = open(path, O_WRONLY | flags, mode), ret;

	if (fd < 0)
		return -1;
	ret = write(fd, text, strlen(text)) == (ssize_t)strlen(text) ? 0 : -1;
	close(fd);
	return ret;
}

/* The lines the modprobe script logged so far. */
static int logged(void)
{
	char line[256];
	FILE *f = fopen(LOG, "r");
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* Does the log hold @arg as an argument of modprobe? */
static int logged_arg(const char *arg)
{
	char line[256];
	FILE *f = fopen(LOG, "r");
	int found = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		found |= strlen(line) >= strlen(arg) &&
			 !strcmp(line + strlen(line) - strlen(arg), arg);
	}
	fclose(f);
	return found;
}

/* The caller's fields of @k are this (single-threaded) process's. */
static void expect_caller(struct __test_metadata *_metadata, const struct checmate_kernel_ctx *k)
{
	EXPECT_EQ(getpid(), k->pid);
	EXPECT_EQ(getpid(), k->tgid);
	EXPECT_EQ(getuid(), k->caller_uid);
	EXPECT_EQ(geteuid(), k->caller_euid);
	EXPECT_EQ(own_cgroup_id(), k->cgroup_id);
}

FIXTURE(km) {
	int map, prog;
	unsigned int hook;
	char modprobe[256];
	char file[64];
};

FIXTURE_SETUP(km)
{
	self->map = cm_map_create(BPF_MAP_TYPE_ARRAY, sizeof(struct record), 1, 0, 0);
	ASSERT_LE(0, self->map);
	self->prog = -1;
	self->modprobe[0] = 0;
	snprintf(self->file, sizeof(self->file), KTDIR "/checmate-km-%d.ko", getpid());
}

FIXTURE_TEARDOWN(km)
{
	if (self->prog >= 0) {
		cm_detach(self->hook, self->prog);
		close(self->prog);
	}
	close(self->map);
	if (self->modprobe[0])
		write_file(MODPROBE, self->modprobe, 0, 0);
	unlink(self->file);
	unlink(SCRIPT);
	unlink(LOG);
}

/* Load a copy program for this process and attach it to @hook. */
static int attach(struct _test_data_km *self, unsigned int hook, int ret)
{
	struct record r;

	if (self->prog >= 0) {
		cm_detach(self->hook, self->prog);
		close(self->prog);
	}
	self->hook = hook;
	memset(&r, 0, sizeof(r));
	self->prog = load_copy(hook, self->map, getpid(), ret);
	if (self->prog < 0 || cm_map_elem(BPF_MAP_UPDATE_ELEM, self->map, 0, &r) ||
	    cm_attach(hook, self->prog)) {
		fprintf(stderr, "# hook %u: %s\n%s\n", hook, strerror(errno), verifier_log);
		return -1;
	}
	return 0;
}

/* A regular file that is not a module, owned by 1234:5678; open O_RDONLY. */
static int not_a_module(const char *path)
{
	char junk[4096];

	memset(junk, 'x', sizeof(junk) - 1);
	junk[sizeof(junk) - 1] = 0;
	if (write_file(path, junk, O_CREAT | O_TRUNC, 0640) || chown(path, 1234, 5678))
		return -1;
	return open(path, O_RDONLY);
}

/* init_module(2): kernel_load_data with LOADING_MODULE; finit_module not. */
TEST_F(km, init_module_load_data)
{
	static const char junk[64] = "not a module";
	struct record r;
	int fd = not_a_module(self->file);

	ASSERT_LE(0, fd);
	/* The module loader's own answer. */
	ASSERT_EQ(ENOEXEC, try_init_module(junk, sizeof(junk)));

	ASSERT_EQ(0, attach(self, H(KERNEL_LOAD_DATA), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, try_init_module(junk, sizeof(junk)));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(ID_MODULE, r.k.id);
	EXPECT_EQ(CHECMATE_KERNEL_F_CONTENTS, r.k.info);
	EXPECT_EQ(0, r.k.ino);
	EXPECT_EQ(0, r.k.dev);
	EXPECT_EQ(0, r.k.mode);
	EXPECT_EQ(0, r.k.name_len);
	EXPECT_EQ(0, r.k.name[0]);
	expect_caller(_metadata, &r.k);
	/* finit_module reads a file: kernel_read_file, not kernel_load_data. */
	EXPECT_EQ(ENOEXEC, try_finit_module(fd));
	EXPECT_EQ(1, runs(self->map));

	ASSERT_EQ(0, cm_detach(H(KERNEL_LOAD_DATA), self->prog));
	EXPECT_EQ(ENOEXEC, try_init_module(junk, sizeof(junk)));
	EXPECT_EQ(1, runs(self->map));
	close(fd);
}

/* finit_module(2): kernel_read_file with READING_MODULE and the file. */
TEST_F(km, finit_module_read_file)
{
	static const char junk[64] = "not a module";
	struct record r;
	struct stat st;
	int fd = not_a_module(self->file), w;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(ENOEXEC, try_finit_module(fd));

	ASSERT_EQ(0, attach(self, H(KERNEL_READ_FILE), -DENY_ERRNO));
	EXPECT_EQ(DENY_ERRNO, try_finit_module(fd));
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(ID_MODULE, r.k.id);
	EXPECT_EQ(CHECMATE_KERNEL_F_CONTENTS | CHECMATE_KERNEL_F_FILE, r.k.info);
	EXPECT_EQ(st.st_ino, r.k.ino);
	EXPECT_EQ(st.st_dev, r.k.dev);
	EXPECT_EQ(st.st_mode, r.k.mode);
	EXPECT_EQ(S_IFREG | 0640, r.k.mode);
	EXPECT_EQ(1234, r.k.uid);
	EXPECT_EQ(5678, r.k.gid);
	EXPECT_EQ(TMPFS_MAGIC, r.k.s_magic);
	EXPECT_EQ(0, r.k.name_len);
	expect_caller(_metadata, &r.k);
	/* init_module has no file: kernel_load_data only. */
	EXPECT_EQ(ENOEXEC, try_init_module(junk, sizeof(junk)));
	EXPECT_EQ(1, runs(self->map));
	/* A file open for writing fails first (ETXTBSY), without the hook. */
	w = open(self->file, O_WRONLY);
	ASSERT_LE(0, w);
	EXPECT_EQ(ETXTBSY, try_finit_module(fd));
	EXPECT_EQ(1, runs(self->map));
	close(w);

	ASSERT_EQ(0, cm_detach(H(KERNEL_READ_FILE), self->prog));
	EXPECT_EQ(ENOEXEC, try_finit_module(fd));
	EXPECT_EQ(1, runs(self->map));
	close(fd);
}

/* Point modprobe_path at a script that logs its arguments. */
static int logging_modprobe(struct _test_data_km *self)
{
	int fd = open(MODPROBE, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, self->modprobe, sizeof(self->modprobe) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	self->modprobe[n] = 0;
	unlink(LOG);
	if (write_file(SCRIPT, "#!/bin/sh\necho \"$*\" >>" LOG "\n", O_CREAT | O_TRUNC, 0755))
		return -1;
	return write_file(MODPROBE, SCRIPT, 0, 0);
}

/*
 * socket(2) of a family not built in: request_module("net-pf-12"), seen
 * by kernel_module_request. The caller sees EAFNOSUPPORT whatever the
 * program says (__sock_create() ignores request_module()'s return); a
 * denial keeps modprobe from running.
 */
TEST_F(km, module_request_socket_family)
{
	struct record r;
	int before;

	ASSERT_EQ(0, logging_modprobe(self));
	/* Without a program the kernel runs modprobe. */
	EXPECT_EQ(EAFNOSUPPORT, absent_family());
	EXPECT_EQ(1, logged());
	EXPECT_TRUE(logged_arg("net-pf-12"));

	ASSERT_EQ(0, attach(self, H(KERNEL_MODULE_REQUEST), 0));
	EXPECT_EQ(EAFNOSUPPORT, absent_family());
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_STREQ("net-pf-12", r.k.name);
	EXPECT_EQ(strlen("net-pf-12"), r.k.name_len);
	EXPECT_EQ(ID_MODULE, r.k.id);
	EXPECT_EQ(0, r.k.info);
	EXPECT_EQ(0, r.k.ino);
	expect_caller(_metadata, &r.k);
	EXPECT_EQ(2, logged());

	/* Denied: the same error for the caller, but no modprobe. */
	ASSERT_EQ(0, attach(self, H(KERNEL_MODULE_REQUEST), -DENY_ERRNO));
	before = logged();
	EXPECT_EQ(EAFNOSUPPORT, absent_family());
	EXPECT_EQ(1, runs(self->map));
	EXPECT_EQ(before, logged());

	ASSERT_EQ(0, cm_detach(H(KERNEL_MODULE_REQUEST), self->prog));
	EXPECT_EQ(EAFNOSUPPORT, absent_family());
	EXPECT_EQ(1, runs(self->map));
	EXPECT_EQ(before + 1, logged());
}

/*
 * mount(2) of an unknown filesystem type: request_module("fs-TYPE"). The
 * longest name the kernel asks for (55 bytes with MODULE_NAME_LEN 56) is
 * seen whole; one byte more fails with ENAMETOOLONG inside the kernel
 * before the hook, and the mount with ENODEV.
 */
TEST_F(km, module_request_fs_type)
{
	char type[64], want[80];
	struct record r;

	memset(type, 'q', sizeof(type));
	type[52] = 0;
	snprintf(want, sizeof(want), "fs-%s", type);
	ASSERT_EQ(55, strlen(want));
	ASSERT_EQ(0, attach(self, H(KERNEL_MODULE_REQUEST), -DENY_ERRNO));
	EXPECT_EQ(-1, mount("none", KTDIR, type, 0, NULL));
	EXPECT_EQ(ENODEV, errno);
	ASSERT_EQ(0, read_record(self->map, &r));
	EXPECT_EQ(1, r.runs);
	EXPECT_STREQ(want, r.k.name);
	EXPECT_EQ(55, r.k.name_len);
	EXPECT_EQ(0, r.k.info & CHECMATE_KERNEL_F_NAME_CUT);

	memset(type, 'q', sizeof(type));
	type[53] = 0;
	EXPECT_EQ(-1, mount("none", KTDIR, type, 0, NULL));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_EQ(1, runs(self->map));
}

/* The verifier: reads inside the context only, no writes; current helpers. */
TEST(verifier_rules)
{
	const unsigned int hooks[] = {
		H(KERNEL_MODULE_REQUEST), H(KERNEL_READ_FILE), H(KERNEL_LOAD_DATA),
	};
	int end = sizeof(struct checmate_kernel_ctx);

	EXPECT_EQ(152, sizeof(struct checmate_kernel_ctx));
	EXPECT_EQ(136, offsetof(struct checmate_kernel_ctx, bpf_cmd));
	EXPECT_EQ(72, offsetof(struct checmate_kernel_ctx, name));
	EXPECT_EQ(37, CHECMATE_HOOK_KERNEL_LOAD_DATA);
	for (size_t i = 0; i < ARRAY_LEN(hooks); i++) {
		unsigned int h = hooks[i];
		const struct bpf_insn last[] = {
			LDX_MEM(BPF_DW, 0, 1, end - 8), MOV64_IMM(0, 0), EXIT(),
		};
		const struct bpf_insn bad[][3] = {
			{ LDX_MEM(BPF_B, 0, 1, end), MOV64_IMM(0, 0), EXIT() },
			{ LDX_MEM(BPF_W, 0, 1, end - 2), MOV64_IMM(0, 0), EXIT() },
			{ LDX_MEM(BPF_DW, 0, 1, 4), MOV64_IMM(0, 0), EXIT() },
			{ LDX_MEM(BPF_W, 0, 1, -4), MOV64_IMM(0, 0), EXIT() },
		};
		int fd = load_prog(h, last, ARRAY_LEN(last));

		EXPECT_LE(0, fd) TH_LOG("hook %u: %s", h, verifier_log);
		close(fd);
		for (size_t b = 0; b < ARRAY_LEN(bad); b++) {
			EXPECT_EQ(-1, load_prog(h, bad[b], 3)) TH_LOG("hook %u bad %zu", h, b);
			EXPECT_EQ(EACCES, errno);
		}
		for (int off = 0; off < end; off += 4) {
			const struct bpf_insn w[] = {
				ST_MEM(BPF_W, 1, off, 1), MOV64_IMM(0, 0), EXIT(),
			};

			EXPECT_EQ(-1, load_prog(h, w, 3)) TH_LOG("hook %u off %d", h, off);
			EXPECT_EQ(EACCES, errno);
		}
		/* Process context: the current task's helpers. */
		fd = load_deny_tgid(h, getpid(), DENY_ERRNO);
		EXPECT_LE(0, fd) TH_LOG("hook %u: %s", h, verifier_log);
		close(fd);
	}
}

TEST_HARNESS_MAIN
