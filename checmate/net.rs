// SPDX-License-Identifier: GPL-2.0
//! Socket contexts (`struct checmate_sock_ctx`): the network hooks.
//!
//! Every field holds what the kernel acts on, after its compatibility
//! rules, so that a program decides on the operation that really happens
//! (the per-hook table is in `Documentation/userspace-api/checmate.rst`):
//!
//! - `family` is the family of the traffic: IPv4-mapped addresses on an
//!   `AF_INET6` socket and IPv4 packets it receives are `AF_INET`, with the
//!   IPv4 fields set; `sock_family` is the socket's own family.
//! - A user address is read only within the `len` bytes the kernel copied,
//!   and is given the meaning the code after the hook gives it (`AF_UNSPEC`
//!   at bind and in datagram `msg_name`, `AF_INET` on `AF_INET6` datagram
//!   sockets, the unspecified address as the loopback or own address, the
//!   `msg_name` that TCP ignores). One it will refuse is shown as given,
//!   with `CHECMATE_SOCK_F_BAD_ADDR`.
//! - A packet's ports are read after the IPv4 header and its options, or
//!   after the IPv6 extension headers (as `ipv6_skip_exthdr()` walks them);
//!   a non-first fragment, an unknown header or a packet that ends early
//!   has no ports, and the flags say which.

use crate::ctx::ip6_words;
use crate::ctx::{wants, Want};
use core::ptr;
use kernel::bindings;
use kernel::bindings::checmate_sock_ctx as SockCtx;
use kernel::ffi::{c_int, c_void};

const AF_UNSPEC: u32 = bindings::AF_UNSPEC;
const AF_INET: u32 = bindings::AF_INET;
const AF_INET6: u32 = bindings::AF_INET6;

const F_LOCAL: u32 = bindings::CHECMATE_SOCK_F_LOCAL;
const F_REMOTE: u32 = bindings::CHECMATE_SOCK_F_REMOTE;
const F_PORTS: u32 = bindings::CHECMATE_SOCK_F_PORTS;
const F_MSG_NAME: u32 = bindings::CHECMATE_SOCK_F_MSG_NAME;
const F_CONNECTS: u32 = bindings::CHECMATE_SOCK_F_CONNECTS;
const F_DISCONNECT: u32 = bindings::CHECMATE_SOCK_F_DISCONNECT;
const F_BAD_ADDR: u32 = bindings::CHECMATE_SOCK_F_BAD_ADDR;
const F_FRAGMENT: u32 = bindings::CHECMATE_SOCK_F_FRAGMENT;
const F_TRUNCATED: u32 = bindings::CHECMATE_SOCK_F_TRUNCATED;
const F_SCTP_ADDRS: u32 = bindings::CHECMATE_SOCK_F_SCTP_ADDRS;
const F_NL_BATCH: u32 = bindings::CHECMATE_SOCK_F_NL_BATCH;

/// `sizeof(struct sockaddr_in)`.
const SIN_LEN: usize = core::mem::size_of::<bindings::sockaddr_in>();
/// `SIN6_LEN_RFC2133`: a `sockaddr_in6` without `sin6_scope_id`.
const SIN6_LEN: usize = bindings::SIN6_LEN_RFC2133 as usize;
/// `sizeof(struct sockaddr_in6)`.
const SIN6_FULL_LEN: usize = core::mem::size_of::<bindings::sockaddr_in6>();

/// An address as the context shows it.
#[derive(Clone, Copy, Default)]
struct Addr {
    family: u32,
    port: u32,
    ip4: u32,
    ip6: [u32; 4],
}

impl Addr {
    fn v4(port: u32, ip4: u32) -> Addr {
        Addr {
            family: AF_INET,
            port,
            ip4,
            ip6: [0; 4],
        }
    }

    /// An IPv6 address, or the IPv4 address it maps (`::ffff:a.b.c.d`).
    fn v6_or_mapped(port: u32, ip6: [u32; 4]) -> Addr {
        if is_mapped(&ip6) {
            Addr::v4(port, ip6[3])
        } else {
            Addr {
                family: AF_INET6,
                port,
                ip4: 0,
                ip6,
            }
        }
    }
}

/// `ipv6_addr_v4mapped()`.
fn is_mapped(a: &[u32; 4]) -> bool {
    a[0] == 0 && a[1] == 0 && a[2] == 0xffffu32.to_be()
}

/// `ipv6_addr_any()`.
fn is_any6(a: &[u32; 4]) -> bool {
    a.iter().all(|&w| w == 0)
}

/// `::1`.
const LOOPBACK6: [u32; 4] = [0, 0, 0, 1u32.to_be()];
/// `127.0.0.1`, network order.
const LOOPBACK4: u32 = bindings::INADDR_LOOPBACK.to_be();

/// A socket address from user space as the kernel copied it: `len` bytes,
/// read no further.
#[derive(Clone, Copy)]
struct UserAddr {
    len: usize,
    family: u32,
    /// Port (host order) and address of a `sockaddr_in`, if `len` covers one.
    sin: Option<(u32, u32)>,
    /// Port (host order) and address of a `sockaddr_in6`, if `len` covers
    /// `SIN6_LEN_RFC2133` bytes.
    sin6: Option<(u32, [u32; 4])>,
}

impl UserAddr {
    /// Reads what `len` bytes at `addr` hold; `None` if no address.
    ///
    /// # Safety
    ///
    /// `addr` must be null or point to `len` readable bytes.
    unsafe fn read(addr: *const c_void, len: c_int) -> Option<UserAddr> {
        let len = usize::try_from(len).ok()?;
        if addr.is_null() {
            return None;
        }
        let a = addr.cast::<u8>();
        let mut out = UserAddr {
            len,
            family: AF_UNSPEC,
            sin: None,
            sin6: None,
        };
        if len < 2 {
            return Some(out);
        }
        // SAFETY: at least two readable bytes, the family (unaligned read).
        out.family = unsafe { ptr::read_unaligned(a.cast::<u16>()) } as u32;
        if len >= SIN_LEN {
            // SAFETY: `len` covers a `sockaddr_in`: port at 2, address at 4.
            let (port, ip4) = unsafe {
                (
                    ptr::read_unaligned(a.add(2).cast::<u16>()),
                    ptr::read_unaligned(a.add(4).cast::<u32>()),
                )
            };
            out.sin = Some((u16::from_be(port) as u32, ip4));
        }
        if len >= SIN6_LEN {
            // SAFETY: 24 bytes: family, port at 2, flowinfo at 4, address at 8.
            let (port, ip6) = unsafe {
                (
                    ptr::read_unaligned(a.add(2).cast::<u16>()),
                    ptr::read_unaligned(a.add(8).cast::<[u32; 4]>()),
                )
            };
            out.sin6 = Some((u16::from_be(port) as u32, ip6));
        }
        Some(out)
    }

