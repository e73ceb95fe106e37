// SPDX-License-Identifier: GPL-2.0
/*
 * File creation rate limit: processes directly in the cgroup whose id is in
 * rate_config (not in its descendants) may create at most rate_config.max
 * directory entries per second of CLOCK_MONOTONIC (the count restarts at
 * each whole second, it is not a sliding window); beyond that, creation
 * fails with EDQUOT until the next second. The cgroup id of a cgroup v2
 * directory is its inode number. A process that may create a child cgroup
 * (a delegated cgroup tree, a writable cgroupfs in the container) leaves
 * the limit by moving into one; so does a Kubernetes pod's container if
 * the pod's cgroup is named here.
 *
 * A creation is a new name in a directory, of any type: each crosses one of
 * the five path hooks, once, before the filesystem acts (on overlayfs too,
 * where inode_create would be crossed twice).
 *
 * Covered, one count each:
 * - path_mknod: open(), openat(), openat2() and creat() with O_CREAT of a
 *   name that is not there; mknod() and mknodat() of every type (regular
 *   file, type 0, FIFO, socket, character and block device); bind() of a
 *   UNIX socket to a path; pinning in bpffs;
 * - path_mkdir: mkdir(), mkdirat();
 * - path_symlink: symlink(), symlinkat();
 * - path_link: link(), linkat(), also the linkat() that gives an O_TMPFILE
 *   file its name (AT_EMPTY_PATH, or /proc/self/fd/N with
 *   AT_SYMLINK_FOLLOW);
 * - path_rename: rename(), renameat(), renameat2() to a name that is not
 *   there (one); RENAME_WHITEOUT (one more, for the whiteout left at the
 *   old name).
 * io_uring's IORING_OP_MKNODAT, MKDIRAT, SYMLINKAT, LINKAT and RENAMEAT,
 * and its OPENAT with O_CREAT, call the same kernel functions and cross the
 * same hooks.
 *
 * Not counted: a rename onto an existing name and RENAME_EXCHANGE (no new
 * name); an O_TMPFILE open itself (an inode without a name: the linkat()
 * that names it counts); mq_open() with O_CREAT (crosses inode_create
 * only, in the mqueue filesystem); the kernel's own creations
 * (devtmpfs, init_mknod() at boot, overlayfs copy-up and whiteouts on its
 * upper layer, nfsd). An O_CREAT open of an existing file the dentry cache
 * does not hold yet crosses path_mknod too: it is counted, never refused
 * (the kernel then opens the file). A creation counted and then failing
 * for another reason (EEXIST, a full disk) still counts. At a second's
 * boundary, creations racing on several CPUs may let one or two more
 * through, or refuse one or two more, than max.
 */
#include "checmate_policy.h"

struct rate_config {
	__u64 cgroup_id;
	__u32 max;
	__u32 reserved;
};

struct rate_state {
	__u64 second;
	__u64 count;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rate_config);
} rate_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rate_state);
} rate_state SEC(".maps");

#define RENAME_WHITEOUT	4 /* include/uapi/linux/fs.h */

/* Count @n creations by the caller: 0, or -EDQUOT past the limit. */
static __always_inline int count(__u64 n)
{
	__u32 zero = 0;
	struct rate_config *cfg = bpf_map_lookup_elem(&rate_config, &zero);
	struct rate_state *st = bpf_map_lookup_elem(&rate_state, &zero);
	__u64 now;

	if (!n || !cfg || !st || !cfg->max || bpf_get_current_cgroup_id() != cfg->cgroup_id)
		return 0;
	now = bpf_ktime_get_ns() / 1000000000;
	if (st->second != now) {
		st->second = now;
		st->count = 0;
	}
	if (__sync_fetch_and_add(&st->count, n) + n > cfg->max)
		return -EDQUOT;
	return 0;
}

SEC("checmate/path_mknod")
int rate_mknod(struct checmate_inode_ctx *ctx)
{
	return count(1);
}

SEC("checmate/path_mkdir")
int rate_mkdir(struct checmate_inode_ctx *ctx)
{
	return count(1);
}

SEC("checmate/path_symlink")
int rate_symlink(struct checmate_inode_ctx *ctx)
{
	return count(1);
}

SEC("checmate/path_link")
int rate_link(struct checmate_inode_ctx *ctx)
{
	return count(1);
}

SEC("checmate/path_rename")
int rate_rename(struct checmate_inode_ctx *ctx)
{
	/* A new name unless one is replaced or exchanged; a whiteout is one. */
	return count((ctx->target_ino == 0) + !!(ctx->flags & RENAME_WHITEOUT));
}

char LICENSE[] SEC("license") = "GPL";
