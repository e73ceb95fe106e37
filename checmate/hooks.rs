// SPDX-License-Identifier: GPL-2.0
//! The hook table. Each row names an LSM hook, its Checmate hook number, the
//! UAPI context its programs see, whether it runs in softirq, the function that
//! fills the context (`ctx.rs`) and, for hooks with writable fields, those
//! fields and the function that applies them. From this one table come:
//!
//! - [`Hook`] and the per-hook [`HookDesc`] (number, name, context layout);
//! - the verifier's access rules ([`HookDesc::access_ok`]);
//! - the LSM entry points and their `security_hook_list` entries.
//!
//! Adding a hook is one row here, one fill function and one number in
//! `include/uapi/linux/checmate.h`.

use crate::{fs, mount, net, progs, task};
use core::fmt::{self, Write};
use core::mem::{offset_of, size_of};
use kernel::bindings;
use kernel::bindings::{
    checmate_file_ctx as FileCtx, checmate_mount_ctx as MountCtx, checmate_sock_ctx as SockCtx,
    checmate_task_ctx as TaskCtx,
};
use kernel::bindings::{
    cred, dentry, file, inode, kernel_siginfo, linux_binprm, msghdr, path, request_sock, sk_buff,
    sock, sockaddr, socket, task_struct, umode_t, vfsmount,
};
use kernel::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

/// A context structure of the UAPI: plain data, no pointers, all-zero valid.
///
/// # Safety
///
/// Implementors must be `repr(C)` structures of integers only, so that a BPF
/// program verified against their layout may read and write them.
pub(crate) unsafe trait Context: Default {
    /// The key values, for denial reports.
    fn describe(&self, w: &mut dyn Write) -> fmt::Result;
}

/// An IPv4 address in network byte order, as text.
struct Ip4(u32);

impl fmt::Display for Ip4 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0.to_ne_bytes();
        write!(f, "{}.{}.{}.{}", b[0], b[1], b[2], b[3])
    }
}

/// An IPv6 address (four `__u32` in network byte order), as eight groups of
/// hex digits: one token, no spaces, so that it stays one audit field.
struct Ip6([u32; 4]);

impl fmt::Display for Ip6 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, word) in self.0.iter().enumerate() {
            let b = word.to_ne_bytes();
            let sep = if i == 0 { "" } else { ":" };
            write!(
                f,
                "{}{:x}:{:x}",
                sep,
                u16::from_be_bytes([b[0], b[1]]),
                u16::from_be_bytes([b[2], b[3]])
            )?;
        }
        Ok(())
    }
}

// SAFETY: UAPI structures of `__u32`/`__u64`/`char` fields (include/uapi/linux/checmate.h).
unsafe impl Context for SockCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        write!(
            w,
            "family={} sock_type={} protocol={} ",
            self.family, self.type_, self.protocol
        )?;
        if self.family == bindings::AF_INET6 {
            write!(
                w,
                "local=[{}]:{} remote=[{}]:{}",
                Ip6(self.local_ip6),
                self.local_port,
                Ip6(self.remote_ip6),
                self.remote_port
            )
        } else {
            write!(
                w,
                "local={}:{} remote={}:{}",
                Ip4(self.local_ip4),
                self.local_port,
                Ip4(self.remote_ip4),
                self.remote_port
            )
        }
    }
}
// SAFETY: as above.
unsafe impl Context for FileCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        write!(
            w,
            "ino={} dir_ino={} dev={} mode={:o} ouid={} flags={:#x}",
            self.ino, self.dir_ino, self.dev, self.mode, self.uid, self.flags
        )
    }
}
// SAFETY: as above.
unsafe impl Context for TaskCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        write!(
            w,
            "opid={} ouid={} arg={} flags={:#x} ino={}",
            self.pid, self.uid, self.arg, self.flags, self.ino
        )
    }
}
// SAFETY: as above.
unsafe impl Context for MountCtx {
    fn describe(&self, w: &mut dyn Write) -> fmt::Result {
        let end = self
            .fstype
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(self.fstype.len());
        // `c_char` is `u8` in the kernel's Rust.
        let fstype: &[u8] = &self.fstype[..end];
        write!(
            w,
            "fstype={} flags={:#x} ino={} mnt_flags={:#x} userns_level={} chrooted={}",
            core::str::from_utf8(fstype).unwrap_or("?"),
            self.flags,
            self.ino,
            self.mnt_flags,
            self.userns_level,
            self.chrooted
        )
    }
}

