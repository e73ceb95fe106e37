// SPDX-License-Identifier: GPL-2.0
//! The hook table: pure data, expanded by each consumer, as
//! `include/linux/lsm_hook_defs.h` is by `security/security.c` and
//! `kernel/bpf/bpf_lsm.c`. Each row names an LSM hook, its Checmate hook
//! number, the UAPI context its programs see, where the kernel calls it,
//! its arguments, the function that fills the context (`net.rs`, `fs.rs`,
//! `task.rs`, `mount.rs`, `namei.rs`, `unix.rs`, `creds.rs`, `exec.rs`,
//! `integrity.rs`)
//! and, for hooks with writable fields, those fields and the function that
//! applies them.
//!
//! [`for_each_hook!`] hands the rows to a macro of the caller's. Expanded:
//!
//! - here: [`Hook`], the per-hook [`HookDesc`] (number, name, context
//!   layout, verifier rules) and one marker type per hook ([`marker`]),
//!   which ties the hook to its context type;
//! - in `entry.rs`: the LSM entry points and their `security_hook_list`;
//! - in `switch.rs`: each hook's static call slots.
//!
//! This file depends on the UAPI contexts only: dependencies run one way,
//! table -> contexts -> program arrays -> API. Adding a hook is one row
//! here, one fill function and one number in
//! `include/uapi/linux/checmate.h`.

use crate::ctx::Context;
use core::ffi::c_int;
use core::mem::{offset_of, size_of};
use kernel::bindings;
use kernel::bindings::{
    checmate_cred_ctx as CredCtx, checmate_exec_ctx as ExecCtx, checmate_file_ctx as FileCtx,
    checmate_inode_ctx as InodeCtx, checmate_kernel_ctx as KernelCtx,
    checmate_mount_ctx as MountCtx, checmate_sock_ctx as SockCtx, checmate_task_ctx as TaskCtx,
    checmate_unix_ctx as UnixCtx,
};

