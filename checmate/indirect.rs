// SPDX-License-Identifier: GPL-2.0
//! Binds and connects made by other calls than `bind(2)` and `connect(2)`,
//! which the LSM hooks `socket_bind` and `socket_connect` do not see: their
//! addresses are run through the programs of those two hooks, one address
//! at a time, with the context the hooks fill for it (`net.rs`); the first
//! denial wins. They are not Checmate hooks of their own: a policy on
//! `socket_bind` or `socket_connect` holds on these paths as it is.
//!
//! - SCTP binds and connects lists of addresses (`sctp_bindx()`,
//!   `sctp_connectx()`, a `sendmsg()` that starts an association) without
//!   `security_socket_bind()` or `security_socket_connect()`; the kernel
//!   hands the list to the LSM hook `sctp_bind_connect` instead. The
//!   optnames map to the two hooks by what the address is: a local one
//!   (`SCTP_SOCKOPT_BINDX_ADD`, `SCTP_SET_PEER_PRIMARY_ADDR`) to
//!   `socket_bind`, a peer's (`SCTP_SOCKOPT_CONNECTX`,
//!   `SCTP_SENDMSG_CONNECT`, `SCTP_PRIMARY_ADDR`) to `socket_connect`.
//!   SELinux checks `SCTP_PRIMARY_ADDR` as a bind; here the context would
//!   then show a peer address as the local one. The peer's own ASCONF
//!   (`SCTP_PARAM_ADD_IP`, `SCTP_PARAM_SET_PRIMARY`) is processed in
//!   softirq, for no task: the programs of these process-context hooks do
//!   not run there.
//!   A `sendmsg()` that starts an association also adds the address of
//!   each of its `SCTP_DSTADDRV4` and `SCTP_DSTADDRV6` cmsgs, which the
//!   kernel hands to the hook as `SCTP_SENDMSG_CONNECT` too, one at a time
//!   (`sctp_sendmsg_new_asoc()`, with the Checmate patch "sctp: check each
//!   SCTP_DSTADDRV4/V6 address with the LSM"); a check from
//!   `socket_sendmsg` would miss them, as `sendmmsg()` skips that hook for
//!   a message to the same `msg_name` as the one before it.
//! - TCP and MPTCP Fast Open (`MSG_FASTOPEN`) connect from `sendmsg()`. A
//!   second `socket_sendmsg` callback runs `socket_connect`'s programs on
//!   the address.
//!
//! Their LSM slots are on only while `socket_bind` or `socket_connect` have
//! programs to run (`progs.rs` toggles them through `switch.rs`).

use crate::hooks::marker;
use crate::{net, progs};
use core::mem::size_of;
use core::ptr;
use kernel::bindings;
use kernel::bindings::checmate_sock_ctx as SockCtx;
use kernel::ffi::{c_int, c_void};

// `include/uapi/linux/sctp.h`.
const SCTP_SET_PEER_PRIMARY_ADDR: c_int = 5;
const SCTP_PRIMARY_ADDR: c_int = 6;
const SCTP_SOCKOPT_BINDX_ADD: c_int = 100;
const SCTP_SOCKOPT_CONNECTX: c_int = 110;
const SCTP_SENDMSG_CONNECT: c_int = 126;

const AF_INET: u32 = bindings::AF_INET;
const AF_INET6: u32 = bindings::AF_INET6;
const EINVAL: c_int = bindings::EINVAL as c_int;

/// `sizeof(struct sockaddr_in)`, `sizeof(struct sockaddr_in6)`: the size
/// of each entry of an SCTP address list (`sctp_af->sockaddr_len`).
const SIN_LEN: usize = size_of::<bindings::sockaddr_in>();
const SIN6_LEN: usize = size_of::<bindings::sockaddr_in6>();