/// What the table says of one hook.
pub(crate) struct HookDesc {
    /// The LSM hook's name, as in `lsm_hook_defs.h`.
    pub(crate) name: &'static str,
    /// Size of the context its programs see.
    pub(crate) ctx_size: usize,
    /// Fields a program may write: (offset, size).
    pub(crate) writable: &'static [(usize, usize)],
    /// Runs in softirq, where helpers about `current` make no sense.
    pub(crate) softirq: bool,
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

    /// Index into per-hook arrays, `0..COUNT`.
    pub(crate) fn index(self) -> usize {
        self.0 as usize - 1
    }

    /// The table's row for this hook.
    pub(crate) fn desc(self) -> &'static HookDesc {
        &DESCS[self.index()]
    }
}

/// One `security_hook_list` entry, for `lsm.rs` to register.
pub(crate) type HookEntry = bindings::security_hook_list;

macro_rules! checmate_hooks {
    ($(
        $lsm:ident = $num:ident, $ctx:ident, softirq $softirq:literal,
            ($($arg:ident: $ty:ty),* $(,)?) fill $fill:path
            $(, writable [$($wf:ident: $wt:ty),*] commit $commit:path)? ;
    )*) => {
        /// Number of hooks.
        pub(crate) const COUNT: usize = [$(bindings::$num),*].len();

        /// The table's rows, in hook number order.
        static DESCS: [HookDesc; COUNT] = [$(HookDesc {
            name: stringify!($lsm),
            ctx_size: size_of::<$ctx>(),
            writable: &[$($((offset_of!($ctx, $wf), size_of::<$wt>())),*)?],
            softirq: $softirq,
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

        /// The LSM entry points: fill the context, run the programs, apply
        /// what they wrote if they allowed.
        mod entry {
            use super::*;
            $(
            pub(super) unsafe extern "C" fn $lsm($($arg: $ty),*) -> c_int {
                let hook = Hook(bindings::$num);
                // Nothing attached: no context to fill.
                if !progs::has_programs(hook) {
                    return 0;
                }
                let mut ctx = <$ctx>::default();
                #[allow(unused_variables)]
                let args = ($($arg,)*);
                // SAFETY: the LSM framework calls this hook with valid arguments,
                // which is what the fill function requires.
                unsafe { $fill(&mut ctx, $($arg),*) };
                let ret = progs::run(hook, &mut ctx);
                $(
                if ret == 0 {
                    // SAFETY: as above.
                    return unsafe { $commit(&ctx, args) };
                }
                )?
                ret
            }
            )*
        }

        /// The static call slots of `hook` in the LSM framework (one per LSM).
        pub(crate) fn static_calls(hook: Hook) -> *mut [bindings::lsm_static_call] {
            match hook.0 {
                // SAFETY: only the address of the static is taken.
                $(bindings::$num => unsafe { &raw mut bindings::static_calls_table.$lsm },)*
                // INVARIANT of `Hook`: every valid number is in the table.
                _ => unreachable!(),
            }
        }

        /// The `security_hook_list` entries of every hook, in table order.
        pub(crate) fn entries() -> [HookEntry; COUNT] {
            [$(HookEntry {
                // SAFETY: only the address of the static is taken.
                scalls: unsafe { &raw mut bindings::static_calls_table.$lsm }.cast(),
                hook: bindings::security_list_options { $lsm: Some(entry::$lsm) },
                lsmid: core::ptr::null_mut(),
            }),*]
        }
    };
}

checmate_hooks! {
    socket_create = checmate_hook_CHECMATE_HOOK_SOCKET_CREATE, SockCtx, softirq false,
        (family: c_int, ty: c_int, protocol: c_int, kern: c_int) fill net::socket_create;
    socket_bind = checmate_hook_CHECMATE_HOOK_SOCKET_BIND, SockCtx, softirq false,
        (sock: *mut socket, addr: *mut sockaddr, len: c_int) fill net::socket_bind,
        writable [local_port: u32] commit net::socket_bind_commit;
    socket_connect = checmate_hook_CHECMATE_HOOK_SOCKET_CONNECT, SockCtx, softirq false,
        (sock: *mut socket, addr: *mut sockaddr, len: c_int) fill net::socket_connect;
    socket_listen = checmate_hook_CHECMATE_HOOK_SOCKET_LISTEN, SockCtx, softirq false,
        (sock: *mut socket, backlog: c_int) fill net::socket_listen;
    socket_accept = checmate_hook_CHECMATE_HOOK_SOCKET_ACCEPT, SockCtx, softirq false,
        (sock: *mut socket, newsock: *mut socket) fill net::socket_accept;
    socket_sendmsg = checmate_hook_CHECMATE_HOOK_SOCKET_SENDMSG, SockCtx, softirq false,
        (sock: *mut socket, msg: *mut msghdr, size: c_int) fill net::socket_sendmsg;
    socket_recvmsg = checmate_hook_CHECMATE_HOOK_SOCKET_RECVMSG, SockCtx, softirq false,
        (sock: *mut socket, msg: *mut msghdr, size: c_int, flags: c_int)
        fill net::socket_recvmsg;
    socket_sock_rcv_skb = checmate_hook_CHECMATE_HOOK_SOCKET_SOCK_RCV_SKB, SockCtx, softirq true,
        (sk: *mut sock, skb: *mut sk_buff) fill net::sock_rcv_skb;
    inet_conn_request = checmate_hook_CHECMATE_HOOK_INET_CONN_REQUEST, SockCtx, softirq true,
        (sk: *const sock, skb: *mut sk_buff, req: *mut request_sock)
        fill net::inet_conn_request;
    file_open = checmate_hook_CHECMATE_HOOK_FILE_OPEN, FileCtx, softirq false,
        (file: *mut file) fill fs::file_open;
    file_permission = checmate_hook_CHECMATE_HOOK_FILE_PERMISSION, FileCtx, softirq false,
        (file: *mut file, mask: c_int) fill fs::file_permission;
    inode_create = checmate_hook_CHECMATE_HOOK_INODE_CREATE, FileCtx, softirq false,
        (dir: *mut inode, dentry: *mut dentry, mode: umode_t)
        fill fs::inode_create;
    task_alloc = checmate_hook_CHECMATE_HOOK_TASK_ALLOC, TaskCtx, softirq false,
        (task: *mut task_struct, clone_flags: c_ulong) fill task::task_alloc;
    bprm_check_security = checmate_hook_CHECMATE_HOOK_BPRM_CHECK_SECURITY, TaskCtx, softirq false,
        (bprm: *mut linux_binprm) fill task::bprm_check_security;
    ptrace_access_check = checmate_hook_CHECMATE_HOOK_PTRACE_ACCESS_CHECK, TaskCtx, softirq false,
        (child: *mut task_struct, mode: c_uint) fill task::ptrace_access_check;
    ptrace_traceme = checmate_hook_CHECMATE_HOOK_PTRACE_TRACEME, TaskCtx, softirq false,
        (parent: *mut task_struct) fill task::ptrace_traceme;
    task_kill = checmate_hook_CHECMATE_HOOK_TASK_KILL, TaskCtx, softirq false,
        (p: *mut task_struct, info: *mut kernel_siginfo, sig: c_int,
         cred: *const cred) fill task::task_kill;
    sb_mount = checmate_hook_CHECMATE_HOOK_SB_MOUNT, MountCtx, softirq false,
        (dev_name: *const c_char, path: *const path, fstype: *const c_char,
         flags: c_ulong, data: *mut c_void) fill mount::sb_mount;
    sb_umount = checmate_hook_CHECMATE_HOOK_SB_UMOUNT, MountCtx, softirq false,
        (mnt: *mut vfsmount, flags: c_int) fill mount::sb_umount;
    path_chroot = checmate_hook_CHECMATE_HOOK_PATH_CHROOT, MountCtx, softirq false,
        (path: *const path) fill mount::path_chroot;
}