/// Calls `$m! { rows }` with the table's rows, in hook number order:
///
/// ```text
/// lsm_hook = CHECMATE_HOOK_NUMBER, ContextType, context Process|Atomic|Irq,
///     (arg: type, ...) [pre pre_function,] [always_on true,] [allow value,]
///     [on_deny deny_function,] fill fill_function
///     [, writable [field: type, ...] commit commit_function];
/// ```
///
/// - `context`: where the kernel calls the hook ([`CallContext`]).
/// - `pre`: called first, with the hook's arguments, before the programs
///   (and, with `always_on`, whether programs are attached or not);
///   `Some(ret)` returns `ret` at once.
/// - `always_on`: the hook's slot is never switched off, for a `pre`
///   function that must always run (`task_prctl`: Checmate's own
///   `PR_CHECMATE`; `bpf`: the lock guard). Every other hook costs
///   nothing while it has no program.
/// - `allow`: what the hook returns when nothing denies, if not 0
///   (`task_prctl`: `-ENOSYS`, "not handled").
/// - `on_deny`: called with the context after an enforced denial.
/// - `writable` and `commit`: fields programs may write, and the function
///   that applies them once every program allowed.
macro_rules! for_each_hook {
    ($m:ident) => {
        $m! {
            socket_create = checmate_hook_CHECMATE_HOOK_SOCKET_CREATE, SockCtx, context Process,
                (family: c_int, ty: c_int, protocol: c_int, kern: c_int) fill net::socket_create;
            socket_bind = checmate_hook_CHECMATE_HOOK_SOCKET_BIND, SockCtx, context Process,
                (sock: *mut socket, addr: *mut sockaddr, len: c_int) fill net::socket_bind,
                writable [local_port: u32] commit net::socket_bind_commit;
            socket_connect = checmate_hook_CHECMATE_HOOK_SOCKET_CONNECT, SockCtx, context Process,
                (sock: *mut socket, addr: *mut sockaddr, len: c_int) fill net::socket_connect;
            socket_listen = checmate_hook_CHECMATE_HOOK_SOCKET_LISTEN, SockCtx, context Process,
                (sock: *mut socket, backlog: c_int) fill net::socket_listen;
            socket_accept = checmate_hook_CHECMATE_HOOK_SOCKET_ACCEPT, SockCtx, context Process,
                (sock: *mut socket, newsock: *mut socket) fill net::socket_accept;
            socket_sendmsg = checmate_hook_CHECMATE_HOOK_SOCKET_SENDMSG, SockCtx, context Process,
                (sock: *mut socket, msg: *mut msghdr, size: c_int) fill net::socket_sendmsg;
            socket_recvmsg = checmate_hook_CHECMATE_HOOK_SOCKET_RECVMSG, SockCtx, context Process,
                (sock: *mut socket, msg: *mut msghdr, size: c_int, flags: c_int)
                fill net::socket_recvmsg;
            socket_sock_rcv_skb = checmate_hook_CHECMATE_HOOK_SOCKET_SOCK_RCV_SKB,
                SockCtx, context Irq,
                (sk: *mut sock, skb: *mut sk_buff) fill net::sock_rcv_skb;
            inet_conn_request = checmate_hook_CHECMATE_HOOK_INET_CONN_REQUEST,
                SockCtx, context Irq,
                (sk: *const sock, skb: *mut sk_buff, req: *mut request_sock)
                fill net::inet_conn_request;
            file_open = checmate_hook_CHECMATE_HOOK_FILE_OPEN, FileCtx, context Process,
                (file: *mut file) fill fs::file_open;
            file_permission = checmate_hook_CHECMATE_HOOK_FILE_PERMISSION, FileCtx, context Process,
                (file: *mut file, mask: c_int) fill fs::file_permission;
            inode_create = checmate_hook_CHECMATE_HOOK_INODE_CREATE, FileCtx, context Process,
                (dir: *mut inode, dentry: *mut dentry, mode: umode_t)
                fill fs::inode_create;
            task_alloc = checmate_hook_CHECMATE_HOOK_TASK_ALLOC, TaskCtx, context Process,
                (task: *mut task_struct, clone_flags: c_ulong) fill task::task_alloc;
            bprm_check_security = checmate_hook_CHECMATE_HOOK_BPRM_CHECK_SECURITY,
                TaskCtx, context Process,
                (bprm: *mut linux_binprm) fill task::bprm_check_security;
            ptrace_access_check = checmate_hook_CHECMATE_HOOK_PTRACE_ACCESS_CHECK,
                TaskCtx, context Process,
                (child: *mut task_struct, mode: c_uint) fill task::ptrace_access_check;
            ptrace_traceme = checmate_hook_CHECMATE_HOOK_PTRACE_TRACEME, TaskCtx, context Process,
                (parent: *mut task_struct) fill task::ptrace_traceme;
            task_kill = checmate_hook_CHECMATE_HOOK_TASK_KILL, TaskCtx, context Irq,
                (p: *mut task_struct, info: *mut kernel_siginfo, sig: c_int,
                 cred: *const cred) fill task::task_kill;
            sb_mount = checmate_hook_CHECMATE_HOOK_SB_MOUNT, MountCtx, context Process,
                (dev_name: *const c_char, path: *const path, fstype: *const c_char,
                 flags: c_ulong, data: *mut c_void) fill mount::sb_mount;
            sb_umount = checmate_hook_CHECMATE_HOOK_SB_UMOUNT, MountCtx, context Process,
                (mnt: *mut vfsmount, flags: c_int) fill mount::sb_umount;
            path_chroot = checmate_hook_CHECMATE_HOOK_PATH_CHROOT, MountCtx, context Process,
                (path: *const path) fill mount::path_chroot;
            path_mknod = checmate_hook_CHECMATE_HOOK_PATH_MKNOD, InodeCtx, context Process,
                (dir: *const path, dentry: *mut dentry, mode: umode_t, dev: c_uint)
                fill namei::path_mknod;
            path_mkdir = checmate_hook_CHECMATE_HOOK_PATH_MKDIR, InodeCtx, context Process,
                (dir: *const path, dentry: *mut dentry, mode: umode_t) fill namei::path_mkdir;
            path_symlink = checmate_hook_CHECMATE_HOOK_PATH_SYMLINK, InodeCtx, context Process,
                (dir: *const path, dentry: *mut dentry, old_name: *const c_char)
                fill namei::path_symlink;
            path_link = checmate_hook_CHECMATE_HOOK_PATH_LINK, InodeCtx, context Process,
                (old_dentry: *mut dentry, new_dir: *const path, new_dentry: *mut dentry)
                fill namei::path_link;
            path_rename = checmate_hook_CHECMATE_HOOK_PATH_RENAME, InodeCtx, context Process,
                (old_dir: *const path, old_dentry: *mut dentry, new_dir: *const path,
                 new_dentry: *mut dentry, flags: c_uint) fill namei::path_rename;
            sb_kern_mount = checmate_hook_CHECMATE_HOOK_SB_KERN_MOUNT, MountCtx, context Process,
                (sb: *const bindings::super_block) fill mount::sb_kern_mount;
            move_mount = checmate_hook_CHECMATE_HOOK_MOVE_MOUNT, MountCtx, context Process,
                (from_path: *const path, to_path: *const path) fill mount::move_mount;
            sb_pivotroot = checmate_hook_CHECMATE_HOOK_SB_PIVOTROOT, MountCtx, context Process,
                (old_path: *const path, new_path: *const path) fill mount::sb_pivotroot;
            unix_stream_connect = checmate_hook_CHECMATE_HOOK_UNIX_STREAM_CONNECT,
                UnixCtx, context Atomic,
                (sock: *mut sock, other: *mut sock, newsk: *mut sock)
                fill unix::unix_stream_connect;
            unix_may_send = checmate_hook_CHECMATE_HOOK_UNIX_MAY_SEND, UnixCtx, context Atomic,
                (sock: *mut socket, other: *mut socket) fill unix::unix_may_send;
            userns_create = checmate_hook_CHECMATE_HOOK_USERNS_CREATE, CredCtx, context Process,
                (cred: *const cred) fill creds::userns_create;
            bprm_creds_from_file = checmate_hook_CHECMATE_HOOK_BPRM_CREDS_FROM_FILE,
                ExecCtx, context Process,
                (bprm: *mut linux_binprm, file: *const file) fill exec::bprm_creds_from_file;
            mmap_file = checmate_hook_CHECMATE_HOOK_MMAP_FILE, ExecCtx, context Process,
                (file: *mut file, reqprot: c_ulong, prot: c_ulong, flags: c_ulong)
                fill exec::mmap_file;
            file_mprotect = checmate_hook_CHECMATE_HOOK_FILE_MPROTECT, ExecCtx, context Process,
                (vma: *mut vm_area_struct, reqprot: c_ulong, prot: c_ulong)
                fill exec::file_mprotect;
            kernel_module_request = checmate_hook_CHECMATE_HOOK_KERNEL_MODULE_REQUEST,
                KernelCtx, context Process,
                (kmod_name: *mut c_char) fill integrity::kernel_module_request;
            kernel_read_file = checmate_hook_CHECMATE_HOOK_KERNEL_READ_FILE,
                KernelCtx, context Process,
                (file: *mut file, id: bindings::kernel_read_file_id, contents: bool)
                fill integrity::kernel_read_file;
            kernel_load_data = checmate_hook_CHECMATE_HOOK_KERNEL_LOAD_DATA,
                KernelCtx, context Process,
                (id: bindings::kernel_load_data_id, contents: bool)
                fill integrity::kernel_load_data;
            capable = checmate_hook_CHECMATE_HOOK_CAPABLE, CredCtx, context Atomic,
                (cred: *const cred, ns: *mut user_namespace, cap: c_int, opts: c_uint)
                pre admin::own_check, fill creds::capable;
            task_fix_setuid = checmate_hook_CHECMATE_HOOK_TASK_FIX_SETUID, CredCtx,
                context Process, (new: *mut cred, old: *const cred, flags: c_int)
                on_deny creds::kill_caller, fill creds::task_fix_setuid;
            task_fix_setgid = checmate_hook_CHECMATE_HOOK_TASK_FIX_SETGID, CredCtx,
                context Process, (new: *mut cred, old: *const cred, flags: c_int)
                on_deny creds::kill_caller, fill creds::task_fix_setgid;
            capset = checmate_hook_CHECMATE_HOOK_CAPSET, CredCtx, context Process,
                (new: *mut cred, old: *const cred, effective: *const kernel_cap_t,
                 inheritable: *const kernel_cap_t, permitted: *const kernel_cap_t)
                on_deny creds::kill_caller, fill creds::capset;
            task_prctl = checmate_hook_CHECMATE_HOOK_TASK_PRCTL, CredCtx, context Process,
                (option: c_int, arg2: c_ulong, arg3: c_ulong, arg4: c_ulong, arg5: c_ulong)
                pre api::task_prctl, always_on true, allow -(bindings::ENOSYS as c_int),
                on_deny creds::kill_if_applied, fill creds::task_prctl;
            path_unlink = checmate_hook_CHECMATE_HOOK_PATH_UNLINK, InodeCtx, context Process,
                (dir: *const path, dentry: *mut dentry) fill namei::path_unlink;
            path_rmdir = checmate_hook_CHECMATE_HOOK_PATH_RMDIR, InodeCtx, context Process,
                (dir: *const path, dentry: *mut dentry) fill namei::path_rmdir;
            path_truncate = checmate_hook_CHECMATE_HOOK_PATH_TRUNCATE, InodeCtx,
                context Process, (path: *const path) fill namei::path_truncate;
            path_chmod = checmate_hook_CHECMATE_HOOK_PATH_CHMOD, InodeCtx, context Process,
                (path: *const path, mode: umode_t) fill namei::path_chmod;
            path_chown = checmate_hook_CHECMATE_HOOK_PATH_CHOWN, InodeCtx, context Process,
                (path: *const path, uid: kuid_t, gid: kgid_t) fill namei::path_chown;
            file_truncate = checmate_hook_CHECMATE_HOOK_FILE_TRUNCATE, FileCtx,
                context Process, (file: *mut file) fill fs::file_truncate;
            file_ioctl = checmate_hook_CHECMATE_HOOK_FILE_IOCTL, FileCtx, context Process,
                (file: *mut file, cmd: c_uint, arg: c_ulong) fill fs::file_ioctl;
            file_ioctl_compat = checmate_hook_CHECMATE_HOOK_FILE_IOCTL_COMPAT, FileCtx,
                context Process, (file: *mut file, cmd: c_uint, arg: c_ulong)
                fill fs::file_ioctl_compat;
            file_receive = checmate_hook_CHECMATE_HOOK_FILE_RECEIVE, FileCtx,
                context Process, (file: *mut file) fill fs::file_receive;
            socket_setsockopt = checmate_hook_CHECMATE_HOOK_SOCKET_SETSOCKOPT, SockCtx,
                context Process, (sock: *mut socket, level: c_int, optname: c_int)
                fill net::socket_setsockopt;
            bprm_creds_for_exec = checmate_hook_CHECMATE_HOOK_BPRM_CREDS_FOR_EXEC, ExecCtx,
                context Process, (bprm: *mut linux_binprm) fill exec::bprm_creds_for_exec;
            sb_remount = checmate_hook_CHECMATE_HOOK_SB_REMOUNT, MountCtx, context Process,
                (sb: *mut bindings::super_block, mnt_opts: *mut c_void)
                fill mount::sb_remount;
            file_send_sigiotask = checmate_hook_CHECMATE_HOOK_FILE_SEND_SIGIOTASK, TaskCtx,
                context Irq, (tsk: *mut task_struct, fown: *mut fown_struct, sig: c_int)
                fill task::file_send_sigiotask;
            task_setnice = checmate_hook_CHECMATE_HOOK_TASK_SETNICE, TaskCtx, context Atomic,
                (p: *mut task_struct, nice: c_int) fill task::task_setnice;
            inode_setxattr = checmate_hook_CHECMATE_HOOK_INODE_SETXATTR, InodeCtx,
                context Process,
                (idmap: *mut mnt_idmap, dentry: *mut dentry, name: *const c_char,
                 value: *const c_void, size: usize, flags: c_int)
                fill namei::inode_setxattr;
            inode_init_security_anon = checmate_hook_CHECMATE_HOOK_INODE_INIT_SECURITY_ANON,
                KernelCtx, context Process,
                (inode: *mut inode, name: *const bindings::qstr, context_inode: *const inode)
                fill integrity::inode_init_security_anon;
            netlink_send = checmate_hook_CHECMATE_HOOK_NETLINK_SEND, SockCtx, context Process,
                (sk: *mut sock, skb: *mut sk_buff) fill net::netlink_send;
            bpf = checmate_hook_CHECMATE_HOOK_BPF, KernelCtx, context Process,
                (cmd: c_int, attr: *mut bpf_attr, size: c_uint)
                pre guard::bpf, always_on true, fill integrity::bpf;
            inode_follow_link = checmate_hook_CHECMATE_HOOK_INODE_FOLLOW_LINK, InodeCtx,
                context Atomic, (dentry: *mut dentry, inode: *mut inode, rcu: bool)
                fill namei::inode_follow_link;
            inode_removexattr = checmate_hook_CHECMATE_HOOK_INODE_REMOVEXATTR, InodeCtx,
                context Process,
                (idmap: *mut mnt_idmap, dentry: *mut dentry, name: *const c_char)
                fill namei::inode_removexattr;
            inode_set_acl = checmate_hook_CHECMATE_HOOK_INODE_SET_ACL, InodeCtx,
                context Process,
                (idmap: *mut mnt_idmap, dentry: *mut dentry, acl_name: *const c_char,
                 kacl: *mut bindings::posix_acl)
                fill namei::inode_set_acl;
            inode_remove_acl = checmate_hook_CHECMATE_HOOK_INODE_REMOVE_ACL, InodeCtx,
                context Process,
                (idmap: *mut mnt_idmap, dentry: *mut dentry, acl_name: *const c_char)
                fill namei::inode_remove_acl;
            task_setscheduler = checmate_hook_CHECMATE_HOOK_TASK_SETSCHEDULER, TaskCtx,
                context Process, (p: *mut task_struct) fill task::task_setscheduler;
            task_fix_setgroups = checmate_hook_CHECMATE_HOOK_TASK_FIX_SETGROUPS, CredCtx,
                context Process, (new: *mut cred, old: *const cred)
                on_deny creds::kill_caller, fill creds::task_fix_setgroups;
        }
    };
}
pub(crate) use for_each_hook;

