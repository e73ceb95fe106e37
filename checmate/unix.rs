// SPDX-License-Identifier: GPL-2.0
//! Unix socket contexts (`struct checmate_unix_ctx`): `unix_stream_connect`
//! and `unix_may_send` (`net/unix/af_unix.c`), the peer a UNIX socket is
//! about to reach.
//!
//! Both are called in atomic context: `unix_stream_connect()` holds
//! `unix_state_lock()` of the listening socket and of the connecting one,
//! `unix_dgram_connect()` and `unix_dgram_sendmsg()` hold that of the
//! receiving socket (with the sender's in connect), all spinlocks, after
//! checking that the peer is not dead. The fills here only read fields that
//! are stable under the peer's lock or for the life of the socket: no
//! allocation, no reference taken or dropped, no lock, nothing that may
//! sleep. `current` is the caller.

use crate::ctx::encode_dev;
use crate::ctx::{wants, Want};
use crate::report::Describe;
use core::fmt::{self, Write};
use kernel::bindings;
use kernel::bindings::checmate_unix_ctx as UnixCtx;

// SAFETY: a UAPI structure of `__u32`/`__u64`/`char` fields only
// (include/uapi/linux/checmate.h), generated `repr(C)` by bindgen.
unsafe impl crate::ctx::Context for UnixCtx {}

impl Describe for UnixCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        write!(
            w,
            "sock_type={} info={:#x} peer_ino={} peer_dev={} peer_pid={} peer_uid={} \
             peer_cgroup={} name_len={}",
            self.type_,
            self.info,
            self.peer_ino,
            self.peer_dev,
            self.peer_pid,
            self.peer_uid,
            self.peer_cgroup_id,
            self.name_len
        )
    }
}

/// The cgroup v2 id and network namespace cookie of `sk`, fixed for the
/// life of the sock.
fn cgroup_and_netns(sk: &bindings::sock) -> (u64, u64) {
    let mut ids = (0, 0);
    // `sock_cgroup_ptr()`: a sock holds a reference to its cgroup from
    // `cgroup_sk_alloc()` to `cgroup_sk_free()`, for as long as it lives.
    // SAFETY: valid while the sock is (above); null is checked.
    if let Some(cgrp) = unsafe { sk.sk_cgrp_data.cgroup.as_ref() } {
        // SAFETY: `cgroup_id()`: a live cgroup's `kn` is valid.
        if let Some(kn) = unsafe { cgrp.kn.as_ref() } {
            ids.0 = kn.id;
        }
    }
    // `sock_net()`: a sock holds its network namespace while it lives.
    // SAFETY: valid while the sock is (above); null is checked.
    if let Some(net) = unsafe { sk.__sk_common.skc_net.net.as_ref() } {
        ids.1 = net.net_cookie;
    }
    ids
}

/// The address the peer is bound to: its `sun_path` bytes into `ctx.name`.
///
/// # Safety
///
/// `peer` must be a live UNIX sock whose `unix_state_lock()` is held.
unsafe fn peer_name(ctx: &mut UnixCtx, peer: *const bindings::sock) {
    let mut len: i32 = 0;
    // SAFETY: `peer` is a live UNIX sock (caller); the helper loads its
    // address with acquire semantics, as `bind()` published it.
    let addr = unsafe { bindings::checmate_unix_addr(peer, &mut len) };
    // `sizeof(sa_family_t)`: the family precedes `sun_path`.
    const FAMILY: usize = 2;
    let len = len as usize;
    if addr.is_null() || len <= FAMILY {
        return;
    }
    ctx.info |= bindings::CHECMATE_UNIX_F_BOUND;
    // A published `unix_address` is never changed and is freed only with
    // the sock, which lives (caller).
    // SAFETY: `addr` points to the address's `len` bytes of `sockaddr_un`
    // and `FAMILY < len`.
    let first = unsafe { *addr.add(FAMILY) };
    let (start, n) = if first == 0 {
        // An abstract name: the bytes after the leading NUL, all of them.
        ctx.info |= bindings::CHECMATE_UNIX_F_ABSTRACT;
        (FAMILY + 1, len - FAMILY - 1)
    } else {
        // A path: `unix_mkname_bsd()` counts its NUL in `len`.
        (FAMILY, len - FAMILY - 1)
    };
    let n = n.min(ctx.name.len());
    ctx.name_len = n as u32;
    for (i, d) in ctx.name.iter_mut().take(n).enumerate() {
        // SAFETY: `start + i < start + n <= len`: inside the address.
        *d = unsafe { *addr.add(start + i) } as _;
    }
}

