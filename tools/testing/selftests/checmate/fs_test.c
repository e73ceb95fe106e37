// SPDX-License-Identifier: GPL-2.0
/*
 * Checmate selftests: the hooks that put a name into a directory
 * (path_mknod, path_mkdir, path_symlink, path_link, path_rename) and the
 * mount hooks of both mount APIs (sb_kern_mount, move_mount,
 * sb_pivotroot): each system call that should cross a hook crosses it
 * once and is refused by it, and the context holds what the kernel then
 * shows (stat of the entry made, its name, the mount's root).
 *
 * Each test runs in its own process (the harness forks), which moves to a
 * mount namespace of its own with a tmpfs on TDIR: nothing outlives it.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "common.h"

#define H(x) CHECMATE_HOOK_##x
#define ALU64_IMM(op, d, i) INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)

#define TDIR "/tmp/checmate-fs"
#define SUB TDIR "/sub"
#define MNT TDIR "/mnt"
#define PIN "/sys/fs/bpf/checmate-fs-pin"

/* What a copy program stores: the context and how many times it ran. */
struct record {
	union {
		struct checmate_inode_ctx i;
		struct checmate_mount_ctx m;
	};
	__u64 runs;
};

static size_t ctx_size(unsigned int hook)
{
	return hook <= H(PATH_RENAME) ? sizeof(struct checmate_inode_ctx) :
	       sizeof(struct checmate_mount_ctx);
}

static int make_record_map(void)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = sizeof(struct record);
	attr.max_entries = 1;
	return sys_bpf(BPF_MAP_CREATE, &attr);
}

static int map_op(int cmd, int map, struct record *r)
{
	union bpf_attr attr;
	__u32 key = 0;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = map;
	attr.key = (uintptr_t)&key;
	attr.value = (uintptr_t)r;
	return sys_bpf(cmd, &attr);
}

static int clear_record(int map)
{
	struct record r;

	memset(&r, 0, sizeof(r));
	return map_op(BPF_MAP_UPDATE_ELEM, map, &r);
}

/*
 * A program that, when the caller's tgid is @tgid, copies the context into
 * @map, counts the run and returns @ret; it returns 0 to everyone else.
 */
static int load_copy(unsigned int hook, int map, int tgid, int ret)
{
	struct bpf_insn insns[128] = {};	/* LD_MAP_FD's second half stays 0 */
	int n = 0, skip[2], nskip = 0;

	insns[n++] = MOV64_REG(6, 1);
	insns[n++] = CALL(BPF_FUNC_get_current_pid_tgid);
	insns[n++] = RSH64_IMM(0, 32);
	skip[nskip++] = n;
	insns[n++] = JNE_IMM(0, tgid, 0);
	n = emit_copy_tail(insns, n, map, ctx_size(hook), offsetof(struct record, runs), ret,
			   skip, nskip);
	return load_prog(hook, insns, n);
}

/* A mount namespace of our own, with a fresh tmpfs on TDIR. */
static int own_tmpfs(void)
{
	umask(0);
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -1;
	mkdir(TDIR, 0755);
	if (mount("none", TDIR, "tmpfs", 0, NULL))
		return -1;
	return mkdir(SUB, 0755) || mkdir(MNT, 0755) ? -1 : 0;
}

static int err_of(int ret)
{
	return ret < 0 ? errno : 0;
}