/// Where the kernel calls a hook, which decides what its fill function may
/// do and which helpers its programs get.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CallContext {
    /// Process context: `current` is the task doing the operation; the
    /// caller may hold sleeping locks, so the fill never sleeps either.
    Process,
    /// Atomic process context: `current` is the task doing the operation,
    /// under a spinlock or RCU (`unix_stream_connect`, `capable`).
    Atomic,
    /// Interrupt or softirq context, or a `current` that is not the actor
    /// (`task_kill` from a USB completion): no helper about `current`.
    Irq,
}

/// What the table says of one hook.
pub(crate) struct HookDesc {
    /// The LSM hook's name, as in `lsm_hook_defs.h`.
    pub(crate) name: &'static str,
    /// Size of the context its programs see.
    pub(crate) ctx_size: usize,
    /// Fields a program may write: (offset, size).
    pub(crate) writable: &'static [(usize, usize)],
    /// Where the kernel calls it.
    pub(crate) context: CallContext,
    /// Its slot stays on with no program attached (`always_on`).
    pub(crate) always_on: bool,
    /// Its context is filled whatever the programs read: it has writable
    /// fields (the commit compares them with their filled value).
    /// Otherwise as far as its programs read it (`progs::fill_and_run`);
    /// the fills fill what `Context::enforceable` and the `on_deny`
    /// functions read (`info`) whenever they run.
    pub(crate) fill_always: bool,
}