/// What the context says of the peer `peer` reached by the caller's sock `sk`.
///
/// # Safety
///
/// `sk` must be the caller's live UNIX sock and `peer` a live UNIX sock,
/// not dead, whose `unix_state_lock()` is held.
unsafe fn fill(
    ctx: &mut UnixCtx,
    want: Want,
    sk: *const bindings::sock,
    peer: *const bindings::sock,
) {
    // SAFETY: both socks are live (caller).
    let (sk_ref, peer_ref) = unsafe { (&*sk, &*peer) };
    ctx.type_ = sk_ref.sk_type as u32;
    (ctx.cgroup_id, ctx.netns_cookie) = cgroup_and_netns(sk_ref);
    (ctx.peer_cgroup_id, ctx.peer_netns_cookie) = cgroup_and_netns(peer_ref);
    // `sk_uid` is set when the sock is made and never changes.
    ctx.peer_owner_uid = peer_ref.sk_uid.val;
    // SO_PEERCRED: set by `listen()` and `socketpair()` under the sock's
    // state lock, which the caller holds, and put only when the sock is
    // destructed; the references it holds keep the cred and the pid.
    if !peer_ref.sk_peer_cred.is_null() {
        // SAFETY: a non-null `sk_peer_cred` is a counted reference (above).
        let cred = unsafe { &*peer_ref.sk_peer_cred };
        ctx.peer_uid = cred.euid.val;
        ctx.peer_gid = cred.egid.val;
        if wants!(want, UnixCtx, peer_pid) {
            // SAFETY: `sk_peer_pid` is null or a counted reference (above).
            ctx.peer_pid = unsafe { bindings::checmate_pid_nr(peer_ref.sk_peer_pid) } as u32;
        }
        ctx.info |= bindings::CHECMATE_UNIX_F_PEERCRED;
    }
    // The name, and the `info` flags it sets, only for programs that read
    // them: a copy of up to 108 bytes.
    if wants!(want, UnixCtx, info, name_len, name) {
        // SAFETY: the peer is live and its state lock held (caller).
        unsafe { peer_name(ctx, peer) };
    }
    // The bound path: set before the address is published and cleared only
    // by `unix_release_sock()` under the state lock, once the sock is dead;
    // the sock holds a reference to the dentry, so to its inode.
    // SAFETY: the peer is live, not dead, its state lock held (caller).
    let inode = unsafe { bindings::checmate_unix_inode(peer) };
    // SAFETY: null or the inode of a dentry the sock holds (above).
    if let Some(inode) = unsafe { inode.as_ref() } {
        ctx.peer_ino = inode.i_ino as u64;
        // SAFETY: a live inode's superblock is valid.
        ctx.peer_dev = encode_dev(unsafe { (*inode.i_sb).s_dev });
    }
}

/// Fills the context of the `unix_stream_connect` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn unix_stream_connect(
    ctx: &mut UnixCtx,
    want: Want,
    sock: *mut bindings::sock,
    other: *mut bindings::sock,
    _newsk: *mut bindings::sock,
) {
    // `unix_stream_connect()` holds both state locks for the hook.
    // SAFETY: `sock` is the connecting sock and `other` the listening one,
    // found alive (not SOCK_DEAD) under those locks.
    unsafe { fill(ctx, want, sock, other) };
}

/// Fills the context of the `unix_may_send` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn unix_may_send(
    ctx: &mut UnixCtx,
    want: Want,
    sock: *mut bindings::socket,
    other: *mut bindings::socket,
) {
    // `unix_dgram_connect()` and `unix_dgram_sendmsg()` read the
    // receiver's `sk_socket` under its state lock after checking it is not
    // SOCK_DEAD (`sock_orphan()` clears it under that lock).
    // SAFETY: `sock` (the sender's) and `other` (the receiver's) are live
    // sockets with live socks for the hook (above).
    unsafe { fill(ctx, want, (*sock).sk, (*other).sk) };
}
