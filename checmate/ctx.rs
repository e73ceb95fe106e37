// SPDX-License-Identifier: GPL-2.0
//! Filling each hook's context from the kernel objects the hook receives.
//!
//! This is where kernel structures are read: every value is copied into the
//! UAPI context, so that programs never see a kernel pointer. Every function
//! here is `unsafe` for the same reason: its pointer arguments must be the
//! valid arguments of the LSM hook it serves (`hooks.rs` guarantees it).

use core::ptr;
use kernel::bindings;
use kernel::bindings::{
    checmate_file_ctx as FileCtx, checmate_mount_ctx as MountCtx, checmate_sock_ctx as SockCtx,
    checmate_task_ctx as TaskCtx,
};
use kernel::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

const AF_INET: u32 = bindings::AF_INET;
const AF_INET6: u32 = bindings::AF_INET6;

/// `new_encode_dev()`: the device number as `stat(2)` reports it.
fn encode_dev(dev: u32) -> u32 {
    let (major, minor) = (dev >> 20, dev & 0xfffff);
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

/// An IPv6 address as four network-order words.
fn ip6_words(a: &bindings::in6_addr) -> [u32; 4] {
    // SAFETY: every variant of the union is plain bytes of the same size.
    unsafe { a.in6_u.u6_addr32 }
}

// ---------------------------------------------------------------------------
// Sockets

/// The socket's own family, type, protocol and addresses.
///
/// # Safety
///
/// `sock` must be a valid socket.
unsafe fn from_socket(ctx: &mut SockCtx, sock: *const bindings::socket) {
    // SAFETY: the caller guarantees `sock` is valid.
    let sock = unsafe { &*sock };
    ctx.type_ = sock.type_ as u32;
    // SAFETY: a socket's `sk` is null or a valid sock while the socket lives.
    if let Some(sk) = unsafe { sock.sk.as_ref() } {
        from_sock(ctx, sk);
    }
}

/// Family, protocol and the addresses of `sk`.
fn from_sock(ctx: &mut SockCtx, sk: &bindings::sock) {
    let skc = &sk.__sk_common;
    ctx.family = skc.skc_family as u32;
    ctx.protocol = sk.sk_protocol as u32;
    if ctx.type_ == 0 {
        ctx.type_ = sk.sk_type as u32;
    }
    // SAFETY: the unions hold plain integers; any bit pattern is valid.
    let (ports, addrs) = unsafe {
        (
            skc.__bindgen_anon_3.__bindgen_anon_1,
            skc.__bindgen_anon_1.__bindgen_anon_1,
        )
    };
    ctx.local_port = ports.skc_num as u32;
    ctx.remote_port = u16::from_be(ports.skc_dport) as u32;
    match ctx.family {
        AF_INET => {
            ctx.local_ip4 = addrs.skc_rcv_saddr;
            ctx.remote_ip4 = addrs.skc_daddr;
        }
        AF_INET6 => {
            ctx.local_ip6 = ip6_words(&skc.skc_v6_rcv_saddr);
            ctx.remote_ip6 = ip6_words(&skc.skc_v6_daddr);
        }
        _ => {}
    }
}

/// A socket address given by user space, already copied into the kernel:
/// (family, port in host order, IPv4, IPv6), when it is an inet address.
///
/// # Safety
///
/// `addr` must be null or point to `len` readable bytes.
unsafe fn sockaddr(addr: *const c_void, len: c_int) -> Option<(u32, u32, u32, [u32; 4])> {
    let len = usize::try_from(len).ok()?;
    if addr.is_null() || len < core::mem::size_of::<u16>() {
        return None;
    }
    // SAFETY: at least two readable bytes, the family (unaligned read).
    let family = unsafe { ptr::read_unaligned(addr.cast::<u16>()) } as u32;
    match family {
        AF_INET if len >= core::mem::size_of::<bindings::sockaddr_in>() => {
            // SAFETY: `len` covers a `sockaddr_in`.
            let sin = unsafe { ptr::read_unaligned(addr.cast::<bindings::sockaddr_in>()) };
            Some((
                family,
                u16::from_be(sin.sin_port) as u32,
                sin.sin_addr.s_addr,
                [0; 4],
            ))
        }
        // SIN6_LEN_RFC2133: a sockaddr_in6 without sin6_scope_id is accepted.
        AF_INET6 if len >= 24 => {
            let a = addr.cast::<u8>();
            // SAFETY: 24 bytes: family, port at 2, flowinfo at 4, address at 8.
            let (port, ip6) = unsafe {
                (
                    ptr::read_unaligned(a.add(2).cast::<u16>()),
                    ptr::read_unaligned(a.add(8).cast::<[u32; 4]>()),
                )
            };
            Some((family, u16::from_be(port) as u32, 0, ip6))
        }
        _ => Some((family, 0, 0, [0; 4])),
    }
}

pub(crate) unsafe fn socket_create(
    ctx: &mut SockCtx,
    family: c_int,
    ty: c_int,
    protocol: c_int,
    kern: c_int,
) {
    ctx.family = family as u32;
    ctx.type_ = ty as u32;
    ctx.protocol = protocol as u32;
    ctx.arg = kern as u32;
}

pub(crate) unsafe fn socket_bind(
    ctx: &mut SockCtx,
    sock: *mut bindings::socket,
    addr: *mut bindings::sockaddr,
    len: c_int,
) {
    // SAFETY: valid hook arguments (module docs).
    unsafe { from_socket(ctx, sock) };
    // SAFETY: `addr` holds `len` bytes copied from user space.
    if let Some((family, port, ip4, ip6)) = unsafe { sockaddr(addr.cast(), len) } {
        ctx.family = family;
        ctx.local_port = port;
        ctx.local_ip4 = ip4;
        ctx.local_ip6 = ip6;
    }
}

/// Applies a port the programs wrote into the address about to be bound.
/// A port that does not fit 16 bits fails the bind with `EINVAL`.
pub(crate) unsafe fn socket_bind_commit(
    ctx: &SockCtx,
    (_sock, addr, len): (*mut bindings::socket, *mut bindings::sockaddr, c_int),
) -> c_int {
    // SAFETY: `addr` holds `len` bytes copied from user space.
    let Some((family, port, _, _)) = (unsafe { sockaddr(addr.cast(), len) }) else {
        return 0;
    };
    if ctx.local_port == port || !matches!(family, AF_INET | AF_INET6) {
        return 0;
    }
    let Ok(new) = u16::try_from(ctx.local_port) else {
        return -(bindings::EINVAL as c_int);
    };
    // The buffer is the kernel's own copy, which the bind that follows reads.
    // SAFETY: `sockaddr()` saw an inet address of at least 16 bytes; the port
    // is at offset 2 in `sockaddr_in` and `sockaddr_in6` alike.
    unsafe { ptr::write_unaligned(addr.cast::<u8>().add(2).cast::<u16>(), new.to_be()) };
    0
}

pub(crate) unsafe fn socket_connect(
    ctx: &mut SockCtx,
    sock: *mut bindings::socket,
    addr: *mut bindings::sockaddr,
    len: c_int,
) {
    // SAFETY: valid hook arguments (module docs).
    unsafe { from_socket(ctx, sock) };
    // SAFETY: `addr` holds `len` bytes copied from user space.
    if let Some((family, port, ip4, ip6)) = unsafe { sockaddr(addr.cast(), len) } {
        ctx.family = family;
        ctx.remote_port = port;
        ctx.remote_ip4 = ip4;
        ctx.remote_ip6 = ip6;
    }
}

pub(crate) unsafe fn socket_listen(ctx: &mut SockCtx, sock: *mut bindings::socket, backlog: c_int) {
    // SAFETY: valid hook arguments (module docs).
    unsafe { from_socket(ctx, sock) };
    ctx.arg = backlog as u32;
}

pub(crate) unsafe fn socket_accept(
    ctx: &mut SockCtx,
    sock: *mut bindings::socket,
    _newsock: *mut bindings::socket,
) {
    // SAFETY: valid hook arguments (module docs).
    unsafe { from_socket(ctx, sock) };
}

pub(crate) unsafe fn socket_sendmsg(
    ctx: &mut SockCtx,
    sock: *mut bindings::socket,
    msg: *mut bindings::msghdr,
    size: c_int,
) {
    // SAFETY: valid hook arguments (module docs).
    unsafe { from_socket(ctx, sock) };
    ctx.arg = size as u32;
    // SAFETY: `msg` is valid; `msg_name` is null or the kernel's copy of
    // `msg_namelen` bytes.
    let name = unsafe { sockaddr((*msg).msg_name, (*msg).msg_namelen) };
    if let Some((family, port, ip4, ip6)) = name {
        ctx.family = family;
        ctx.remote_port = port;
        ctx.remote_ip4 = ip4;
        ctx.remote_ip6 = ip6;
    }
}

pub(crate) unsafe fn socket_recvmsg(
    ctx: &mut SockCtx,
    sock: *mut bindings::socket,
    _msg: *mut bindings::msghdr,
    size: c_int,
    flags: c_int,
) {
    // SAFETY: valid hook arguments (module docs).
    unsafe { from_socket(ctx, sock) };
    ctx.arg = size as u32;
    ctx.flags = flags as u32;
}

/// Addresses and ports of a received packet: remote = its source.
///
/// # Safety
///
/// `skb` must be a valid socket buffer whose network header is set.
unsafe fn from_packet(ctx: &mut SockCtx, skb: *const bindings::sk_buff) {
    let mut buf = [0u8; 44];
    // SAFETY: `skb` is valid; `skb_network_offset` only reads it.
    let net = unsafe { bindings::skb_network_offset(skb) };
    let read = |off: c_int, len: usize, buf: &mut [u8; 44]| -> Option<[u8; 44]> {
        // `skb_header_pointer` returns a pointer into the packet's linear data,
        // or copies to `buf`, or returns null if the packet is too short.
        // SAFETY: `skb` is valid and `buf` holds `len` (<= 44) bytes.
        let p = unsafe {
            bindings::skb_header_pointer(skb, off, len as c_int, buf.as_mut_ptr().cast())
        };
        if p.is_null() {
            return None;
        }
        let mut out = [0u8; 44];
        // SAFETY: `p` points to `len` readable bytes (see above).
        unsafe { ptr::copy_nonoverlapping(p.cast::<u8>(), out.as_mut_ptr(), len) };
        Some(out)
    };
    let Some(first) = read(net, 1, &mut buf) else {
        return;
    };
    let word = |h: &[u8; 44], i: usize| u32::from_ne_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    let (proto, transport) = match first[0] >> 4 {
        4 => {
            let Some(h) = read(net, 20, &mut buf) else {
                return;
            };
            ctx.remote_ip4 = word(&h, 12);
            ctx.local_ip4 = word(&h, 16);
            (h[9], net + 4 * (h[0] & 0xf) as c_int)
        }
        6 => {
            let Some(h) = read(net, 40, &mut buf) else {
                return;
            };
            ctx.remote_ip6 = [word(&h, 8), word(&h, 12), word(&h, 16), word(&h, 20)];
            ctx.local_ip6 = [word(&h, 24), word(&h, 28), word(&h, 32), word(&h, 36)];
            (h[6], net + 40)
        }
        _ => return,
    };
    if matches!(proto as u32, bindings::IPPROTO_TCP | bindings::IPPROTO_UDP) {
        if let Some(p) = read(transport, 4, &mut buf) {
            ctx.remote_port = u16::from_be_bytes([p[0], p[1]]) as u32;
            ctx.local_port = u16::from_be_bytes([p[2], p[3]]) as u32;
        }
    }
}

pub(crate) unsafe fn sock_rcv_skb(
    ctx: &mut SockCtx,
    sk: *mut bindings::sock,
    skb: *mut bindings::sk_buff,
) {
    // SAFETY: valid hook arguments (module docs).
    let sk = unsafe { &*sk };
    ctx.family = sk.__sk_common.skc_family as u32;
    ctx.type_ = sk.sk_type as u32;
    ctx.protocol = sk.sk_protocol as u32;
    if matches!(ctx.family, AF_INET | AF_INET6) {
        // SAFETY: an inet socket receives packets with their network header set.
        unsafe { from_packet(ctx, skb) };
    }
}

pub(crate) unsafe fn inet_conn_request(
    ctx: &mut SockCtx,
    sk: *const bindings::sock,
    skb: *mut bindings::sk_buff,
    _req: *mut bindings::request_sock,
) {
    // SAFETY: valid hook arguments (module docs).
    unsafe { sock_rcv_skb(ctx, sk.cast_mut(), skb) };
}

// ---------------------------------------------------------------------------
// Files

/// Number, device, mode and owner of `inode`.
///
/// # Safety
///
/// `inode` must be a valid inode.
unsafe fn from_inode(ctx: &mut FileCtx, inode: *const bindings::inode) {
    // SAFETY: the caller guarantees `inode` is valid, and a live inode's
    // superblock is valid.
    let (inode, sb) = unsafe { (&*inode, &*(*inode).i_sb) };
    ctx.ino = inode.i_ino as u64;
    ctx.dev = encode_dev(sb.s_dev);
    ctx.mode = inode.i_mode as u32;
    // kuid/kgid values are the ids in the initial user namespace.
    ctx.uid = inode.i_uid.val;
    ctx.gid = inode.i_gid.val;
}

pub(crate) unsafe fn file_open(ctx: &mut FileCtx, file: *mut bindings::file) {
    // SAFETY: valid hook arguments; an open file has an inode.
    unsafe {
        from_inode(ctx, (*file).f_inode);
        ctx.flags = (*file).f_flags;
    }
}

pub(crate) unsafe fn file_permission(ctx: &mut FileCtx, file: *mut bindings::file, mask: c_int) {
    // SAFETY: valid hook arguments; an open file has an inode.
    unsafe { from_inode(ctx, (*file).f_inode) };
    ctx.flags = mask as u32;
}

pub(crate) unsafe fn inode_create(
    ctx: &mut FileCtx,
    dir: *mut bindings::inode,
    _dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) {
    // SAFETY: valid hook arguments.
    unsafe { from_inode(ctx, dir) };
    ctx.dir_ino = ctx.ino;
    ctx.ino = 0;
    ctx.mode = mode as u32;
}

// ---------------------------------------------------------------------------
// Tasks

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

pub(crate) unsafe fn task_alloc(
    ctx: &mut TaskCtx,
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

pub(crate) unsafe fn bprm_check_security(ctx: &mut TaskCtx, bprm: *mut bindings::linux_binprm) {
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

pub(crate) unsafe fn ptrace_access_check(
    ctx: &mut TaskCtx,
    child: *mut bindings::task_struct,
    mode: c_uint,
) {
    // SAFETY: valid hook arguments.
    unsafe { from_task(ctx, child) };
    ctx.flags = mode as u64;
    // SAFETY: as above.
    ctx.descendant = unsafe { is_caller_or_descendant(child) } as u32;
}

pub(crate) unsafe fn ptrace_traceme(ctx: &mut TaskCtx, parent: *mut bindings::task_struct) {
    // SAFETY: valid hook arguments.
    unsafe { from_task(ctx, parent) };
}

pub(crate) unsafe fn task_kill(
    ctx: &mut TaskCtx,
    p: *mut bindings::task_struct,
    _info: *mut bindings::kernel_siginfo,
    sig: c_int,
    _cred: *const bindings::cred,
) {
    // SAFETY: valid hook arguments.
    unsafe { from_task(ctx, p) };
    ctx.arg = sig as u32;
}

// ---------------------------------------------------------------------------
// Mounts

/// The caller's user namespace level and whether it is chrooted (its root is
/// not the root of a mount).
fn caller_confinement(ctx: &mut MountCtx) {
    // SAFETY: `current` and its credentials are valid in process context.
    ctx.userns_level = unsafe { (*bindings::current_user_ns()).level } as u32;
    let mut root = bindings::path {
        mnt: ptr::null_mut(),
        dentry: ptr::null_mut(),
    };
    // SAFETY: the helper fills `root` with a reference to current's root
    // (under `fs->lock`), or leaves it empty for a task without fs.
    unsafe { bindings::checmate_current_root(&mut root) };
    if root.mnt.is_null() {
        return;
    }
    // SAFETY: `root` holds a reference, so its mount is live; the reference
    // is dropped by `path_put`.
    unsafe {
        ctx.chrooted = ((*root.mnt).mnt_root != root.dentry) as u32;
        bindings::path_put(&root);
    }
}

/// Inode number and device of a path's dentry.
///
/// # Safety
///
/// `path` must be a valid path with a positive dentry.
unsafe fn from_path(ctx: &mut MountCtx, path: *const bindings::path) {
    // SAFETY: the caller guarantees a valid path whose dentry has an inode.
    unsafe {
        let inode = &*(*(*path).dentry).d_inode;
        ctx.ino = inode.i_ino as u64;
        ctx.dev = encode_dev((*inode.i_sb).s_dev);
    }
}

pub(crate) unsafe fn sb_mount(
    ctx: &mut MountCtx,
    _dev_name: *const c_char,
    path: *const bindings::path,
    fstype: *const c_char,
    flags: c_ulong,
    _data: *mut c_void,
) {
    // SAFETY: valid hook arguments.
    unsafe { from_path(ctx, path) };
    ctx.flags = flags as u64;
    if !fstype.is_null() {
        // Copy up to 15 bytes and keep the final NUL of the zeroed field.
        for i in 0..ctx.fstype.len() - 1 {
            // SAFETY: `fstype` is a NUL-terminated kernel copy; we stop at NUL.
            let c = unsafe { *fstype.add(i) };
            if c == 0 {
                break;
            }
            ctx.fstype[i] = c as _;
        }
    }
    caller_confinement(ctx);
}

pub(crate) unsafe fn sb_umount(ctx: &mut MountCtx, mnt: *mut bindings::vfsmount, flags: c_int) {
    // SAFETY: valid hook arguments; a mount's root dentry has an inode.
    unsafe {
        let root = bindings::path {
            mnt,
            dentry: (*mnt).mnt_root,
        };
        from_path(ctx, &root);
        ctx.mnt_flags = (*mnt).mnt_flags as u32;
    }
    ctx.flags = flags as u64;
    caller_confinement(ctx);
}

pub(crate) unsafe fn path_chroot(ctx: &mut MountCtx, path: *const bindings::path) {
    // SAFETY: valid hook arguments.
    unsafe { from_path(ctx, path) };
    caller_confinement(ctx);
}