impl HookDesc {
    /// The verifier's rule for a context access: inside the context, of size
    /// 1, 2, 4 or 8, naturally aligned; a write must cover exactly one
    /// writable field.
    pub(crate) fn access_ok(&self, off: c_int, size: c_int, write: bool) -> bool {
        let (Ok(off), Ok(size)) = (usize::try_from(off), usize::try_from(size)) else {
            return false;
        };
        if !matches!(size, 1 | 2 | 4 | 8) || off % size != 0 || off + size > self.ctx_size {
            return false;
        }
        !write || self.writable.iter().any(|&(o, s)| o == off && s == size)
    }
}

/// A valid Checmate hook.
///
/// # Invariants
///
/// `1 <= self.0 <= COUNT`: hook numbers are dense (checked at build time).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hook(u32);

impl Hook {
    /// The hook with number `num`, if there is one.
    pub(crate) fn from_num(num: u64) -> Option<Hook> {
        // INVARIANT: checked here.
        (1..=COUNT as u64)
            .contains(&num)
            .then_some(Hook(num as u32))
    }

    /// The first and the last hook of the table.
    pub(crate) fn first() -> Hook {
        Hook(1)
    }

    /// See [`Hook::first`].
    pub(crate) fn last() -> Hook {
        // INVARIANT: COUNT >= 1 (checked at build time).
        Hook(COUNT as u32)
    }