    /// The address as given, for one the kernel will refuse: what the
    /// bytes copied hold, under the family they name.
    fn as_given(&self) -> Addr {
        let mut a = Addr {
            family: self.family,
            ..Addr::default()
        };
        match self.family {
            AF_INET => {
                if let Some((port, ip4)) = self.sin {
                    (a.port, a.ip4) = (port, ip4);
                }
            }
            AF_INET6 => {
                if let Some((port, ip6)) = self.sin6 {
                    (a.port, a.ip6) = (port, ip6);
                }
            }
            _ => {}
        }
        a
    }
}

/// What the fill functions need of an inet socket, copied once.
#[derive(Clone, Copy, Default)]
struct SockInfo {
    family: u32,
    ty: u32,
    protocol: u32,
    state: u32,
    v6only: bool,
    /// `inet_saddr`: the source address IPv4 routing starts from.
    saddr4: u32,
    /// `sk_v6_rcv_saddr` and `np->saddr`.
    rcv_saddr6: [u32; 4],
    np_saddr6: [u32; 4],
    /// The destination of a pending corked UDP datagram.
    pending: Option<Addr>,
    /// TCP: `tp->repair`, and `DEFER_CONNECT` set.
    repair: bool,
}

impl SockInfo {
    fn is_inet(&self) -> bool {
        matches!(self.family, AF_INET | AF_INET6)
    }

    fn is_tcp(&self) -> bool {
        self.is_inet()
            && self.ty == bindings::sock_type_SOCK_STREAM
            && self.protocol == bindings::IPPROTO_TCP
    }

    /// An MPTCP socket: TCP's rules for addresses, on subflows of its own.
    fn is_mptcp(&self) -> bool {
        self.is_inet()
            && self.ty == bindings::sock_type_SOCK_STREAM
            && self.protocol == bindings::IPPROTO_MPTCP
    }

    fn is_sctp(&self) -> bool {
        self.is_inet() && self.protocol == bindings::IPPROTO_SCTP
    }

    fn is_udp(&self) -> bool {
        self.is_inet()
            && self.ty == bindings::sock_type_SOCK_DGRAM
            && matches!(
                self.protocol,
                bindings::IPPROTO_UDP | bindings::IPPROTO_UDPLITE
            )
    }

    fn is_ping(&self) -> bool {
        self.is_inet()
            && self.ty == bindings::sock_type_SOCK_DGRAM
            && matches!(
                self.protocol,
                bindings::IPPROTO_ICMP | bindings::IPPROTO_ICMPV6
            )
    }

    fn is_raw(&self) -> bool {
        self.is_inet() && self.ty == bindings::sock_type_SOCK_RAW
    }

    /// Do the socket's addresses carry transport ports?
    fn has_ports(&self) -> bool {
        self.is_inet() && !self.is_raw() && !self.is_ping()
    }

    /// IPv4 routing of the unspecified destination (`__ip_route_output_key`):
    /// the socket's source address, else the loopback.
    fn any4(&self, ip4: u32) -> u32 {
        match (ip4, self.saddr4) {
            (0, 0) => LOOPBACK4,
            (0, s) => s,
            (d, _) => d,
        }
    }

    /// An IPv4 destination of an IPv4 connection or datagram.
    fn dest4(&self, port: u32, ip4: u32) -> Addr {
        Addr::v4(port, self.any4(ip4))
    }

    /// An IPv6 destination of a TCP or UDP socket (`tcp_v6_connect`,
    /// `__ip6_datagram_connect`, `udpv6_sendmsg`): `::` is the loopback, or
    /// the IPv4 loopback if the socket's address `mapped_if` is v4-mapped;
    /// a v4-mapped destination is IPv4, refused on an IPv6-only socket.
    fn dest6(&self, port: u32, ip6: [u32; 4], mapped_if: &[u32; 4]) -> Option<Addr> {
        let ip6 = match (is_any6(&ip6), is_mapped(mapped_if)) {
            (true, true) => return Some(self.dest4(port, LOOPBACK4)),
            (true, false) => LOOPBACK6,
            (false, _) => ip6,
        };
        if is_mapped(&ip6) {
            return (!self.v6only).then(|| self.dest4(port, ip6[3]));
        }
        Some(Addr::v6_or_mapped(port, ip6))
    }
}

/// Copies what the fill functions need of `sk`.
fn sock_info(sk: &bindings::sock) -> SockInfo {
    let skc = &sk.__sk_common;
    let mut si = SockInfo {
        family: skc.skc_family as u32,
        ty: sk.sk_type as u32,
        protocol: sk.sk_protocol as u32,
        // SAFETY: `skc_state` is a byte of a valid sock, read once.
        state: unsafe { ptr::read_volatile(&skc.skc_state) } as u32,
        v6only: skc.skc_ipv6only() != 0,
        rcv_saddr6: ip6_words(&skc.skc_v6_rcv_saddr),
        ..SockInfo::default()
    };
    if !si.is_inet() {
        return si;
    }
    let sk_ptr = ptr::from_ref(sk);
    // SAFETY: every `AF_INET`/`AF_INET6` sock is the `sk` of an `inet_sock`.
    let inet = unsafe { &*sk_ptr.cast::<bindings::inet_sock>() };
    si.saddr4 = inet.inet_saddr;
    if si.family == AF_INET6 {
        // SAFETY: an `AF_INET6` inet_sock's `pinet6` points to its
        // `ipv6_pinfo` for the life of the sock.
        if let Some(np) = unsafe { inet.pinet6.as_ref() } {
            si.np_saddr6 = ip6_words(&np.saddr);
        }
    }
    if si.is_udp() {
        // SAFETY: a UDP or UDP-Lite inet sock is the `inet` of a `udp_sock`.
        let up = unsafe { &*sk_ptr.cast::<bindings::udp_sock>() };
        // SAFETY: `pending` is an int of a valid sock, read once.
        let pending = unsafe { ptr::read_volatile(&up.pending) } as u32;
        if pending == AF_INET {
            // SAFETY: the cork's flow is plain data; `udp_sendmsg()` set
            // its IPv4 member when it corked an IPv4 datagram.
            let fl4 = unsafe { &inet.cork.fl.u.ip4 };
            // SAFETY: the ports member of the union of plain integers.
            let dport = unsafe { fl4.uli.ports.dport };
            si.pending = Some(Addr::v4(u16::from_be(dport) as u32, fl4.daddr));
        } else if pending == AF_INET6 {
            // SAFETY: as above; `ip6_append_data()` set the IPv6 member.
            let fl6 = unsafe { &inet.cork.fl.u.ip6 };
            // SAFETY: as above.
            let dport = unsafe { fl6.uli.ports.dport };
            si.pending = Some(Addr {
                family: AF_INET6,
                port: u16::from_be(dport) as u32,
                ip4: 0,
                ip6: ip6_words(&fl6.daddr),
            });
        }
    }
    if si.is_tcp() {
        // SAFETY: a TCP stream inet sock is the `inet_conn.icsk_inet` of a
        // `tcp_sock`.
        let tp = unsafe { &*sk_ptr.cast::<bindings::tcp_sock>() };
        si.repair = tp.repair() != 0;
    }
    si
}

