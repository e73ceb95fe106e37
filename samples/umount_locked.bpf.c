// SPDX-License-Identifier: GPL-2.0
/*
 * CVE-2014-9717 mitigation: from inside a user namespace (userns_level >
 * 0), no umount of a mount that the mount namespace inherited locked
 * (MNT_LOCKED): unmounting it would reveal what it covers. EPERM.
 *
 * Covered: umount(2) and umount2(2), with any flags (sb_umount). Linux 6.12
 * refuses such an umount itself (EINVAL, can_umount()) before the hook, so
 * on 6.12 this program only shows the rule, for kernels without that fix.
 *
 * Not covered: the other ways of moving a locked mount away (mount(2) with
 * MS_MOVE, move_mount(), pivot_root()) do not cross sb_umount; 6.12 refuses
 * them itself for a locked mount, or moves the lock along (the old root of
 * pivot_root()). A caller in the initial user namespace
 * (setns() into the mount namespace only) is not restricted.
 */
#include "checmate_policy.h"

#define MNT_LOCKED 0x800000

SEC("checmate/sb_umount")
int umount_locked(struct checmate_mount_ctx *ctx)
{
	if (ctx->userns_level > 0 && (ctx->mnt_flags & MNT_LOCKED))
		return -EPERM;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