    /// The hook at `index` of per-hook arrays.
    ///
    /// # Panics
    ///
    /// If `index >= COUNT`.
    pub(crate) fn from_index(index: usize) -> Hook {
        assert!(index < COUNT);
        // INVARIANT: `1 <= index + 1 <= COUNT`.
        Hook(index as u32 + 1)
    }

    /// The hook's UAPI number (`enum checmate_hook`).
    pub(crate) fn num(self) -> u32 {
        self.0
    }

    /// Index into per-hook arrays, `0..COUNT`.
    pub(crate) fn index(self) -> usize {
        self.0 as usize - 1
    }

    /// The table's row for this hook.
    pub(crate) fn desc(self) -> &'static HookDesc {
        &DESCS[self.index()]
    }
}

/// A hook known at compile time: its number and its context type. The
/// program arrays are run through it, so that a hook's programs can only be
/// handed that hook's context.
pub(crate) trait HookType {
    /// The UAPI context the hook's programs are verified against.
    type Ctx: Context;
    /// The hook.
    const HOOK: Hook;
    /// [`HookDesc::fill_always`], known at compile time.
    const FILL_ALWAYS: bool;
}

/// [`HookDesc::fill_always`] of a row: given its writable fields, if it
/// has them.
macro_rules! fill_always {
    () => {
        false
    };
    ([$($wf:ident),*]) => {
        true
    };
}