static int make_file(const char *path)
{
	int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* One way of making a name: what to prepare (not under the program), then do. */
struct way {
	const char *name;
	unsigned int hook;
	const char *path;	/* the name made */
	const char *old;	/* rename: the name moved; link: the source */
	const char *target;	/* symlink: the target */
	unsigned int flags;	/* rename flags */
	int (*prep)(const struct way *w);
	int (*act)(const struct way *w);
};

static int prep_old(const struct way *w)
{
	return make_file(w->old);
}

/* Rename onto an existing name, exchange, whiteout: both names exist. */
static int prep_both(const struct way *w)
{
	return make_file(w->old) || make_file(w->path) ? -1 : 0;
}

static int prep_none(const struct way *w)
{
	return 0;
}

static int do_open(const struct way *w)
{
	int fd = open(w->path, O_CREAT | O_EXCL | O_WRONLY, 0640);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int do_creat(const struct way *w)
{
	int fd = creat(w->path, 0604);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int do_openat2(const struct way *w)
{
	struct open_how how = { .flags = O_CREAT | O_EXCL | O_WRONLY, .mode = 0600 };
	int fd = syscall(SYS_openat2, AT_FDCWD, w->path, &how, sizeof(how));

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

static int do_mknod_reg(const struct way *w)
{
	return err_of(mknod(w->path, S_IFREG | 0600, 0));
}

static int do_mknod_0(const struct way *w)
{
	return err_of(mknod(w->path, 0640, 0));
}

static int do_mknod_fifo(const struct way *w)
{
	return err_of(mknod(w->path, S_IFIFO | 0600, 0));
}

static int do_mknod_sock(const struct way *w)
{
	return err_of(mknod(w->path, S_IFSOCK | 0600, 0));
}

static int do_mknod_chr(const struct way *w)
{
	return err_of(mknod(w->path, S_IFCHR | 0600, makedev(1, 3)));
}

static int do_mknod_blk(const struct way *w)
{
	return err_of(mknodat(AT_FDCWD, w->path, S_IFBLK | 0600, makedev(7, 300)));
}

static int do_unix_bind(const struct way *w)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM, 0), ret;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", w->path);
	ret = err_of(bind(s, (struct sockaddr *)&sun, sizeof(sun)));
	close(s);
	return ret;
}

static int do_bpf_pin(const struct way *w)
{
	union bpf_attr attr;
	int map = make_record_map(), ret;

	memset(&attr, 0, sizeof(attr));
	attr.pathname = (uintptr_t)w->path;
	attr.bpf_fd = map;
	ret = sys_bpf(BPF_OBJ_PIN, &attr) ? errno : 0;
	close(map);
	return ret;
}

static int do_mkdir(const struct way *w)
{
	return err_of(mkdir(w->path, 0750));
}

static int do_mkdirat(const struct way *w)
{
	return err_of(mkdirat(AT_FDCWD, w->path, 01700));
}

static int do_symlink(const struct way *w)
{
	return err_of(symlink(w->target, w->path));
}

static int do_symlinkat(const struct way *w)
{
	return err_of(symlinkat(w->target, AT_FDCWD, w->path));
}

static int do_link(const struct way *w)
{
	return err_of(link(w->old, w->path));
}

static int do_linkat(const struct way *w)
{
	return err_of(linkat(AT_FDCWD, w->old, AT_FDCWD, w->path, 0));
}

/* An O_TMPFILE file in SUB, named by linkat(): AT_EMPTY_PATH or /proc. */
static int tmpfile_link(const struct way *w, int by_proc)
{
	int fd = open(SUB, O_TMPFILE | O_WRONLY, 0600), ret;
	char proc[64];

	if (fd < 0)
		return 100 + errno;
	if (by_proc) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		ret = err_of(linkat(AT_FDCWD, proc, AT_FDCWD, w->path, AT_SYMLINK_FOLLOW));
	} else {
		ret = err_of(linkat(fd, "", AT_FDCWD, w->path, AT_EMPTY_PATH));
	}
	close(fd);
	return ret;
}

static int do_link_tmpfile(const struct way *w)
{
	return tmpfile_link(w, 0);
}

static int do_link_tmpfile_proc(const struct way *w)
{
	return tmpfile_link(w, 1);
}

static int do_rename(const struct way *w)
{
	return err_of(rename(w->old, w->path));
}

static int do_renameat2(const struct way *w)
{
	return err_of(renameat2(AT_FDCWD, w->old, AT_FDCWD, w->path, w->flags));
}

#define WAY(n, h, p, o, t, f, pr, a) \
	{ .name = n, .hook = H(h), .path = p, .old = o, .target = t, .flags = f, \
	  .prep = pr, .act = a }

static const struct way ways[] = {
	WAY("open_creat", PATH_MKNOD, SUB "/open", NULL, NULL, 0, prep_none, do_open),
	WAY("creat", PATH_MKNOD, SUB "/creat", NULL, NULL, 0, prep_none, do_creat),
	WAY("openat2", PATH_MKNOD, SUB "/openat2", NULL, NULL, 0, prep_none, do_openat2),
	WAY("mknod_reg", PATH_MKNOD, SUB "/reg", NULL, NULL, 0, prep_none, do_mknod_reg),
	WAY("mknod_type0", PATH_MKNOD, SUB "/type0", NULL, NULL, 0, prep_none, do_mknod_0),
	WAY("mknod_fifo", PATH_MKNOD, SUB "/fifo", NULL, NULL, 0, prep_none, do_mknod_fifo),
	WAY("mknod_sock", PATH_MKNOD, SUB "/sock", NULL, NULL, 0, prep_none, do_mknod_sock),
	WAY("mknod_chr", PATH_MKNOD, SUB "/chr", NULL, NULL, 0, prep_none, do_mknod_chr),
	WAY("mknodat_blk", PATH_MKNOD, SUB "/blk", NULL, NULL, 0, prep_none, do_mknod_blk),
	WAY("unix_bind", PATH_MKNOD, SUB "/unix", NULL, NULL, 0, prep_none, do_unix_bind),
	WAY("bpffs_pin", PATH_MKNOD, PIN, NULL, NULL, 0, prep_none, do_bpf_pin),
	WAY("mkdir", PATH_MKDIR, SUB "/dir", NULL, NULL, 0, prep_none, do_mkdir),
	WAY("mkdirat", PATH_MKDIR, SUB "/dirat", NULL, NULL, 0, prep_none, do_mkdirat),
	WAY("symlink", PATH_SYMLINK, SUB "/sym", NULL, "../some/target", 0, prep_none,
	    do_symlink),
	WAY("symlinkat", PATH_SYMLINK, SUB "/symat", NULL, "/abs", 0, prep_none, do_symlinkat),
	WAY("link", PATH_LINK, SUB "/link", TDIR "/src", NULL, 0, prep_old, do_link),
	WAY("linkat", PATH_LINK, SUB "/linkat", TDIR "/src", NULL, 0, prep_old, do_linkat),
	WAY("linkat_tmpfile", PATH_LINK, SUB "/tmpf", NULL, NULL, 0, prep_none,
	    do_link_tmpfile),
	WAY("linkat_tmpfile_proc", PATH_LINK, SUB "/tmpfp", NULL, NULL, 0, prep_none,
	    do_link_tmpfile_proc),
	WAY("rename_new", PATH_RENAME, SUB "/moved", TDIR "/src", NULL, 0, prep_old, do_rename),
	WAY("renameat2_noreplace", PATH_RENAME, SUB "/moved2", TDIR "/src", NULL,
	    RENAME_NOREPLACE, prep_old, do_renameat2),
	WAY("rename_replace", PATH_RENAME, SUB "/over", TDIR "/src", NULL, 0, prep_both,
	    do_rename),
	WAY("renameat2_exchange", PATH_RENAME, SUB "/xchg", TDIR "/src", NULL,
	    RENAME_EXCHANGE, prep_both, do_renameat2),
	WAY("renameat2_whiteout", PATH_RENAME, SUB "/wh", TDIR "/src", NULL,
	    RENAME_WHITEOUT, prep_old, do_renameat2),
};

/* The directory part of @path, in @buf. */
static const char *dir_of(const char *path, char *buf)
{
	snprintf(buf, 256, "%s", path);
	*strrchr(buf, '/') = 0;
	return buf;
}

static const char *base_of(const char *path)
{
	return strrchr(path, '/') + 1;
}

FIXTURE(way) {
	int map, prog;
	unsigned int hook;
};

FIXTURE_VARIANT(way) {
	int idx;
};

#define WAY_VARIANT(i, n) FIXTURE_VARIANT_ADD(way, n) { .idx = i }
WAY_VARIANT(0, open_creat);
WAY_VARIANT(1, creat);
WAY_VARIANT(2, openat2);
WAY_VARIANT(3, mknod_reg);
WAY_VARIANT(4, mknod_type0);
WAY_VARIANT(5, mknod_fifo);
WAY_VARIANT(6, mknod_sock);
WAY_VARIANT(7, mknod_chr);
WAY_VARIANT(8, mknodat_blk);
WAY_VARIANT(9, unix_bind);
WAY_VARIANT(10, bpffs_pin);
WAY_VARIANT(11, mkdir);
WAY_VARIANT(12, mkdirat);
WAY_VARIANT(13, symlink);
WAY_VARIANT(14, symlinkat);
WAY_VARIANT(15, link);
WAY_VARIANT(16, linkat);
WAY_VARIANT(17, linkat_tmpfile);
WAY_VARIANT(18, linkat_tmpfile_proc);
WAY_VARIANT(19, rename_new);
WAY_VARIANT(20, renameat2_noreplace);
WAY_VARIANT(21, rename_replace);
WAY_VARIANT(22, renameat2_exchange);
WAY_VARIANT(23, renameat2_whiteout);

FIXTURE_SETUP(way)
{
	ASSERT_EQ(ARRAY_LEN(ways), 24);
	ASSERT_EQ(0, own_tmpfs());
	unlink(PIN);
	self->map = make_record_map();
	ASSERT_LE(0, self->map);
	self->hook = ways[variant->idx].hook;
	self->prog = -1;
}

FIXTURE_TEARDOWN(way)
{
	unlink(PIN);
	if (self->prog >= 0) {
		cm_detach(self->hook, self->prog);
		close(self->prog);
	}
	close(self->map);
}

/* Denied: the call fails with the program's errno, after one crossing. */
TEST_F(way, crossed_once_and_refused)
{
	const struct way *w = &ways[variant->idx];
	struct stat st, before = { 0 };
	struct record r;
	int prog = load_copy(w->hook, self->map, getpid(), -DENY_ERRNO);

	ASSERT_LE(0, prog) TH_LOG("%s", verifier_log);
	self->prog = prog;
	ASSERT_EQ(0, w->prep(w));
	if (w->prep == prep_both)
		ASSERT_EQ(0, lstat(w->path, &before));
	ASSERT_EQ(0, clear_record(self->map));
	ASSERT_EQ(0, cm_attach(w->hook, prog));
	EXPECT_EQ(DENY_ERRNO, w->act(w));
	ASSERT_EQ(0, map_op(BPF_MAP_LOOKUP_ELEM, self->map, &r));
	EXPECT_EQ(1, r.runs);
	/* Nothing changed: no new name, an existing one names the same inode. */
	if (w->prep == prep_both) {
		ASSERT_EQ(0, lstat(w->path, &st));
		EXPECT_EQ(before.st_ino, st.st_ino);
	} else {
		EXPECT_EQ(-1, lstat(w->path, &st));
		EXPECT_EQ(ENOENT, errno);
	}
	if (w->old)
		EXPECT_EQ(0, access(w->old, F_OK));
	ASSERT_EQ(0, cm_detach(w->hook, prog));
	EXPECT_EQ(0, w->act(w));
}

/* Allowed: the context against the entry the kernel made. */
TEST_F(way, context_is_the_kernels_view)
{
	const struct way *w = &ways[variant->idx];
	int prog = load_copy(w->hook, self->map, getpid(), 0);
	struct stat st, dst, before = { 0 }, odst;
	struct checmate_inode_ctx *c;
	char buf[256];
	struct record r;

	ASSERT_LE(0, prog) TH_LOG("%s", verifier_log);
	self->prog = prog;
	ASSERT_EQ(0, w->prep(w));
	if (w->prep == prep_both)
		ASSERT_EQ(0, lstat(w->path, &before));
	ASSERT_EQ(0, clear_record(self->map));
	ASSERT_EQ(0, cm_attach(w->hook, prog));
	ASSERT_EQ(0, w->act(w));
	ASSERT_EQ(0, cm_detach(w->hook, prog));
	ASSERT_EQ(0, map_op(BPF_MAP_LOOKUP_ELEM, self->map, &r));
	ASSERT_EQ(1, r.runs);
	c = &r.i;
	ASSERT_EQ(0, lstat(w->path, &st));
	ASSERT_EQ(0, stat(dir_of(w->path, buf), &dst));
	/* The directory and the name. */
	EXPECT_EQ(dst.st_ino, c->dir_ino);
	EXPECT_EQ(dst.st_dev, c->dev);
	EXPECT_EQ(st.st_dev, c->dev);
	EXPECT_EQ(dst.st_mode, c->dir_mode);
	EXPECT_EQ(dst.st_uid, c->dir_uid);
	EXPECT_EQ(dst.st_gid, c->dir_gid);
	EXPECT_STREQ(base_of(w->path), c->name);
	EXPECT_EQ(strlen(base_of(w->path)), c->name_len);
	EXPECT_EQ(0, c->info);
	EXPECT_EQ(0, c->reserved);
	/* The entry: its mode and, for devices, its number. */
	EXPECT_EQ(st.st_mode, c->mode) TH_LOG("ctx %o, stat %o", c->mode, st.st_mode);
	EXPECT_EQ(S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? st.st_rdev : 0, c->rdev);
	switch (w->hook) {
	case H(PATH_MKNOD):
	case H(PATH_MKDIR):
	case H(PATH_SYMLINK):
		EXPECT_EQ(0, c->ino);
		EXPECT_EQ(0, c->nlink);
		EXPECT_EQ(0, c->uid);
		if (w->hook == H(PATH_SYMLINK)) {
			EXPECT_STREQ(w->target, c->name2);
			EXPECT_EQ(strlen(w->target), c->name2_len);
			EXPECT_EQ(st.st_size, c->name2_len);
		} else {
			EXPECT_EQ(0, c->name2[0]);
		}
		break;
	case H(PATH_LINK):
		EXPECT_EQ(st.st_ino, c->ino);
		/* Before the link: 0 for an O_TMPFILE file. */
		EXPECT_EQ(st.st_nlink - 1, c->nlink);
		EXPECT_EQ(w->old ? 1 : 0, c->nlink);
		EXPECT_EQ(st.st_uid, c->uid);
		EXPECT_EQ(st.st_gid, c->gid);
		EXPECT_EQ(0, c->old_dir_ino);
		break;
	case H(PATH_RENAME):
		EXPECT_EQ(st.st_ino, c->ino);
		EXPECT_EQ(st.st_nlink, c->nlink);
		EXPECT_EQ(before.st_ino, c->target_ino);
		EXPECT_EQ(w->flags, c->flags);
		ASSERT_EQ(0, stat(dir_of(w->old, buf), &odst));
		EXPECT_EQ(odst.st_ino, c->old_dir_ino);
		EXPECT_STREQ(base_of(w->old), c->name2);
		EXPECT_EQ(strlen(base_of(w->old)), c->name2_len);
		if (w->flags & RENAME_WHITEOUT) {
			/* The whiteout left at the old name: a 0:0 device. */
			ASSERT_EQ(0, lstat(w->old, &odst));
			EXPECT_TRUE(S_ISCHR(odst.st_mode) && odst.st_rdev == 0);
		}
		break;
	}
}

/* Names longer than 63 bytes are cut, flagged, their length kept. */
TEST(long_names_are_cut_and_flagged)
{
	char name[128], target[512], path[256];
	struct record r;
	int map, prog;

	ASSERT_EQ(0, own_tmpfs());
	map = make_record_map();
	ASSERT_LE(0, map);
	memset(name, 'n', 100);
	name[100] = 0;
	memset(target, 't', 300);
	target[300] = 0;
	prog = load_copy(H(PATH_SYMLINK), map, getpid(), 0);
	ASSERT_LE(0, prog);
	ASSERT_EQ(0, cm_attach(H(PATH_SYMLINK), prog));
	snprintf(path, sizeof(path), SUB "/%s", name);
	ASSERT_EQ(0, symlink(target, path));
	ASSERT_EQ(0, map_op(BPF_MAP_LOOKUP_ELEM, map, &r));
	EXPECT_EQ(100, r.i.name_len);
	EXPECT_EQ(300, r.i.name2_len);
	EXPECT_EQ(CHECMATE_INODE_F_NAME_CUT | CHECMATE_INODE_F_NAME2_CUT, r.i.info);
	EXPECT_EQ(63, strlen(r.i.name));
	EXPECT_EQ(0, strncmp(name, r.i.name, 63));
	EXPECT_EQ(63, strlen(r.i.name2));
	/* 63 bytes fit: not cut. */
	name[63] = 0;
	snprintf(path, sizeof(path), SUB "/%s", name);
	target[63] = 0;
	ASSERT_EQ(0, symlink(target, path));
	ASSERT_EQ(0, map_op(BPF_MAP_LOOKUP_ELEM, map, &r));
	EXPECT_EQ(63, r.i.name_len);
	EXPECT_EQ(0, r.i.info);
	EXPECT_STREQ(name, r.i.name);
	EXPECT_STREQ(target, r.i.name2);
	ASSERT_EQ(0, cm_detach(H(PATH_SYMLINK), prog));
	close(prog);
	close(map);
}

/* The mount hooks: a program that copies the context, for this process. */
FIXTURE(mnt) {
	int map, prog;
	unsigned int hook;
};

FIXTURE_SETUP(mnt)
{
	ASSERT_EQ(0, own_tmpfs());
	self->map = make_record_map();
	ASSERT_LE(0, self->map);
	self->prog = -1;
}

FIXTURE_TEARDOWN(mnt)
{
	if (self->prog >= 0) {
		cm_detach(self->hook, self->prog);
		close(self->prog);
	}
	close(self->map);
}

/* Load a copy program and attach it to @hook; the teardown detaches it. */
static int attach_copy(int map, int *prog, unsigned int *slot, unsigned int hook, int ret)
{
	*slot = hook;
	*prog = load_copy(hook, map, getpid(), ret);
	if (*prog < 0 || clear_record(map))
		return -1;
	return cm_attach(hook, *prog);
}

static __u64 runs(int map)
{
	struct record r;

	return map_op(BPF_MAP_LOOKUP_ELEM, map, &r) ? -1ULL : r.runs;
}

static int new_api_tmpfs(const char *flag)
{
	int fs = fsopen("tmpfs", 0), ret;

	if (fs < 0)
		return -1;
	if (flag && fsconfig(fs, FSCONFIG_SET_FLAG, flag, NULL, 0))
		return -1;
	ret = fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0);
	if (ret) {
		ret = -errno;
		close(fs);
		errno = -ret;
		return -1;
	}
	ret = fsmount(fs, 0, MOUNT_ATTR_NOSUID);
	close(fs);
	return ret;
}

