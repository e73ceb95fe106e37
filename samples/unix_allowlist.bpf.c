// SPDX-License-Identifier: GPL-2.0
/*
 * Egress on UNIX sockets for a container: processes of the cgroup held by
 * unix_cgroup (and of its descendants) reach only the UNIX sockets made in
 * the cgroup their own socket was made in, sockets with no address, and
 * the socket files listed in unix_allow; anything else
 * fails with ECONNREFUSED. So a container does not reach the host's
 * docker.sock or containerd.sock through a bind mount or a path it finds,
 * nor a containerd-shim's abstract socket (CVE-2020-15257) when it shares
 * the host's network namespace. Other processes are not affected.
 *
 * unix_allow: key = the socket file's device and inode (struct unix_file;
 * checmatectl: u32:dev,u32:0,u64:ino, dev as stat(2) st_dev), value u8 1.
 *
 * The peer is the socket the kernel found, after the path lookup, so
 * symlinks, other names of the file (hard links, bind mounts, another
 * mount namespace, /proc/PID/root/...) and relative paths are the same
 * file. "Made in the cgroup" is the peer socket's cgroup: that of the task
 * that created it.
 *
 * Covered (unix_stream_connect, unix_may_send):
 * - connect(2) of SOCK_STREAM and SOCK_SEQPACKET sockets, to a path or an
 *   abstract name (io_uring's CONNECT too);
 * - connect(2) of SOCK_DGRAM sockets, and every sendto(2), sendmsg(2),
 *   sendmmsg(2) message of one, to an address or to its connected peer.
 *
 * Not covered: sockets connected before the policy or outside the cgroup
 * and passed in (SCM_RIGHTS, pidfd_getfd(), inheritance): sends on a
 * connected stream or seqpacket socket are checked at connect only;
 * datagram sends on them are checked, but a peer with no address (a
 * socketpair(2) end) is allowed; socketpair(2) itself; sockets of other
 * families (see egress_allowlist for IPv4 and IPv6).
 */
#include "checmate_policy.h"

POLICY_CGROUP(unix_cgroup);

/* A socket file: its device and inode, as stat(2) shows them. */
struct unix_file {
	__u32 dev;
	__u32 pad;
	__u64 ino;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct unix_file);
	__type(value, __u8);
} unix_allow SEC(".maps");

static __always_inline int unix_egress(const struct checmate_unix_ctx *ctx)
{
	struct unix_file f = {};

	if (!IN_POLICY_CGROUP(unix_cgroup))
		return 0;
	/* Its own sockets, and unbound peers of sockets passed in. */
	if (ctx->peer_cgroup_id == ctx->cgroup_id || !(ctx->info & CHECMATE_UNIX_F_BOUND))
		return 0;
	if (ctx->info & CHECMATE_UNIX_F_ABSTRACT)
		return -ECONNREFUSED;
	f.dev = ctx->peer_dev;
	f.ino = ctx->peer_ino;
	return bpf_map_lookup_elem(&unix_allow, &f) ? 0 : -ECONNREFUSED;
}

SEC("checmate/unix_stream_connect")
int unix_connect(struct checmate_unix_ctx *ctx)
{
	return unix_egress(ctx);
}

SEC("checmate/unix_may_send")
int unix_send(struct checmate_unix_ctx *ctx)
{
	return unix_egress(ctx);
}

char LICENSE[] SEC("license") = "GPL";