/// Does `sk` have `DEFER_CONNECT` set (TCP_FASTOPEN_CONNECT deferred)?
fn defer_connect(sk: &bindings::sock) -> bool {
    let sk_ptr = ptr::from_ref(sk);
    // SAFETY: only called for inet sockets (see `sock_info()`).
    let inet = unsafe { &*sk_ptr.cast::<bindings::inet_sock>() };
    // SAFETY: `inet_flags` is a word of a valid sock, read once.
    let flags = unsafe { ptr::read_volatile(&inet.inet_flags) };
    flags & (1 << bindings::INET_FLAGS_DEFER_CONNECT) != 0
}

fn set_local(ctx: &mut SockCtx, a: Addr) {
    ctx.family = a.family;
    ctx.local_port = a.port;
    ctx.local_ip4 = a.ip4;
    ctx.local_ip6 = a.ip6;
    ctx.info |= F_LOCAL;
}

/// Sets the remote address; the local one follows the remote's family
/// (a v4-mapped socket address is shown as IPv4, IPv4 fields on IPv6 0).
fn set_remote(ctx: &mut SockCtx, a: Addr) {
    if a.family == AF_INET && ctx.family == AF_INET6 {
        ctx.local_ip4 = if is_mapped(&ctx.local_ip6) {
            ctx.local_ip6[3]
        } else {
            0
        };
        ctx.local_ip6 = [0; 4];
    } else if a.family == AF_INET6 && ctx.family == AF_INET {
        ctx.local_ip4 = 0;
    }
    ctx.family = a.family;
    ctx.remote_port = a.port;
    ctx.remote_ip4 = a.ip4;
    ctx.remote_ip6 = a.ip6;
    ctx.info |= F_REMOTE;
}

fn clear_remote(ctx: &mut SockCtx) {
    ctx.remote_port = 0;
    ctx.remote_ip4 = 0;
    ctx.remote_ip6 = [0; 4];
    ctx.info &= !F_REMOTE;
}

/// The cgroup v2 id and network namespace cookie of `sk`. Both are fixed
/// for the life of the sock, and readable in softirq.
fn identity(ctx: &mut SockCtx, sk: &bindings::sock) {
    // `sock_cgroup_ptr()`: a sock holds a reference to its cgroup from
    // `cgroup_sk_alloc()` to `cgroup_sk_free()`, for as long as it lives.
    // SAFETY: valid while the sock is (above); null is checked.
    if let Some(cgrp) = unsafe { sk.sk_cgrp_data.cgroup.as_ref() } {
        // SAFETY: `cgroup_id()`: a live cgroup's `kn` is valid.
        if let Some(kn) = unsafe { cgrp.kn.as_ref() } {
            ctx.cgroup_id = kn.id;
        }
    }
    // SAFETY: `sock_net()`: a sock holds its network namespace while it
    // lives (a kernel socket's namespace outlives it).
    if let Some(net) = unsafe { sk.__sk_common.skc_net.net.as_ref() } {
        ctx.netns_cookie = net.net_cookie;
    }
}

/// Family, protocol, the addresses and the identity of `sk`, as the socket
/// reports them (`getsockname`, `getpeername`).
fn from_sock(ctx: &mut SockCtx, sk: &bindings::sock) {
    let si = sock_info(sk);
    let skc = &sk.__sk_common;
    ctx.family = si.family;
    ctx.sock_family = si.family;
    ctx.protocol = si.protocol;
    if ctx.type_ == 0 {
        ctx.type_ = si.ty;
    }
    identity(ctx, sk);
    if !si.is_inet() {
        return;
    }
    // SAFETY: the unions hold plain integers; any bit pattern is valid.
    let (ports, addrs) = unsafe {
        (
            skc.__bindgen_anon_3.__bindgen_anon_1,
            skc.__bindgen_anon_1.__bindgen_anon_1,
        )
    };
    if si.has_ports() {
        ctx.info |= F_PORTS;
    }
    ctx.local_port = ports.skc_num as u32;
    ctx.remote_port = u16::from_be(ports.skc_dport) as u32;
    if ctx.local_port != 0 {
        ctx.info |= F_LOCAL;
    }
    let peer = match si.ty {
        bindings::sock_type_SOCK_STREAM => {
            !matches!(si.state, bindings::TCP_CLOSE | bindings::TCP_LISTEN)
        }
        _ => si.state == bindings::TCP_ESTABLISHED,
    };
    let (local6, remote6) = (
        ip6_words(&skc.skc_v6_rcv_saddr),
        ip6_words(&skc.skc_v6_daddr),
    );
    // A dual-stack socket bound or connected to v4-mapped addresses
    // carries IPv4 traffic: its IPv4 addresses are the ones used.
    let v4 = si.family == AF_INET || (peer && is_mapped(&remote6)) || (!peer && is_mapped(&local6));
    if v4 {
        ctx.family = AF_INET;
        ctx.local_ip4 = addrs.skc_rcv_saddr;
        ctx.remote_ip4 = if peer { addrs.skc_daddr } else { 0 };
    } else {
        ctx.local_ip6 = local6;
        ctx.remote_ip6 = if peer { remote6 } else { [0; 4] };
    }
    if peer {
        ctx.info |= F_REMOTE;
    } else {
        ctx.remote_port = 0;
    }
}

/// The socket's own family, type, protocol, addresses and identity.
///
/// # Safety
///
/// `sock` must be a valid socket.
unsafe fn from_socket(ctx: &mut SockCtx, sock: *const bindings::socket) -> Option<SockInfo> {
    // SAFETY: the caller guarantees `sock` is valid.
    let sock = unsafe { &*sock };
    ctx.type_ = sock.type_ as u32;
    // SAFETY: a socket's `sk` is null or a valid sock while the socket lives.
    let sk = unsafe { sock.sk.as_ref() }?;
    from_sock(ctx, sk);
    Some(sock_info(sk))
}

/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook of the same
/// name (`hooks.rs` passes them on from the LSM framework).
pub(crate) unsafe fn socket_create(
    ctx: &mut SockCtx,
    want: Want,
    family: c_int,
    ty: c_int,
    protocol: c_int,
    kern: c_int,
) {
    ctx.family = family as u32;
    ctx.sock_family = family as u32;
    ctx.type_ = ty as u32;
    ctx.protocol = protocol as u32;
    ctx.arg = kern as u32;
    if wants!(want, SockCtx, cgroup_id) {
        // SAFETY: reads current's cgroup under RCU; valid in process
        // context, where socket(2) runs.
        ctx.cgroup_id = unsafe { bindings::checmate_current_cgroup_id() };
    }
    // A kernel socket's namespace is not current's: no value then.
    if kern == 0 && wants!(want, SockCtx, netns_cookie) {
        // SAFETY: as above; current's own nsproxy.
        ctx.netns_cookie = unsafe { bindings::checmate_current_netns_cookie() };
    }
}