/// The LSM hook `sctp_bind_connect`: each address of the list runs the
/// programs of `socket_bind` or `socket_connect`. A list the kernel's walk
/// refuses (an unknown family, a cut entry) is refused here with the
/// kernel's `EINVAL`: no address of it is ever used.
///
/// # Safety
///
/// Called by the LSM framework with the hook's valid arguments: a locked
/// SCTP sock and the kernel's copy of `addrlen` bytes of addresses.
pub(crate) unsafe extern "C" fn sctp_bind_connect(
    sk: *mut bindings::sock,
    optname: c_int,
    address: *mut bindings::sockaddr,
    addrlen: c_int,
) -> c_int {
    let bind = match optname {
        SCTP_SOCKOPT_BINDX_ADD | SCTP_SET_PEER_PRIMARY_ADDR => true,
        SCTP_SOCKOPT_CONNECTX | SCTP_SENDMSG_CONNECT | SCTP_PRIMARY_ADDR => false,
        // The peer's ASCONF, in softirq (module docs).
        _ => return 0,
    };
    let any = if bind {
        progs::has_programs::<marker::socket_bind>()
    } else {
        progs::has_programs::<marker::socket_connect>()
    };
    // SAFETY: a valid sock (the hook's argument).
    let sk = unsafe { &*sk };
    // Kernel sockets (DLM's) cross neither `socket_bind` nor
    // `socket_connect`: `kernel_bind()` and `kernel_connect()` skip them.
    if !any || sk.sk_kern_sock() != 0 {
        return 0;
    }
    let Ok(len) = usize::try_from(addrlen) else {
        return 0;
    };
    let base = address.cast::<u8>();
    // The port every address shares: the socket's for a bind, the first
    // address's for a connect.
    let mut bind_port = net::local_port(sk);
    let mut peer_port = None;
    let mut off = 0;
    while off < len {
        if len - off < 2 {
            return -EINVAL;
        }
        // SAFETY: two bytes at `off` lie inside the `len` bytes.
        let family = unsafe { ptr::read_unaligned(base.add(off).cast::<u16>()) } as u32;
        let n = match family {
            AF_INET => SIN_LEN,
            AF_INET6 => SIN6_LEN,
            _ => return -EINVAL,
        };
        if len - off < n {
            return -EINVAL;
        }
        // SAFETY: `off + n <= len`: the entry lies inside the list.
        let entry = unsafe { base.add(off) };
        let ret = if bind {
            // SAFETY: `entry` holds `n` bytes of the kernel's own copy,
            // which the bind that follows reads (`sctp_bindx_add()`).
            unsafe { bind_one(sk, entry, n, optname, &mut bind_port) }
        } else {
            let mut ctx = SockCtx::default();
            // SAFETY: `entry` holds `n` readable bytes.
            let port = unsafe {
                net::sctp_connect_addr(
                    &mut ctx,
                    sk,
                    entry.cast_const().cast(),
                    n as c_int,
                    peer_port,
                )
            };
            if peer_port.is_none() {
                peer_port = port;
            }
            progs::run::<marker::socket_connect>(&mut ctx)
        };
        if ret != 0 {
            return ret;
        }
        off += n;
    }
    0
}

/// Runs `socket_bind`'s programs on one local address of an SCTP list and
/// applies the port they leave: written into the entry at bindx, which
/// then binds it (SCTP binds one port per socket, so a port other than
/// the socket's fails there with `EINVAL`); `EINVAL` at
/// `SCTP_SET_PEER_PRIMARY_ADDR`, which binds nothing. `port` is the
/// socket's port, or the one the list's first address takes.
///
/// # Safety
///
/// `entry` must point to `n` writable bytes, an address of the list.
unsafe fn bind_one(
    sk: &bindings::sock,
    entry: *mut u8,
    n: usize,
    optname: c_int,
    port: &mut u32,
) -> c_int {
    let mut ctx = SockCtx::default();
    let mut copy = [0u8; SIN6_LEN];
    let mut addr = entry.cast_const();
    if optname == SCTP_SET_PEER_PRIMARY_ADDR {
        // An address the association already has, with the socket's port;
        // the port given is not used (`sctp_make_asconf_set_prim()`).
        // SAFETY: `n <= SIN6_LEN` bytes, from the entry to a local array.
        unsafe { ptr::copy_nonoverlapping(entry, copy.as_mut_ptr(), n) };
        copy[2..4].copy_from_slice(&(*port as u16).to_be_bytes());
        addr = copy.as_ptr();
    }
    // SAFETY: `addr` points to `n` readable bytes (the entry or its copy).
    let shown =
        unsafe { net::sctp_bind_addr(&mut ctx, sk, addr.cast::<c_void>(), n as c_int, *port) };
    let ret = progs::run::<marker::socket_bind>(&mut ctx);
    if ret != 0 {
        return ret;
    }
    let Some(shown) = shown else {
        return 0;
    };
    if ctx.local_port != shown {
        let Ok(new) = u16::try_from(ctx.local_port) else {
            return -EINVAL;
        };
        if optname != SCTP_SOCKOPT_BINDX_ADD {
            return -EINVAL;
        }
        // The kernel's copy of the list, read by `sctp_do_bind()` next.
        // SAFETY: `entry` is writable for `n >= 4` bytes; the port is at
        // offset 2 in `sockaddr_in` and `sockaddr_in6` alike.
        unsafe { ptr::write_unaligned(entry.add(2).cast::<u16>(), new.to_be()) };
    }
    if *port == 0 {
        *port = ctx.local_port;
    }
    0
}

/// The second `socket_sendmsg` callback (module docs): a Fast Open send,
/// which connects, runs the programs of `socket_connect`.
///
/// # Safety
///
/// Called by the LSM framework with the hook's valid arguments.
pub(crate) unsafe extern "C" fn socket_sendmsg(
    sock: *mut bindings::socket,
    msg: *mut bindings::msghdr,
    _size: c_int,
) -> c_int {
    if !progs::has_programs::<marker::socket_connect>() {
        return 0;
    }
    // Only Fast Open connects from a send: no context to fill for others.
    // SAFETY: a valid msghdr (the hook's argument).
    if unsafe { (*msg).msg_flags } & bindings::MSG_FASTOPEN == 0 {
        return 0;
    }
    let mut ctx = SockCtx::default();
    // SAFETY: the hook's valid arguments.
    if unsafe { net::sendmsg_connect(&mut ctx, sock, msg) } {
        return progs::run::<marker::socket_connect>(&mut ctx);
    }
    0
}
