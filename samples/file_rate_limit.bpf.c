// SPDX-License-Identifier: GPL-2.0
/*
 * File creation rate limit: processes directly in the cgroup whose id is in
 * rate_config (not in its descendants) may create at most rate_config.max
 * regular files per second of CLOCK_MONOTONIC (the count restarts at each
 * whole second, it is not a sliding window); beyond that, creation fails
 * with EDQUOT until the next second. The cgroup id of a cgroup v2 directory
 * is its inode number.
 *
 * Covered: what crosses inode_create (security_inode_create()):
 * open(), openat(), openat2() and creat() with O_CREAT of a name the
 * dentry cache does not hold, mknod() and mknodat() of a regular file
 * (S_IFREG or type 0), mq_open() with O_CREAT, and pinning in bpffs. On
 * tmpfs, such an open is exactly one that creates; on a filesystem whose
 * entry for an existing file is not cached yet, an O_CREAT open of that
 * file is counted too, but never refused (the kernel then opens the file).
 * A creation counted and then failing for another reason still counts.
 *
 * Not covered (other hooks, or none): mkdir(), symlink(), link() and
 * linkat() (also of an O_TMPFILE file), rename(), O_TMPFILE opens, mknod()
 * of FIFOs, sockets and devices, bind() of a UNIX socket to a path. At a
 * second's boundary, creations racing on several CPUs may let one or two
 * more through, or refuse one or two more, than max.
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

SEC("checmate/inode_create")
int rate_inode_create(struct checmate_file_ctx *ctx)
{
	__u32 zero = 0;
	struct rate_config *cfg = bpf_map_lookup_elem(&rate_config, &zero);
	struct rate_state *st = bpf_map_lookup_elem(&rate_state, &zero);
	__u64 now;

	if (!cfg || !st || !cfg->max || bpf_get_current_cgroup_id() != cfg->cgroup_id)
		return 0;
	now = bpf_ktime_get_ns() / 1000000000;
	if (st->second != now) {
		st->second = now;
		st->count = 0;
	}
	if (__sync_fetch_and_add(&st->count, 1) >= cfg->max)
		return -EDQUOT;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