/// The address a bind really binds (`__inet_bind`, `__inet6_bind`,
/// `raw_bind`, `ping_check_bind_addr`, `rawv6_bind`), or `None` if the
/// kernel refuses it.
fn bind_addr(si: &SockInfo, ua: &UserAddr) -> Option<Addr> {
    match si.family {
        AF_INET => {
            let (port, ip4) = ua.sin?;
            if si.is_raw() {
                // `raw_bind()` reads the address whatever the family.
                return Some(Addr::v4(port, ip4));
            }
            // AF_UNSPEC is AF_INET if the address is INADDR_ANY.
            let ok = ua.family == AF_INET || (ua.family == AF_UNSPEC && ip4 == 0);
            ok.then(|| Addr::v4(port, ip4))
        }
        AF_INET6 => {
            let (port, ip6) = ua.sin6?;
            let min = if si.is_ping() {
                SIN6_FULL_LEN
            } else {
                SIN6_LEN
            };
            if ua.len < min || ua.family != AF_INET6 {
                return None;
            }
            if is_mapped(&ip6) {
                // Only TCP and UDP bind IPv4 on an IPv6 socket.
                if si.is_raw() || si.is_ping() || si.v6only {
                    return None;
                }
                return Some(Addr::v4(port, ip6[3]));
            }
            Some(Addr::v6_or_mapped(port, ip6))
        }
        _ => None,
    }
}

/// [`bind_addr`], or SCTP's rules for SCTP sockets: `sctp_bind()` takes the
/// address as its address lists do (an `AF_INET` address on a dual-stack
/// socket is IPv4, `AF_UNSPEC` is refused).
fn bind_or_sctp_addr(si: &SockInfo, ua: &UserAddr) -> Option<Addr> {
    if si.is_sctp() {
        sctp_list_addr(si, ua)
    } else {
        bind_addr(si, ua)
    }
}

/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook of the same
/// name (`hooks.rs` passes them on from the LSM framework).
pub(crate) unsafe fn socket_bind(
    ctx: &mut SockCtx,
    _want: Want,
    sock: *mut bindings::socket,
    addr: *mut bindings::sockaddr,
    len: c_int,
) {
    // SAFETY: valid hook arguments (module docs).
    let Some(si) = (unsafe { from_socket(ctx, sock) }) else {
        return;
    };
    if !si.is_inet() {
        return;
    }
    // SAFETY: `addr` holds `len` bytes copied from user space.
    let Some(ua) = (unsafe { UserAddr::read(addr.cast(), len) }) else {
        return;
    };
    match bind_or_sctp_addr(&si, &ua) {
        Some(a) => set_local(ctx, a),
        None => {
            set_local(ctx, ua.as_given());
            ctx.info |= F_BAD_ADDR;
        }
    }
}

/// Applies a port the programs wrote into the address about to be bound.
/// A port that does not fit 16 bits fails the bind with `EINVAL`.
///
/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook of the same
/// name (`hooks.rs` passes them on from the LSM framework).
pub(crate) unsafe fn socket_bind_commit(
    ctx: &SockCtx,
    (sock, addr, len): (*mut bindings::socket, *mut bindings::sockaddr, c_int),
) -> c_int {
    if ctx.info & F_BAD_ADDR != 0 || ctx.info & F_LOCAL == 0 {
        return 0;
    }
    // SAFETY: `addr` holds `len` bytes copied from user space.
    let Some(ua) = (unsafe { UserAddr::read(addr.cast(), len) }) else {
        return 0;
    };
    // SAFETY: valid hook arguments; `sk` is null or valid.
    let Some(sk) = (unsafe { (*sock).sk.as_ref() }) else {
        return 0;
    };
    let Some(bound) = bind_or_sctp_addr(&sock_info(sk), &ua) else {
        return 0;
    };
    if ctx.local_port == bound.port {
        return 0;
    }
    let Ok(new) = u16::try_from(ctx.local_port) else {
        return -(bindings::EINVAL as c_int);
    };
    // The buffer is the kernel's own copy, which the bind that follows reads.
    // SAFETY: `bind_addr()` accepted at least a `sockaddr_in` (16 bytes);
    // the port is at offset 2 in `sockaddr_in` and `sockaddr_in6` alike.
    unsafe { ptr::write_unaligned(addr.cast::<u8>().add(2).cast::<u16>(), new.to_be()) };
    0
}

/// The address a connect connects to (`__inet_stream_connect`,
/// `inet_dgram_connect`, `tcp_v4_connect`, `tcp_v6_connect`,
/// `__ip4_datagram_connect`, `__ip6_datagram_connect`,
/// `ip6_datagram_connect_v6_only`), or `None` if the kernel refuses it.
/// `AF_UNSPEC` is handled by the caller.
fn connect_addr(si: &SockInfo, ua: &UserAddr) -> Option<Addr> {
    match si.family {
        AF_INET => {
            let (port, ip4) = ua.sin?;
            (ua.family == AF_INET).then(|| si.dest4(port, ip4))
        }
        AF_INET6 => {
            if ua.family == AF_INET && si.is_udp() {
                // `__ip6_datagram_connect()`: AF_INET on a dual-stack socket.
                let (port, ip4) = ua.sin?;
                return (!si.v6only).then(|| si.dest4(port, ip4));
            }
            let (port, ip6) = ua.sin6?;
            if ua.family != AF_INET6 {
                return None;
            }
            if si.is_raw() || si.is_ping() {
                // IPv6 only: a mapped address stays an IPv6 address.
                let ip6 = if is_any6(&ip6) { LOOPBACK6 } else { ip6 };
                return Some(Addr {
                    family: AF_INET6,
                    port,
                    ip4: 0,
                    ip6,
                });
            }
            si.dest6(port, ip6, &si.rcv_saddr6)
        }
        _ => None,
    }
}

/// `socket_connect` but for the routing header (`apply_first_hop()`).
///
/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook `socket_connect`.
unsafe fn socket_connect_dest(
    ctx: &mut SockCtx,
    sock: *mut bindings::socket,
    addr: *mut bindings::sockaddr,
    len: c_int,
) {
    // SAFETY: valid hook arguments (module docs).
    let Some(si) = (unsafe { from_socket(ctx, sock) }) else {
        return;
    };
    if !si.is_inet() {
        return;
    }
    // SAFETY: `addr` holds `len` bytes copied from user space.
    let Some(ua) = (unsafe { UserAddr::read(addr.cast(), len) }) else {
        return;
    };
    if si.is_sctp() {
        // `sctp_inet_connect()`: `AF_UNSPEC` is `EOPNOTSUPP`, not a
        // disconnect; then SCTP's address rules (an `AF_INET` address on a
        // dual-stack socket is IPv4).
        match sctp_list_addr(&si, &ua) {
            Some(a) => set_remote(ctx, a),
            None => {
                set_remote(ctx, ua.as_given());
                ctx.info |= F_BAD_ADDR;
            }
        }
        return;
    }
    if ua.len >= 2 && ua.family == AF_UNSPEC {
        // `prot->disconnect()`: no address any more.
        clear_remote(ctx);
        ctx.info |= F_DISCONNECT;
        return;
    }
    match connect_addr(&si, &ua) {
        Some(a) => set_remote(ctx, a),
        None => {
            set_remote(ctx, ua.as_given());
            ctx.info |= F_BAD_ADDR;
        }
    }
}

