// SPDX-License-Identifier: GPL-2.0
//! The `bpf` hook's own rule, before its programs: keeps other BPF
//! programs from rewriting, after Checmate has decided, what a locked hook
//! decided on.
//!
//! cgroup `sock_addr` programs run after the LSM hooks of the same system
//! call (`__sys_connect_file()` calls `security_socket_connect()` before
//! `inet_stream_connect()` runs `BPF_CGROUP_INET4_CONNECT`; `udp_sendmsg()`
//! and `inet_bind_sk()` likewise), and may rewrite the address: a connect
//! to an allowed port then reaches a refused one. While `socket_connect`,
//! `socket_sendmsg` or `socket_bind` is locked, attaching such a program
//! (`BPF_PROG_ATTACH`, `BPF_LINK_CREATE`) or replacing the program of such
//! a cgroup link (`BPF_LINK_UPDATE`) fails with `EPERM`. Programs attached
//! before the lock keep running: lock early.

use crate::hooks::{marker, HookType};
use crate::progs;
use kernel::bindings;
use kernel::ffi::{c_int, c_uint};

/// Is a hook that `attach_type`'s programs could undo locked?
fn undoes_locked_hook(attach_type: c_int) -> bool {
    let Ok(t) = u32::try_from(attach_type) else {
        return false;
    };
    let connect = marker::socket_connect::HOOK;
    let sendmsg = marker::socket_sendmsg::HOOK;
    let bind = marker::socket_bind::HOOK;
    match t {
        // TCP Fast Open connects from sendmsg() through the same program.
        bindings::bpf_attach_type_BPF_CGROUP_INET4_CONNECT
        | bindings::bpf_attach_type_BPF_CGROUP_INET6_CONNECT => {
            progs::is_locked(connect) || progs::is_locked(sendmsg)
        }
        bindings::bpf_attach_type_BPF_CGROUP_UDP4_SENDMSG
        | bindings::bpf_attach_type_BPF_CGROUP_UDP6_SENDMSG => progs::is_locked(sendmsg),
        bindings::bpf_attach_type_BPF_CGROUP_INET4_BIND
        | bindings::bpf_attach_type_BPF_CGROUP_INET6_BIND => progs::is_locked(bind),
        _ => false,
    }
}

/// The `pre` function of the `bpf` hook: refuses, before any program
/// runs, the attach of cgroup programs that could undo a locked hook's
/// decision; `None` lets the hook's programs judge every other command.
///
/// # Safety
///
/// Called by the LSM framework from `__sys_bpf()`, in process context, with
/// the kernel's copy of the command's attributes.
pub(crate) unsafe fn bpf(
    cmd: c_int,
    attr: *mut bindings::bpf_attr,
    _size: c_uint,
) -> Option<c_int> {
    if !matches!(
        cmd as u32,
        bindings::bpf_cmd_BPF_PROG_ATTACH
            | bindings::bpf_cmd_BPF_LINK_CREATE
            | bindings::bpf_cmd_BPF_LINK_UPDATE
    ) {
        return None;
    }
    // For BPF_LINK_UPDATE the helper takes and drops a link reference.
    // SAFETY: `attr` is the kernel's copy of the attributes of `cmd`; the
    // helper reads only the member of the union that `cmd` uses.
    let attach_type = unsafe { bindings::checmate_bpf_attach_type(cmd, attr) };
    undoes_locked_hook(attach_type).then_some(-(bindings::EPERM as c_int))
}
