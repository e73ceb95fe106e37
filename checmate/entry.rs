// SPDX-License-Identifier: GPL-2.0
//! The LSM entry points, one per row of the hook table: fill the context,
//! run the hook's programs, apply what they wrote if they allowed. And the
//! `security_hook_list` entries that `lsm.rs` registers.

use crate::ctx::Want;
use crate::hooks::{for_each_hook, marker, COUNT};
use crate::{admin, api, creds, exec, fs, guard, integrity, mount, namei, net, progs, task, unix};
use kernel::bindings;
use kernel::bindings::{
    bpf_attr, cred, dentry, file, fown_struct, inode, kernel_cap_t, kernel_siginfo, kgid_t, kuid_t,
    linux_binprm, mnt_idmap, msghdr, path, request_sock, sk_buff, sock, sockaddr, socket,
    task_struct, umode_t, user_namespace, vfsmount, vm_area_struct,
};
use kernel::bindings::{
    checmate_cred_ctx as CredCtx, checmate_exec_ctx as ExecCtx, checmate_file_ctx as FileCtx,
    checmate_inode_ctx as InodeCtx, checmate_kernel_ctx as KernelCtx,
    checmate_mount_ctx as MountCtx, checmate_sock_ctx as SockCtx, checmate_task_ctx as TaskCtx,
    checmate_unix_ctx as UnixCtx,
};
use kernel::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

/// The hook's return value when nothing denies: the row's `allow`, or 0.
macro_rules! or_zero {
    () => {
        0
    };
    ($allow:expr) => {
        $allow
    };
}

/// Calls the row's `pre` function, if it has one, and returns what it
/// decided.
macro_rules! call_pre {
    (; $($arg:ident),*) => {};
    ($pre:path; $($arg:ident),*) => {
        // SAFETY: the LSM framework calls this hook with valid arguments,
        // which is what the `pre` function requires.
        if let Some(ret) = unsafe { $pre($($arg),*) } {
            return ret;
        }
    };
}

/// One `security_hook_list` entry, for `lsm.rs` to register.
pub(crate) type HookEntry = bindings::security_hook_list;

macro_rules! define_entries {
    ($(
        $lsm:ident = $num:ident, $ctx:ident, context $cx:ident,
            ($($arg:ident: $ty:ty),* $(,)?) $(pre $pre:path,)? $(always_on $on:literal,)?
            $(allow $allow:expr,)?
            $(on_deny $deny:path,)? fill $fill:path
            $(, writable [$($wf:ident: $wt:ty),*] commit $commit:path)? ;
    )*) => {
        $(
        /// The LSM hook of the same name.
        ///
        /// # Safety
        ///
        /// Called by the LSM framework with the hook's valid arguments.
        unsafe extern "C" fn $lsm($($arg: $ty),*) -> c_int {
            call_pre!($($pre)?; $($arg),*);
            let allow: c_int = or_zero!($($allow)?);
            // Nothing attached: no context to fill.
            if !progs::has_programs::<marker::$lsm>() {
                return allow;
            }
            let mut slot = core::mem::MaybeUninit::<$ctx>::uninit();
            #[allow(unused_variables)]
            let args = ($($arg,)*);
            // Filled only if the programs read it (`progs::fill_and_run`).
            let fill = |ctx: &mut $ctx, want: Want| {
                // The arguments are valid for the whole call, and a fill
                // may run more than once.
                // SAFETY: the LSM framework passed this hook valid arguments.
                unsafe { $fill(ctx, want, $($arg),*) }
            };
            #[allow(unused_variables)]
            let (ret, filled) = progs::fill_and_run::<marker::$lsm, _>(&mut slot, fill);
            $(
            if ret != 0 {
                // A denial always comes with the filled context.
                if let Some(ctx) = filled {
                    $deny(ctx);
                }
                return ret;
            }
            )?
            $(
            // Hooks with writable fields always fill their context.
            if let (0, Some(ctx)) = (ret, filled) {
                // SAFETY: `args` are the arguments the LSM framework
                // passed this hook, valid for the call, as `$commit` needs.
                return unsafe { $commit(ctx, args) };
            }
            )?
            if ret == 0 {
                allow
            } else {
                ret
            }
        }
        )*

        /// The `security_hook_list` entries of every hook, in table order.
        pub(crate) fn entries() -> [HookEntry; COUNT] {
            [$(HookEntry {
                // SAFETY: only the address of the static is taken.
                scalls: unsafe { &raw mut bindings::static_calls_table.$lsm }.cast(),
                hook: bindings::security_list_options { $lsm: Some($lsm) },
                lsmid: core::ptr::null_mut(),
                // Switched on only while programs are attached (`switch.rs`),
                // unless the row says `always_on`.
                runtime: !(false $(|| $on)?),
            }),*]
        }
    };
}

for_each_hook!(define_entries);