/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook of the same
/// name (`hooks.rs` passes them on from the LSM framework).
pub(crate) unsafe fn socket_listen(
    ctx: &mut SockCtx,
    _want: Want,
    sock: *mut bindings::socket,
    backlog: c_int,
) {
    // SAFETY: valid hook arguments (module docs).
    unsafe { from_socket(ctx, sock) };
    ctx.arg = backlog as u32;
}

/// `struct nlmsghdr` (include/uapi/linux/netlink.h): `nlmsg_len` (u32),
/// `nlmsg_type` (u16), `nlmsg_flags` (u16), `nlmsg_seq`, `nlmsg_pid`.
const NLMSG_HDRLEN: usize = 16;

/// Fills the context of the `netlink_send` LSM hook: the socket and the
/// first message header of the data `netlink_sendmsg()` copied into a
/// linear skb (`netlink_alloc_large_skb()`).
///
/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook of the same
/// name (`hooks.rs` passes them on from the LSM framework).
pub(crate) unsafe fn netlink_send(
    ctx: &mut SockCtx,
    _want: Want,
    sk: *mut bindings::sock,
    skb: *mut bindings::sk_buff,
) {
    // SAFETY: the sending socket, held by the caller (its file).
    let sk = unsafe { &*sk };
    ctx.type_ = sk.sk_type as u32;
    from_sock(ctx, sk);
    // SAFETY: the skb `netlink_sendmsg()` just filled, owned by it: linear,
    // `len` bytes at `data`.
    let (data, len) = unsafe { ((*skb).data, (*skb).len as usize) };
    if len < NLMSG_HDRLEN {
        ctx.info |= F_TRUNCATED;
        return;
    }
    let mut hdr = [0u8; NLMSG_HDRLEN];
    for (i, b) in hdr.iter_mut().enumerate() {
        // SAFETY: `i < NLMSG_HDRLEN <= len`.
        *b = unsafe { *data.add(i) };
    }
    // Netlink headers are in host byte order.
    let msg_len = u32::from_ne_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as usize;
    ctx.arg = u16::from_ne_bytes([hdr[4], hdr[5]]) as u32;
    ctx.flags = u16::from_ne_bytes([hdr[6], hdr[7]]) as u32;
    // `netlink_rcv_skb()` goes on after NLMSG_ALIGN(nlmsg_len) while a
    // header fits.
    let next = (msg_len + 3) & !3;
    if msg_len >= NLMSG_HDRLEN && next + NLMSG_HDRLEN <= len {
        ctx.info |= F_NL_BATCH;
    }
}

/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook of the same
/// name (`hooks.rs` passes them on from the LSM framework).
pub(crate) unsafe fn socket_setsockopt(
    ctx: &mut SockCtx,
    _want: Want,
    sock: *mut bindings::socket,
    level: c_int,
    optname: c_int,
) {
    // SAFETY: valid hook arguments: `do_sock_setsockopt()`'s caller holds
    // the socket (its file, or io_uring's request).
    unsafe { from_socket(ctx, sock) };
    ctx.arg = level as u32;
    ctx.flags = optname as u32;
}

/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook of the same
/// name (`hooks.rs` passes them on from the LSM framework).
pub(crate) unsafe fn socket_accept(
    ctx: &mut SockCtx,
    _want: Want,
    sock: *mut bindings::socket,
    _newsock: *mut bindings::socket,
) {
    // SAFETY: valid hook arguments (module docs).
    unsafe { from_socket(ctx, sock) };
}

/// Where a datagram with `msg_name` goes (`udp_sendmsg`, `udpv6_sendmsg`,
/// `raw_sendmsg`, `rawv6_sendmsg`, `ping_v4_sendmsg`, `ping_v6_sendmsg`):
/// `Ok(Some)` the address, `Ok(None)` no address (the peer), `Err` refused.
fn datagram_addr(si: &SockInfo, ua: &UserAddr) -> Result<Option<Addr>, ()> {
    let no_port = |a: Addr| Addr { port: 0, ..a };
    match si.family {
        AF_INET => {
            let (port, ip4) = ua.sin.ok_or(())?;
            if si.is_udp() {
                // AF_UNSPEC is AF_INET; port 0 is EINVAL.
                if !matches!(ua.family, AF_INET | AF_UNSPEC) || port == 0 {
                    return Err(());
                }
                return Ok(Some(si.dest4(port, ip4)));
            }
            let ok = ua.family == AF_INET || (si.is_raw() && ua.family == AF_UNSPEC);
            if !ok {
                return Err(());
            }
            // Raw and ping sockets have no destination port.
            Ok(Some(no_port(si.dest4(port, ip4))))
        }
        AF_INET6 if si.is_udp() => {
            if ua.len < 2 {
                return Err(());
            }
            match ua.family {
                AF_UNSPEC => Ok(None),
                AF_INET => {
                    let (port, ip4) = ua.sin.ok_or(())?;
                    if si.v6only || port == 0 {
                        return Err(());
                    }
                    Ok(Some(si.dest4(port, ip4)))
                }
                AF_INET6 => {
                    let (port, ip6) = ua.sin6.ok_or(())?;
                    if port == 0 {
                        return Err(());
                    }
                    si.dest6(port, ip6, &si.np_saddr6).map(Some).ok_or(())
                }
                _ => Err(()),
            }
        }
        AF_INET6 => {
            let (_, ip6) = ua.sin6.ok_or(())?;
            let ok = if si.is_ping() {
                ua.len >= SIN6_FULL_LEN && ua.family == AF_INET6
            } else {
                matches!(ua.family, AF_INET6 | AF_UNSPEC)
            };
            if !ok {
                return Err(());
            }
            let ip6 = if is_any6(&ip6) { LOOPBACK6 } else { ip6 };
            Ok(Some(Addr {
                family: AF_INET6,
                port: 0,
                ip4: 0,
                ip6,
            }))
        }
        _ => Err(()),
    }
}

