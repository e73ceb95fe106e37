// SPDX-License-Identifier: GPL-2.0
//! Task contexts (`struct checmate_task_ctx`): the task hooks.

use crate::ctx::encode_dev;
use crate::ctx::{wants, Want};
use kernel::bindings;
use kernel::bindings::checmate_task_ctx as TaskCtx;
use kernel::ffi::{c_int, c_uint, c_ulong};

/// Ids of `task` in the initial namespaces.
///
/// # Safety
///
/// `task` must be a valid task.
unsafe fn from_task(ctx: &mut TaskCtx, task: *mut bindings::task_struct) {
    // SAFETY: the caller guarantees `task` is valid; its creds are read
    // under RCU by the helpers.
    unsafe {
        ctx.pid = bindings::task_pid_nr(task) as u32;
        ctx.tgid = bindings::task_tgid_nr(task) as u32;
        ctx.uid = bindings::task_uid(task).val;
        ctx.gid = bindings::task_gid(task).val;
    }
}

/// Fills the context of the `task_alloc` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn task_alloc(
    ctx: &mut TaskCtx,
    _want: Want,
    task: *mut bindings::task_struct,
    clone_flags: c_ulong,
) {
    // SAFETY: valid hook arguments.
    unsafe { from_task(ctx, task) };
    // The new task has no pid yet: the fields hold a copy of the parent's.
    ctx.pid = 0;
    ctx.tgid = 0;
    ctx.flags = clone_flags as u64;
}

/// Fills the context of the `bprm_check_security` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn bprm_check_security(
    ctx: &mut TaskCtx,
    _want: Want,
    bprm: *mut bindings::linux_binprm,
) {
    // SAFETY: `current` is always valid; `bprm->file` is the open executable.
    unsafe {
        from_task(ctx, bindings::get_current());
        let inode = &*(*(*bprm).file).f_inode;
        ctx.ino = inode.i_ino as u64;
        ctx.dev = encode_dev((*inode.i_sb).s_dev);
    }
}

/// Is `task` the caller or one of its descendants? Yama's
/// `task_is_descendant()`, walking `real_parent` up to the idle task.
///
/// # Safety
///
/// `task` must be a valid task.
unsafe fn is_caller_or_descendant(task: *mut bindings::task_struct) -> bool {
    let _guard = crate::rcu::read_lock();
    // SAFETY: `current` is valid.
    let me = unsafe { bindings::task_tgid_nr(bindings::get_current()) };
    let mut walker = task;
    // SAFETY: under RCU every task on the `real_parent` chain stays valid;
    // the chain ends at the idle task (pid 0), its own parent.
    unsafe {
        while bindings::task_pid_nr(walker) != 0 {
            if bindings::task_tgid_nr(walker) == me {
                return true;
            }
            walker = bindings::checmate_real_parent(walker);
        }
    }
    false
}

/// Fills the context of the `ptrace_access_check` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn ptrace_access_check(
    ctx: &mut TaskCtx,
    _want: Want,
    child: *mut bindings::task_struct,
    mode: c_uint,
) {
    // SAFETY: valid hook arguments.
    unsafe { from_task(ctx, child) };
    ctx.flags = mode as u64;
    // SAFETY: `child` is a valid task, the hook's argument (caller).
    ctx.descendant = unsafe { is_caller_or_descendant(child) } as u32;
}

/// Fills the context of the `ptrace_traceme` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn ptrace_traceme(
    ctx: &mut TaskCtx,
    _want: Want,
    parent: *mut bindings::task_struct,
) {
    // SAFETY: valid hook arguments.
    unsafe { from_task(ctx, parent) };
}

/// Fills the context of the `task_kill` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn task_kill(
    ctx: &mut TaskCtx,
    want: Want,
    p: *mut bindings::task_struct,
    _info: *mut bindings::kernel_siginfo,
    sig: c_int,
    cred: *const bindings::cred,
) {
    // SAFETY: valid hook arguments.
    unsafe { from_task(ctx, p) };
    ctx.arg = sig as u32;
    if cred.is_null() {
        // `check_kill_permission()`: the sender is the calling task.
        // SAFETY: process context: `current` and its credentials are
        // valid.
        unsafe {
            let me = bindings::get_current();
            ctx.sender_tgid = bindings::task_tgid_nr(me) as u32;
            ctx.sender_uid = (*bindings::checmate_current_cred()).euid.val;
        }
        if wants!(want, TaskCtx, sender_cgroup_id) {
            // SAFETY: process context; the cgroup id is read under RCU.
            ctx.sender_cgroup_id = unsafe { bindings::checmate_current_cgroup_id() };
        }
    } else {
        // `kill_pid_usb_asyncio()`, possibly in interrupt context: the
        // credentials of the device file's opener; `current` is unrelated.
        // SAFETY: the caller holds a reference to `cred` for the call.
        ctx.sender_uid = unsafe { (*cred).euid.val };
    }
}

/// Fills the context of the `file_send_sigiotask` LSM hook, possibly in
/// interrupt context (`send_sigio()` from a driver or the network stack),
/// under RCU and the owner's `fown->lock`: only reads.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn file_send_sigiotask(
    ctx: &mut TaskCtx,
    _want: Want,
    tsk: *mut bindings::task_struct,
    fown: *mut bindings::fown_struct,
    sig: c_int,
) {
    // SAFETY: `sigio_perm()` passes a task it found under RCU, which it
    // holds for the call.
    unsafe { from_task(ctx, tsk) };
    // F_SETSIG 0 sends SIGIO (`send_sigio_to_task()`).
    ctx.arg = if sig == 0 {
        bindings::SIGIO
    } else {
        sig as u32
    };
    // `fown` is the file's owner record, its `lock` held by the caller;
    // `file` is its backpointer, set when the record was made.
    // SAFETY: the record and the file it belongs to (which holds its
    // inode) are alive while the caller signals for it.
    unsafe {
        let f = &*fown;
        ctx.sender_uid = f.euid.val;
        if !f.file.is_null() {
            let inode = &*(*f.file).f_inode;
            ctx.ino = inode.i_ino as u64;
            ctx.dev = encode_dev((*inode.i_sb).s_dev);
        }
    }
}

/// Fills the context of the `task_setnice` LSM hook (under RCU and, for
/// setpriority(2), `tasklist_lock`).
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn task_setnice(
    ctx: &mut TaskCtx,
    _want: Want,
    p: *mut bindings::task_struct,
    nice: c_int,
) {
    // SAFETY: the callers hold the task (RCU, or `current`).
    unsafe { from_task(ctx, p) };
    ctx.arg = nice as u32;
}

/// Fills the context of the `task_setscheduler` LSM hook.
///
/// # Safety
///
/// The pointer arguments are those the LSM framework passed the hook
/// this serves, valid for the call.
pub(crate) unsafe fn task_setscheduler(
    ctx: &mut TaskCtx,
    _want: Want,
    p: *mut bindings::task_struct,
) {
    // SAFETY: the callers hold the task (a reference, or `current`).
    unsafe { from_task(ctx, p) };
}