macro_rules! define_descs {
    ($(
        $lsm:ident = $num:ident, $ctx:ident, context $cx:ident,
            ($($arg:ident: $ty:ty),* $(,)?) $(pre $pre:path,)? $(always_on $on:literal,)?
            $(allow $allow:expr,)?
            $(on_deny $deny:path,)? fill $fill:path
            $(, writable [$($wf:ident: $wt:ty),*] commit $commit:path)? ;
    )*) => {
        /// Number of hooks.
        pub(crate) const COUNT: usize = [$(bindings::$num),*].len();

        /// The table's rows, in hook number order.
        static DESCS: [HookDesc; COUNT] = [$(HookDesc {
            name: stringify!($lsm),
            ctx_size: size_of::<$ctx>(),
            writable: &[$($((offset_of!($ctx, $wf), size_of::<$wt>())),*)?],
            context: CallContext::$cx,
            always_on: false $(|| $on)?,
            fill_always: fill_always!($([$($wf),*])?),
        }),*];

        // Hook numbers are dense and in table order, as `Hook` assumes.
        const _: () = {
            let nums = [$(bindings::$num),*];
            let mut i = 0;
            while i < COUNT {
                assert!(nums[i] as usize == i + 1);
                i += 1;
            }
            assert!(COUNT + 1 == bindings::checmate_hook___CHECMATE_HOOK_MAX as usize);
        };

        // The declared type of each writable field is its real type.
        $($(const _: fn(&$ctx) = |c| { $(let _: &$wt = &c.$wf;)* };)?)*

        /// One type per hook, named as the LSM hook: `marker::socket_bind`
        /// is the hook `socket_bind` with context `SockCtx`.
        pub(crate) mod marker {
            use super::*;
            $(
            #[allow(non_camel_case_types)]
            pub(crate) struct $lsm;
            impl HookType for $lsm {
                type Ctx = $ctx;
                // INVARIANT: the number is in the table (checked above).
                const HOOK: Hook = Hook(bindings::$num);
                const FILL_ALWAYS: bool = fill_always!($([$($wf),*])?);
            }
            )*
        }
    };
}

for_each_hook!(define_descs);