/// `socket_sendmsg` but for the routing header (`apply_first_hop()`).
///
/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook `socket_sendmsg`.
unsafe fn socket_sendmsg_dest(
    ctx: &mut SockCtx,
    sock: *mut bindings::socket,
    msg: *mut bindings::msghdr,
    size: c_int,
) {
    // SAFETY: valid hook arguments (module docs).
    let Some(si) = (unsafe { from_socket(ctx, sock) }) else {
        return;
    };
    ctx.arg = size as u32;
    if !si.is_inet() {
        return;
    }
    // SAFETY: `msg` is a valid hook argument.
    let m = unsafe { &*msg };
    let (name, namelen, msg_flags) = (m.msg_name, m.msg_namelen, m.msg_flags);
    // SAFETY: `msg_name` is null or the kernel's copy of `msg_namelen` bytes.
    let ua = unsafe { UserAddr::read(name, namelen) };
    if si.is_tcp() || si.is_mptcp() {
        // SAFETY: valid hook arguments; `sk` is valid (`from_socket()`).
        let (state, sk) = unsafe { ((*sock).state, &*(*sock).sk) };
        // `tcp_sendmsg_locked()`: MSG_FASTOPEN on an unconnected socket
        // connects to `msg_name` (`tcp_sendmsg_fastopen()`); otherwise TCP
        // ignores `msg_name` and the data goes to the peer. MPTCP does the
        // same on its first subflow (`mptcp_sendmsg_fastopen()`); `repair`
        // is TCP's only.
        let fastopen = msg_flags & bindings::MSG_FASTOPEN != 0
            && !si.repair
            && !defer_connect(sk)
            && state == bindings::socket_state_SS_UNCONNECTED
            && si.state == bindings::TCP_CLOSE;
        if fastopen {
            ctx.info |= F_CONNECTS;
            let Some(ua) = ua else {
                clear_remote(ctx);
                ctx.info |= F_BAD_ADDR;
                return;
            };
            ctx.info |= F_MSG_NAME;
            // AF_UNSPEC is EOPNOTSUPP there, not a disconnect.
            let a = if ua.family == AF_UNSPEC {
                None
            } else {
                connect_addr(&si, &ua)
            };
            match a {
                Some(a) => set_remote(ctx, a),
                None => {
                    set_remote(ctx, ua.as_given());
                    ctx.info |= F_BAD_ADDR;
                }
            }
        }
        return;
    }
    if si.is_sctp() {
        // `sctp_sendmsg_get_daddr()`: `msg_name`, with its port, names the
        // association the data goes to (started if new), under SCTP's
        // address rules; without it, the association of the socket or of
        // the `SCTP_SNDINFO` id.
        if let Some(ua) = ua {
            ctx.info |= F_MSG_NAME;
            match sctp_list_addr(&si, &ua) {
                Some(a) => set_remote(ctx, a),
                None => {
                    set_remote(ctx, ua.as_given());
                    ctx.info |= F_BAD_ADDR;
                }
            }
        }
        return;
    }
    if si.is_udp() {
        if let Some(a) = si.pending {
            // A corked datagram is pending: the data joins it and goes
            // where it goes, whatever `msg_name` says.
            set_remote(ctx, a);
            return;
        }
    }
    // `raw_sendmsg()` tests `msg_namelen`, not `msg_name`.
    let ua = ua.filter(|ua| !(ua.len == 0 && si.is_raw() && si.family == AF_INET));
    let Some(ua) = ua else {
        // The peer, if connected (from the socket, above).
        return;
    };
    match datagram_addr(&si, &ua) {
        Ok(Some(a)) => {
            set_remote(ctx, a);
            ctx.info |= F_MSG_NAME;
        }
        Ok(None) => {}
        Err(()) => {
            set_remote(ctx, ua.as_given());
            ctx.info |= F_MSG_NAME | F_BAD_ADDR;
        }
    }
}

/// `fl6_update_dst()`: the first hop of the IPv6 routing header that `sk`
/// sends with (`IPV6_RTHDR`), to which its IPv6 packets are addressed.
fn first_hop(sk: &bindings::sock) -> Option<[u32; 4]> {
    if sk.__sk_common.skc_family as u32 != AF_INET6 {
        return None;
    }
    // SAFETY: every `AF_INET6` sock is the `sk` of an `inet_sock`.
    let inet = unsafe { &*ptr::from_ref(sk).cast::<bindings::inet_sock>() };
    // SAFETY: an `AF_INET6` inet_sock's `pinet6` points to its
    // `ipv6_pinfo` for the life of the sock.
    let np = unsafe { inet.pinet6.as_ref() }?;
    let _guard = crate::rcu::read_lock();
    // SAFETY: `np->opt` is an RCU pointer to options freed after a grace
    // period (`txopt_put()`), read once inside the read-side section above.
    let opt = unsafe { ptr::read_volatile(&np.opt).as_ref() }?;
    // SAFETY: `srcrt` is null or points into the options' allocation.
    let rt = unsafe { opt.srcrt.as_ref() }?;
    let len = (rt.hdrlen as usize + 1) << 3;
    let index = match rt.type_ {
        // IPV6_SRCRT_TYPE_0, IPV6_SRCRT_STRICT, IPV6_SRCRT_TYPE_2
        0..=2 => 0,
        // IPV6_SRCRT_TYPE_4: `segments[segments_left]`
        4 => rt.segments_left as usize,
        _ => return None,
    };
    let off = 8 + 16 * index;
    if off + 16 > len {
        return None;
    }
    // SAFETY: the header is `len` bytes long (checked when it was set, and
    // above for this address).
    Some(unsafe { ptr::read_unaligned(ptr::from_ref(rt).cast::<u8>().add(off).cast::<[u32; 4]>()) })
}

/// An IPv6 destination is sent to the first hop of the socket's routing
/// header, if it has one.
///
/// # Safety
///
/// `sock` must be a valid socket.
unsafe fn apply_first_hop(ctx: &mut SockCtx, sock: *const bindings::socket) {
    if ctx.family != AF_INET6 || ctx.info & F_REMOTE == 0 {
        return;
    }
    // SAFETY: the caller guarantees `sock` is valid; `sk` is null or valid.
    if let Some(hop) = unsafe { (*sock).sk.as_ref() }.and_then(first_hop) {
        ctx.remote_ip6 = hop;
    }
}

/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook of the same
/// name (`hooks.rs` passes them on from the LSM framework).
pub(crate) unsafe fn socket_connect(
    ctx: &mut SockCtx,
    _want: Want,
    sock: *mut bindings::socket,
    addr: *mut bindings::sockaddr,
    len: c_int,
) {
    // SAFETY: as required of this function.
    unsafe {
        socket_connect_dest(ctx, sock, addr, len);
        apply_first_hop(ctx, sock);
    }
}

/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook of the same
/// name (`hooks.rs` passes them on from the LSM framework).
pub(crate) unsafe fn socket_sendmsg(
    ctx: &mut SockCtx,
    _want: Want,
    sock: *mut bindings::socket,
    msg: *mut bindings::msghdr,
    size: c_int,
) {
    // SAFETY: as required of this function.
    unsafe {
        socket_sendmsg_dest(ctx, sock, msg, size);
        apply_first_hop(ctx, sock);
    }
}