/* sb_kern_mount: mount(2) of a filesystem and fsconfig(CMD_CREATE). */
TEST_F(mnt, sb_kern_mount_both_apis)
{
	int fs;

	ASSERT_EQ(0, attach_copy(self->map, &self->prog, &self->hook, H(SB_KERN_MOUNT),
				 -DENY_ERRNO));
	EXPECT_EQ(-1, mount("none", MNT, "tmpfs", 0, NULL));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(1, runs(self->map));
	fs = fsopen("tmpfs", 0);
	ASSERT_LE(0, fs);
	EXPECT_EQ(-1, fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(2, runs(self->map));
	close(fs);
	/* No new superblock: a bind mount, a remount do not cross it. */
	EXPECT_EQ(0, mount(SUB, MNT, NULL, MS_BIND, NULL));
	EXPECT_EQ(0, mount(NULL, MNT, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
	EXPECT_EQ(2, runs(self->map));
	EXPECT_EQ(0, umount(MNT));
}

TEST_F(mnt, sb_kern_mount_context)
{
	struct checmate_mount_ctx *c;
	struct record r;
	struct stat st;
	int m;

	ASSERT_EQ(0, attach_copy(self->map, &self->prog, &self->hook, H(SB_KERN_MOUNT), 0));
	ASSERT_EQ(0, mount("none", MNT, "tmpfs", MS_RDONLY, NULL));
	ASSERT_EQ(0, map_op(BPF_MAP_LOOKUP_ELEM, self->map, &r));
	c = &r.m;
	ASSERT_EQ(0, stat(MNT, &st));
	EXPECT_EQ(st.st_ino, c->ino);
	EXPECT_EQ(st.st_dev, c->dev);
	EXPECT_STREQ("tmpfs", c->fstype);
	EXPECT_EQ(TMPFS_MAGIC, c->s_magic);
	EXPECT_EQ(MS_RDONLY, c->flags & MS_RDONLY);
	EXPECT_EQ(0, c->chrooted);
	EXPECT_EQ(0, c->userns_level);
	EXPECT_EQ(0, c->ino2);
	EXPECT_EQ(0, c->dev2);
	EXPECT_EQ(0, umount(MNT));
	/* The new API: the superblock fsmount() then mounts. */
	m = new_api_tmpfs("ro");
	ASSERT_LE(0, m);
	ASSERT_EQ(0, map_op(BPF_MAP_LOOKUP_ELEM, self->map, &r));
	ASSERT_EQ(0, fstat(m, &st));
	EXPECT_EQ(2, r.runs);
	EXPECT_EQ(st.st_ino, c->ino);
	EXPECT_EQ(st.st_dev, c->dev);
	EXPECT_STREQ("tmpfs", c->fstype);
	EXPECT_EQ(MS_RDONLY, c->flags & MS_RDONLY);
	close(m);
}

/* move_mount: the attach of fsmount() and open_tree(OPEN_TREE_CLONE) trees. */
TEST_F(mnt, move_mount_attaches)
{
	int m = new_api_tmpfs(NULL), t;

	ASSERT_LE(0, m);
	t = open_tree(AT_FDCWD, SUB, OPEN_TREE_CLONE);
	ASSERT_LE(0, t);
	ASSERT_EQ(0, attach_copy(self->map, &self->prog, &self->hook, H(MOVE_MOUNT), -DENY_ERRNO));
	EXPECT_EQ(-1, move_mount(m, "", AT_FDCWD, MNT, MOVE_MOUNT_F_EMPTY_PATH));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(1, runs(self->map));
	EXPECT_EQ(-1, move_mount(t, "", AT_FDCWD, MNT, MOVE_MOUNT_F_EMPTY_PATH));
	EXPECT_EQ(DENY_ERRNO, errno);
	EXPECT_EQ(2, runs(self->map));
	ASSERT_EQ(0, cm_detach(H(MOVE_MOUNT), self->prog));
	EXPECT_EQ(0, move_mount(t, "", AT_FDCWD, MNT, MOVE_MOUNT_F_EMPTY_PATH));
	/* The open tree keeps the mount busy. */
	close(m);
	close(t);
	EXPECT_EQ(0, umount(MNT));
}

TEST_F(mnt, move_mount_context)
{
	int m = new_api_tmpfs(NULL);
	struct stat to, from;
	struct checmate_mount_ctx *c;
	struct record r;

	ASSERT_LE(0, m);
	ASSERT_EQ(0, stat(MNT, &to));
	ASSERT_EQ(0, fstat(m, &from));
	ASSERT_EQ(0, attach_copy(self->map, &self->prog, &self->hook, H(MOVE_MOUNT), 0));
	ASSERT_EQ(0, move_mount(m, "", AT_FDCWD, MNT, MOVE_MOUNT_F_EMPTY_PATH));
	ASSERT_EQ(0, map_op(BPF_MAP_LOOKUP_ELEM, self->map, &r));
	c = &r.m;
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(to.st_ino, c->ino);
	EXPECT_EQ(to.st_dev, c->dev);
	EXPECT_EQ(from.st_ino, c->ino2);
	EXPECT_EQ(from.st_dev, c->dev2);
	EXPECT_NE(c->dev, c->dev2);
	EXPECT_STREQ("tmpfs", c->fstype);
	EXPECT_EQ(TMPFS_MAGIC, c->s_magic);
	/* MNT_NOSUID (include/linux/mount.h), for MOUNT_ATTR_NOSUID. */
	EXPECT_EQ(0x01, c->mnt_flags & 0x01);
	EXPECT_EQ(0, c->chrooted);
	close(m);
	EXPECT_EQ(0, umount(MNT));
}

/* sb_pivotroot: crossed before the kernel's own checks. */
TEST_F(mnt, sb_pivotroot_crossed_with_both_paths)
{
	struct stat nr, old;
	struct checmate_mount_ctx *c;
	struct record r;

	ASSERT_EQ(0, mount("none", MNT, "tmpfs", 0, NULL));
	ASSERT_EQ(0, mkdir(MNT "/old", 0700));
	ASSERT_EQ(0, stat(MNT, &nr));
	ASSERT_EQ(0, stat(MNT "/old", &old));
	ASSERT_EQ(0, attach_copy(self->map, &self->prog, &self->hook, H(SB_PIVOTROOT),
				 -DENY_ERRNO));
	EXPECT_EQ(-1, syscall(SYS_pivot_root, MNT, MNT "/old"));
	EXPECT_EQ(DENY_ERRNO, errno);
	ASSERT_EQ(0, map_op(BPF_MAP_LOOKUP_ELEM, self->map, &r));
	c = &r.m;
	EXPECT_EQ(1, r.runs);
	EXPECT_EQ(nr.st_ino, c->ino);
	EXPECT_EQ(nr.st_dev, c->dev);
	EXPECT_EQ(old.st_ino, c->ino2);
	EXPECT_EQ(old.st_dev, c->dev2);
	EXPECT_STREQ("tmpfs", c->fstype);
	EXPECT_EQ(TMPFS_MAGIC, c->s_magic);
	EXPECT_EQ(0, c->chrooted);
}

/* The verifier: reads inside the context only, no writes. */
TEST(new_hooks_verifier_rules)
{
	const unsigned int hooks[] = {
		H(PATH_MKNOD), H(PATH_MKDIR), H(PATH_SYMLINK), H(PATH_LINK), H(PATH_RENAME),
		H(SB_KERN_MOUNT), H(MOVE_MOUNT), H(SB_PIVOTROOT),
	};

	for (size_t i = 0; i < ARRAY_LEN(hooks); i++) {
		unsigned int h = hooks[i];
		int end = ctx_size(h);
		const struct bpf_insn last[] = {
			LDX_MEM(BPF_DW, 0, 1, end - 8), MOV64_IMM(0, 0), EXIT(),
		};
		const struct bpf_insn past[] = {
			LDX_MEM(BPF_B, 0, 1, end), MOV64_IMM(0, 0), EXIT(),
		};
		const struct bpf_insn write[] = {
			ST_MEM(BPF_W, 1, 0, 1), MOV64_IMM(0, 0), EXIT(),
		};
		int fd = load_prog(h, last, ARRAY_LEN(last));

		EXPECT_LE(0, fd) TH_LOG("hook %u: %s", h, verifier_log);
		close(fd);
		EXPECT_EQ(-1, load_prog(h, past, ARRAY_LEN(past)));
		EXPECT_EQ(EACCES, errno);
		for (int off = 0; off < end; off += 4) {
			struct bpf_insn w[3];

			memcpy(w, write, sizeof(w));
			w[0].off = off;
			EXPECT_EQ(-1, load_prog(h, w, 3)) TH_LOG("hook %u off %d", h, off);
			EXPECT_EQ(EACCES, errno);
		}
	}
	/* The mount context's appended fields, for the old mount hooks too. */
	EXPECT_EQ(64, sizeof(struct checmate_mount_ctx));
	EXPECT_EQ(232, sizeof(struct checmate_inode_ctx));
	EXPECT_EQ(216, offsetof(struct checmate_inode_ctx, new_mode));
	for (unsigned int h = H(SB_MOUNT); h <= H(PATH_CHROOT); h++) {
		const struct bpf_insn magic[] = {
			LDX_MEM(BPF_W, 0, 1, offsetof(struct checmate_mount_ctx, s_magic)),
			MOV64_IMM(0, 0), EXIT(),
		};
		int fd = load_prog(h, magic, ARRAY_LEN(magic));

		EXPECT_LE(0, fd);
		close(fd);
	}
}

TEST_HARNESS_MAIN