/// The `socket_connect` context of a sendmsg that connects (TCP or MPTCP
/// Fast Open), for `indirect.rs`: as `connect(2)` to `msg_name` would fill
/// it, with `F_MSG_NAME` and `F_CONNECTS`. `false` if the send does not
/// connect.
///
/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook
/// `socket_sendmsg`.
pub(crate) unsafe fn sendmsg_connect(
    ctx: &mut SockCtx,
    sock: *mut bindings::socket,
    msg: *mut bindings::msghdr,
) -> bool {
    // SAFETY: as required of this function; `socket_connect` has no `arg`.
    unsafe { socket_sendmsg_dest(ctx, sock, msg, 0) };
    if ctx.info & F_CONNECTS == 0 {
        return false;
    }
    // SAFETY: `sock` is a valid hook argument.
    unsafe { apply_first_hop(ctx, sock) };
    true
}

/// The local port `sk` is bound to (`inet_num`), 0 if none.
pub(crate) fn local_port(sk: &bindings::sock) -> u32 {
    // SAFETY: the union holds plain integers; any bit pattern is valid.
    let ports = unsafe { sk.__sk_common.__bindgen_anon_3.__bindgen_anon_1 };
    ports.skc_num as u32
}

/// One address of an SCTP address list, as SCTP takes it
/// (`sctp_sockaddr_af()`, `sctp_inet_af_supported()`,
/// `sctp_inet6_af_supported()`, `sctp_v6_available()`,
/// `sctp_v6_addr_valid()`): v4-mapped is IPv4; IPv6 on an IPv4 socket and
/// IPv4 on an IPv6-only socket are refused.
fn sctp_list_addr(si: &SockInfo, ua: &UserAddr) -> Option<Addr> {
    match ua.family {
        AF_INET => {
            let (port, ip4) = ua.sin?;
            (si.family == AF_INET || !si.v6only).then(|| Addr::v4(port, ip4))
        }
        AF_INET6 if si.family == AF_INET6 => {
            let (port, ip6) = ua.sin6?;
            if ua.len < SIN6_FULL_LEN || (is_mapped(&ip6) && si.v6only) {
                return None;
            }
            Some(Addr::v6_or_mapped(port, ip6))
        }
        _ => None,
    }
}

/// The `socket_bind` context of one address of an SCTP list (bindx), for
/// `indirect.rs`. SCTP binds one port per socket (`sctp_do_bind()`): with
/// `port` the one it has or takes from an earlier address of the list (0
/// if none yet), port 0 is shown as `port` and another port is refused.
/// Returns the port shown, `None` if the kernel refuses the address.
///
/// # Safety
///
/// `addr` must point to `len` readable bytes.
pub(crate) unsafe fn sctp_bind_addr(
    ctx: &mut SockCtx,
    sk: &bindings::sock,
    addr: *const c_void,
    len: c_int,
    port: u32,
) -> Option<u32> {
    from_sock(ctx, sk);
    ctx.info |= F_SCTP_ADDRS;
    let si = sock_info(sk);
    // SAFETY: as required of this function.
    let ua = unsafe { UserAddr::read(addr, len) }?;
    let a = sctp_list_addr(&si, &ua).and_then(|mut a| {
        match (a.port, port) {
            (_, 0) => {}
            (0, p) => a.port = p,
            (q, p) if q != p => return None,
            _ => {}
        }
        Some(a)
    });
    match a {
        Some(a) => {
            set_local(ctx, a);
            Some(a.port)
        }
        None => {
            set_local(ctx, ua.as_given());
            ctx.info |= F_BAD_ADDR;
            None
        }
    }
}

/// The `socket_connect` context of one peer address of an SCTP list
/// (connectx, sendmsg, `SCTP_DSTADDRV4`/`V6`, `SCTP_PRIMARY_ADDR`), for
/// `indirect.rs`. The addresses of one association share a port
/// (`__sctp_connect()`): one whose port is not `port`, if given, is
/// refused. Returns the port shown, `None` if the kernel refuses it.
///
/// # Safety
///
/// `addr` must point to `len` readable bytes.
pub(crate) unsafe fn sctp_connect_addr(
    ctx: &mut SockCtx,
    sk: &bindings::sock,
    addr: *const c_void,
    len: c_int,
    port: Option<u32>,
) -> Option<u32> {
    from_sock(ctx, sk);
    ctx.info |= F_SCTP_ADDRS;
    let si = sock_info(sk);
    // SAFETY: as required of this function.
    let ua = unsafe { UserAddr::read(addr, len) }?;
    let a = sctp_list_addr(&si, &ua).filter(|a| port.map_or(true, |p| p == a.port));
    match a {
        Some(a) => {
            set_remote(ctx, a);
            Some(a.port)
        }
        None => {
            set_remote(ctx, ua.as_given());
            ctx.info |= F_BAD_ADDR;
            None
        }
    }
}

/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook of the same
/// name (`hooks.rs` passes them on from the LSM framework).
pub(crate) unsafe fn socket_recvmsg(
    ctx: &mut SockCtx,
    _want: Want,
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

/// Reads `N` bytes of `skb` at `off` (relative to `skb->data`), copying
/// through `skb_header_pointer()`; `None` if the packet is shorter.
///
/// # Safety
///
/// `skb` must be a valid socket buffer.
unsafe fn skb_read<const N: usize>(skb: *const bindings::sk_buff, off: c_int) -> Option<[u8; N]> {
    let mut buf = [0u8; N];
    // `skb_header_pointer` returns a pointer into the packet's linear data,
    // or copies to `buf`, or returns null if the packet is too short.
    // SAFETY: `skb` is valid and `buf` holds `N` bytes.
    let p = unsafe { bindings::skb_header_pointer(skb, off, N as c_int, buf.as_mut_ptr().cast()) };
    if p.is_null() {
        return None;
    }
    let mut out = [0u8; N];
    // SAFETY: `p` points to `N` readable bytes (see above).
    unsafe { ptr::copy_nonoverlapping(p.cast::<u8>(), out.as_mut_ptr(), N) };
    Some(out)
}

/// Protocols whose header starts with the source and destination ports.
fn has_ports(proto: u32) -> bool {
    matches!(
        proto,
        bindings::IPPROTO_TCP
            | bindings::IPPROTO_UDP
            | bindings::IPPROTO_UDPLITE
            | bindings::IPPROTO_SCTP
            | bindings::IPPROTO_DCCP
    )
}

/// Addresses and ports of a received packet: remote = its source.
///
/// # Safety
///
/// `skb` must be a valid socket buffer whose network header is set.
unsafe fn from_packet(ctx: &mut SockCtx, skb: *const bindings::sk_buff) {
    // SAFETY: `skb` is valid; `skb_network_offset` only reads it.
    let net = unsafe { bindings::skb_network_offset(skb) };
    let word = |h: &[u8], i: usize| u32::from_ne_bytes([h[i], h[i + 1], h[i + 2], h[i + 3]]);
    // SAFETY: `skb` is valid (all `skb_read` calls below).
    let Some(first) = (unsafe { skb_read::<1>(skb, net) }) else {
        ctx.info |= F_TRUNCATED;
        return;
    };
    let (proto, transport) = match first[0] >> 4 {
        4 => {
            // SAFETY: as above.
            let Some(h) = (unsafe { skb_read::<20>(skb, net) }) else {
                ctx.info |= F_TRUNCATED;
                return;
            };
            ctx.family = AF_INET;
            ctx.remote_ip4 = word(&h[..], 12);
            ctx.local_ip4 = word(&h[..], 16);
            ctx.info |= F_LOCAL | F_REMOTE;
            let ihl = (h[0] & 0xf) as c_int;
            ctx.transport = h[9] as u32;
            if ihl < 5 {
                ctx.info |= F_TRUNCATED;
                return;
            }
            // A fragment other than the first carries no transport header.
            if u16::from_be_bytes([h[6], h[7]]) & 0x1fff != 0 {
                ctx.info |= F_FRAGMENT;
                return;
            }
            (h[9] as u32, net + 4 * ihl)
        }
        6 => {
            // SAFETY: as above.
            let Some(h) = (unsafe { skb_read::<40>(skb, net) }) else {
                ctx.info |= F_TRUNCATED;
                return;
            };
            ctx.family = AF_INET6;
            let h = &h[..];
            ctx.remote_ip6 = [word(h, 8), word(h, 12), word(h, 16), word(h, 20)];
            ctx.local_ip6 = [word(h, 24), word(h, 28), word(h, 32), word(h, 36)];
            ctx.info |= F_LOCAL | F_REMOTE;
            // SAFETY: as above.
            match unsafe { skip_exthdr(skb, net + 40, h[6]) } {
                Ext::Transport(proto, off) => {
                    ctx.transport = proto as u32;
                    (proto as u32, off)
                }
                Ext::Fragment => {
                    ctx.transport = bindings::NEXTHDR_FRAGMENT;
                    ctx.info |= F_FRAGMENT;
                    return;
                }
                Ext::Truncated(proto) => {
                    ctx.transport = proto as u32;
                    ctx.info |= F_TRUNCATED;
                    return;
                }
            }
        }
        _ => return,
    };
    if has_ports(proto) {
        // SAFETY: as above.
        match unsafe { skb_read::<4>(skb, transport) } {
            Some(p) => {
                ctx.remote_port = u16::from_be_bytes([p[0], p[1]]) as u32;
                ctx.local_port = u16::from_be_bytes([p[2], p[3]]) as u32;
                ctx.info |= F_PORTS;
            }
            None => ctx.info |= F_TRUNCATED,
        }
    }
}

/// Where the IPv6 extension header chain ends.
enum Ext {
    /// The upper-layer protocol and its header's offset.
    Transport(u8, c_int),
    /// A fragment with a non-zero offset: no upper-layer header.
    Fragment,
    /// The packet ends inside the chain, at a header of this type.
    Truncated(u8),
}

/// `ipv6_skip_exthdr()`: skips the Hop-by-Hop, Routing, Fragment (first
/// fragment only), Destination Options and Authentication headers. Every
/// step moves forward by at least 8 bytes inside the packet, so the walk
/// ends within the packet's length; `NEXTHDR_NONE` and unknown headers
/// (ESP among them) end it as the transport.
///
/// # Safety
///
/// `skb` must be a valid socket buffer.
unsafe fn skip_exthdr(skb: *const bindings::sk_buff, mut off: c_int, mut next: u8) -> Ext {
    loop {
        let hdrlen = match next as u32 {
            bindings::NEXTHDR_HOP | bindings::NEXTHDR_ROUTING | bindings::NEXTHDR_DEST => {
                // SAFETY: the caller guarantees `skb` is valid.
                let Some(h) = (unsafe { skb_read::<2>(skb, off) }) else {
                    return Ext::Truncated(next);
                };
                // `ipv6_optlen()`
                let len = (h[1] as c_int + 1) << 3;
                next = h[0];
                len
            }
            bindings::NEXTHDR_AUTH => {
                // SAFETY: as above.
                let Some(h) = (unsafe { skb_read::<2>(skb, off) }) else {
                    return Ext::Truncated(next);
                };
                // `ipv6_authlen()`
                let len = (h[1] as c_int + 2) << 2;
                next = h[0];
                len
            }
            bindings::NEXTHDR_FRAGMENT => {
                // SAFETY: as above.
                let Some(h) = (unsafe { skb_read::<8>(skb, off) }) else {
                    return Ext::Truncated(next);
                };
                if u16::from_be_bytes([h[2], h[3]]) & !0x7 != 0 {
                    return Ext::Fragment;
                }
                next = h[0];
                8
            }
            _ => return Ext::Transport(next, off),
        };
        off = match off.checked_add(hdrlen) {
            Some(o) => o,
            None => return Ext::Truncated(next),
        };
    }
}

/// A packet received on `sk`.
///
/// # Safety
///
/// `sk` must be a valid sock and `skb` a valid socket buffer delivered to
/// it.
unsafe fn from_skb(ctx: &mut SockCtx, sk: &bindings::sock, skb: *const bindings::sk_buff) {
    ctx.family = sk.__sk_common.skc_family as u32;
    ctx.sock_family = ctx.family;
    ctx.type_ = sk.sk_type as u32;
    ctx.protocol = sk.sk_protocol as u32;
    identity(ctx, sk);
    if matches!(ctx.family, AF_INET | AF_INET6) {
        // SAFETY: an inet socket receives packets with their network header
        // set.
        unsafe { from_packet(ctx, skb) };
    }
}

/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook of the same
/// name (`hooks.rs` passes them on from the LSM framework).
pub(crate) unsafe fn sock_rcv_skb(
    ctx: &mut SockCtx,
    _want: Want,
    sk: *mut bindings::sock,
    skb: *mut bindings::sk_buff,
) {
    // SAFETY: valid hook arguments (module docs).
    unsafe { from_skb(ctx, &*sk, skb) };
}

/// # Safety
///
/// The arguments must be the valid arguments of the LSM hook of the same
/// name (`hooks.rs` passes them on from the LSM framework).
pub(crate) unsafe fn inet_conn_request(
    ctx: &mut SockCtx,
    _want: Want,
    sk: *const bindings::sock,
    skb: *mut bindings::sk_buff,
    _req: *mut bindings::request_sock,
) {
    // The SYN: an IPv4 one on an IPv6 listener is an IPv4 packet
    // (`tcp_v6_conn_request()` hands it to `tcp_v4_conn_request()`).
    // SAFETY: valid hook arguments (module docs).
    unsafe { from_skb(ctx, &*sk, skb) };
}
