// SPDX-License-Identifier: GPL-2.0
//! `checmatectl events`: Checmate's denials as data.
//!
//! The source is /sys/kernel/security/checmate/events: one binary
//! `struct checmate_event` per denial (enforced, would-be in log-only mode
//! or by a monitor program, and the not-enforced denials of a privilege
//! drop), none rate-limited, numbered by `seq` so that a gap is a count of
//! events lost. The context the program saw is decoded field by field by
//! the type the kernel's BTF (/sys/kernel/btf/vmlinux) gives its structure
//! (`struct checmate_sock_ctx`, ...), or the UAPI header's layout built in
//! here when the kernel has none.
//!
//! A kernel without that file (older than the event stream) reports
//! denials only to the kernel log (/dev/kmsg), where Checmate's reports
//! land as audit records (`audit: type=1400 ... checmate=denied hook=...`)
//! when no audit daemon takes them, or as `checmate: checmate=denied ...`
//! without CONFIG_AUDIT; `parse_kmsg` reads those. The kernel rate-limits
//! them (10 a second, then a count of those suppressed, reported here as
//! `dropped`).

use std::collections::BTreeMap;

/// One report, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    Denial(Denial),
    /// The kernel suppressed this many reports.
    Dropped(u64),
}

/// A denial, or a would-be denial in log-only mode.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Denial {
    /// Microseconds since boot (the kernel log's clock).
    pub boot_usec: u64,
    pub hook: String,
    pub prog_id: u32,
    pub errno: u32,
    pub enforced: bool,
    pub pid: Option<u32>,
    pub comm: Option<String>,
    /// The context's key values, as the kernel wrote them.
    pub ctx: BTreeMap<String, String>,
}

/// Splits `k=v k2="v 2"` into pairs; quoted values lose their quotes.
fn pairs(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].to_string();
        let after = &rest[eq + 1..];
        let (val, next) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(end) => (q[..end].to_string(), &q[end + 1..]),
                None => (q.to_string(), ""),
            }
        } else {
            let end = after.find(' ').unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        out.push((key, val));
        rest = next.trim_start();
    }
    out
}

/// Parses one /dev/kmsg record (`pri,seq,usec,flags;text`, continuation
/// lines after it ignored); None if it is not a Checmate report.
pub fn parse_kmsg(record: &str) -> Option<Record> {
    let line = record.lines().next()?;
    let (prefix, text) = line.split_once(';')?;
    let usec: u64 = prefix.split(',').nth(2)?.parse().ok()?;
    if let Some(n) = text
        .strip_prefix("checmate: ")
        .and_then(|t| t.strip_suffix(" denial reports suppressed"))
    {
        return n.trim().parse().ok().map(Record::Dropped);
    }
    let at = text.find("checmate=")?;
    // Only Checmate's own lines and audit records of them.
    let head = &text[..at];
    if !(head.is_empty() || head.starts_with("checmate: ") || head.starts_with("audit: ")) {
        return None;
    }
    let mut d = Denial {
        boot_usec: usec,
        ..Default::default()
    };
    for (k, v) in pairs(&text[at..]) {
        match k.as_str() {
            "checmate" => d.enforced = v == "denied",
            "hook" => d.hook = v,
            "prog_id" => d.prog_id = v.parse().unwrap_or(0),
            "errno" => d.errno = v.parse().unwrap_or(0),
            "pid" => d.pid = v.parse().ok(),
            "comm" => d.comm = Some(v),
            _ => {
                d.ctx.insert(k, v);
            }
        }
    }
    (!d.hook.is_empty()).then_some(Record::Denial(d))
}

/// Wall-clock seconds of a kernel log time (microseconds since boot).
pub fn wall_time(boot_usec: u64) -> f64 {
    let now = |clock| {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is writable; the clocks exist on every Linux.
        unsafe { libc::clock_gettime(clock, &mut ts) };
        ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
    };
    let boot = now(libc::CLOCK_REALTIME) - now(libc::CLOCK_BOOTTIME);
    boot + boot_usec as f64 / 1e6
}

/// The cgroup v2 path (below /sys/fs/cgroup) and id of process `pid`,
/// while it runs: the kernel's report does not carry them, so a process
/// that has exited by the time the report is read has none.
pub fn cgroup_of(pid: u32) -> Option<(String, u64)> {
    use std::os::unix::fs::MetadataExt;
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).ok()?;
    let rel = text.lines().find_map(|l| l.strip_prefix("0::"))?;
    let path = format!("/sys/fs/cgroup{}", rel.trim_end_matches('/'));
    let id = std::fs::metadata(&path).ok()?.ino();
    Some((rel.to_string(), id))
}

/// The JSON object of a record; `policy_of` names the program's policy.
pub fn to_json(r: &Record, policy_of: impl Fn(u32) -> Option<String>) -> serde_json::Value {
    match r {
        Record::Dropped(n) => serde_json::json!({ "dropped": n }),
        Record::Denial(d) => {
            let cg = d.pid.and_then(cgroup_of);
            serde_json::json!({
                "time": wall_time(d.boot_usec),
                "hook": d.hook,
                "policy": policy_of(d.prog_id),
                "prog_id": d.prog_id,
                "errno": d.errno,
                "enforced": d.enforced,
                "pid": d.pid,
                "comm": d.comm,
                "cgroup_id": cg.as_ref().map(|c| c.1),
                "cgroup": cg.map(|c| c.0),
                "ctx": d.ctx,
            })
        }
    }
}

/// Where the kernel streams its events.
pub const EVENTS_FILE: &str = "/sys/kernel/security/checmate/events";

/// Bytes of one record of the events file.
pub const EVENT_SIZE: usize = std::mem::size_of::<uapi::checmate_event>();

use crate::uapi::{self, FieldKind};
use serde_json::{json, Value};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The event at the start of `b`, if `b` holds a whole one.
pub fn parse_event(b: &[u8]) -> Option<uapi::checmate_event> {
    if b.len() < EVENT_SIZE {
        return None;
    }
    // SAFETY: `b` holds EVENT_SIZE bytes; the structure is plain integers,
    // valid for any bits; read_unaligned takes any alignment.
    Some(unsafe { std::ptr::read_unaligned(b.as_ptr().cast::<uapi::checmate_event>()) })
}

/// The bytes of `e`, as the kernel writes them (for tests and replays).
pub fn event_bytes(e: &uapi::checmate_event) -> Vec<u8> {
    // SAFETY: `e` is EVENT_SIZE bytes of plain integers with no padding
    // (the UAPI structure is laid out without holes).
    unsafe {
        std::slice::from_raw_parts((e as *const uapi::checmate_event).cast::<u8>(), EVENT_SIZE)
    }
    .to_vec()
}

/// A field of a context structure, from the kernel's BTF or the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CtxField {
    pub name: String,
    pub offset: usize,
    /// Bytes of one element.
    pub size: usize,
    /// Elements of an array; 0: not an array.
    pub count: usize,
    pub kind: FieldKind,
}

/// The fields of context structure `name` as this checmatectl's UAPI
/// header lays it out.
pub fn header_fields(name: &str) -> Option<Vec<CtxField>> {
    let (_, _, fields) = uapi::STRUCTS.iter().find(|s| s.0 == name)?;
    Some(
        fields
            .iter()
            .map(|f| CtxField {
                name: f.name.to_string(),
                offset: f.offset,
                size: f.size,
                count: f.count,
                kind: f.kind,
            })
            .collect(),
    )
}

/// The fields of structure `name` in `btf` (the running kernel's): a
/// kernel newer than this checmatectl may have appended some.
pub fn btf_fields(btf: &libbpf_rs::btf::Btf<'_>, name: &str) -> Option<Vec<CtxField>> {
    use libbpf_rs::btf::types::{Array, Int, IntEncoding, MemberAttr, Struct};
    use libbpf_rs::btf::{BtfType, HasSize};
    let s: Struct<'_> = btf.type_by_name(name)?;
    let int_of = |t: BtfType<'_>| -> Option<(usize, FieldKind)> {
        let i = Int::try_from(t.skip_mods_and_typedefs()).ok()?;
        let char_like =
            matches!(i.encoding, IntEncoding::Char) || i.name().is_some_and(|n| n == "char");
        let kind = if char_like && i.size() == 1 {
            FieldKind::Char
        } else if matches!(i.encoding, IntEncoding::Signed) {
            FieldKind::Signed
        } else {
            FieldKind::Unsigned
        };
        Some((i.size(), kind))
    };
    let mut out = Vec::new();
    for m in s.iter() {
        let MemberAttr::Normal { offset } = m.attr else {
            return None;
        };
        let fname = m.name?.to_string_lossy().into_owned();
        let t = btf
            .type_by_id::<BtfType<'_>>(m.ty)?
            .skip_mods_and_typedefs();
        let (size, count, kind) = match Array::try_from(t) {
            Ok(a) => {
                let (size, kind) = int_of(a.contained_type())?;
                (size, a.capacity(), kind)
            }
            Err(_) => {
                let (size, kind) = int_of(t)?;
                (size, 0, kind)
            }
        };
        out.push(CtxField {
            name: fname,
            offset: offset as usize / 8,
            size,
            count,
            kind,
        });
    }
    Some(out)
}

fn num(b: &[u8], kind: FieldKind) -> Value {
    let mut n = [0u8; 8];
    n[..b.len()].copy_from_slice(b);
    let u = u64::from_ne_bytes(n);
    if kind == FieldKind::Signed && b.len() < 8 {
        let bits = b.len() as u32 * 8;
        json!(((u << (64 - bits)) as i64) >> (64 - bits))
    } else if kind == FieldKind::Signed {
        json!(u as i64)
    } else {
        json!(u)
    }
}

/// A context's bytes as JSON, field by field: numbers; `char` arrays as
/// text; `*_ip4` (network order) and `*_ip6` fields as addresses; other
/// arrays as lists. `reserved` fields and fields past `ctx.len()` (the
/// kernel's ctx_size) are left out.
pub fn decode_ctx(fields: &[CtxField], ctx: &[u8]) -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    for f in fields {
        let len = f.size * f.count.max(1);
        if f.name.starts_with("reserved") || f.size == 0 || f.size > 8 || f.offset + len > ctx.len()
        {
            continue;
        }
        let b = &ctx[f.offset..f.offset + len];
        let v = if f.kind == FieldKind::Char && f.count > 0 {
            let text = b.split(|&c| c == 0).next().unwrap_or_default();
            Value::String(String::from_utf8_lossy(text).into_owned())
        } else if f.name.ends_with("_ip4") && len == 4 {
            Value::String(Ipv4Addr::from(<[u8; 4]>::try_from(b).unwrap()).to_string())
        } else if f.name.ends_with("_ip6") && len == 16 {
            Value::String(Ipv6Addr::from(<[u8; 16]>::try_from(b).unwrap()).to_string())
        } else if f.count > 0 {
            Value::Array(b.chunks(f.size).map(|c| num(c, f.kind)).collect())
        } else {
            num(b, f.kind)
        };
        out.insert(f.name.clone(), v);
    }
    out
}

/// The name of errno `n` (`ECONNREFUSED`), if it has one.
pub fn errno_name(n: i32) -> Option<String> {
    let e = nix::errno::Errno::from_raw(n);
    (e != nix::errno::Errno::UnknownErrno).then(|| format!("{e:?}"))
}

/// The name of an event's outcome: `denied` (enforced), `log-only` (a
/// would-be denial: the hook is in log-only mode or the program is a
/// monitor), `not-enforced` (a denial of a change that only gives up
/// privilege, which Checmate never refuses).
pub fn outcome_name(o: u32) -> &'static str {
    match o {
        uapi::CHECMATE_EVENT_DENIED => "denied",
        uapi::CHECMATE_EVENT_LOG_ONLY => "log-only",
        uapi::CHECMATE_EVENT_DROP => "not-enforced",
        _ => "unknown",
    }
}

/// cgroup v2 paths (below /sys/fs/cgroup, `/` for the root) by id: a
/// cgroup's id is its directory's inode number.
pub fn cgroup_paths(root: &std::path::Path) -> BTreeMap<u64, String> {
    use std::os::unix::fs::MetadataExt;
    let mut out = BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(md) = std::fs::metadata(&dir) else {
            continue;
        };
        let rel = dir.strip_prefix(root).unwrap_or(&dir);
        out.insert(md.ino(), format!("/{}", rel.display()));
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                todo.push(e.path());
            }
        }
    }
    out
}

/// What `event_json` needs besides the event: the context layouts and
/// the cgroups, each read once and again when something is not found.
pub struct Decoder {
    btf: Option<libbpf_rs::btf::Btf<'static>>,
    layouts: BTreeMap<u32, Option<Vec<CtxField>>>,
    cgroup_root: std::path::PathBuf,
    cgroups: BTreeMap<u64, String>,
    /// The seq of the last event seen.
    last_seq: Option<u64>,
}

impl Decoder {
    /// A decoder with the running kernel's BTF (if it has some) and the
    /// cgroup hierarchy at `cgroup_root` (/sys/fs/cgroup).
    pub fn new(btf: Option<libbpf_rs::btf::Btf<'static>>, cgroup_root: &std::path::Path) -> Self {
        Decoder {
            btf,
            layouts: BTreeMap::new(),
            cgroup_root: cgroup_root.to_path_buf(),
            cgroups: BTreeMap::new(),
            last_seq: None,
        }
    }

    /// The running kernel's: BTF from /sys/kernel/btf/vmlinux.
    pub fn system() -> Self {
        Self::new(
            libbpf_rs::btf::Btf::from_vmlinux().ok(),
            std::path::Path::new("/sys/fs/cgroup"),
        )
    }

    /// The fields of hook `hook`'s context: the kernel's BTF of its
    /// structure, else the header's.
    pub fn ctx_fields(&mut self, hook: u32) -> Option<&[CtxField]> {
        let btf = &self.btf;
        self.layouts
            .entry(hook)
            .or_insert_with(|| {
                let name = crate::hook_ctx(hook)?;
                btf.as_ref()
                    .and_then(|b| btf_fields(b, name))
                    .or_else(|| header_fields(name))
            })
            .as_deref()
    }

    /// The path of cgroup `id`, reading the hierarchy again if it is not
    /// known (a cgroup made since); None once it is gone.
    pub fn cgroup_path(&mut self, id: u64) -> Option<String> {
        if id == 0 {
            return None;
        }
        if !self.cgroups.contains_key(&id) {
            self.cgroups = cgroup_paths(&self.cgroup_root);
        }
        self.cgroups.get(&id).cloned()
    }

    /// Events lost before `seq`: the gap since the last one seen.
    pub fn lost_before(&mut self, seq: u64) -> u64 {
        let lost = match self.last_seq {
            Some(l) if seq > l + 1 => seq - l - 1,
            _ => 0,
        };
        self.last_seq = Some(seq);
        lost
    }
}

/// Wall-clock seconds of a CLOCK_MONOTONIC time in nanoseconds.
pub fn wall_time_ns(mono_ns: u64) -> f64 {
    let now = |clock| {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is writable; the clocks exist on every Linux.
        unsafe { libc::clock_gettime(clock, &mut ts) };
        ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
    };
    let base = now(libc::CLOCK_REALTIME) - now(libc::CLOCK_MONOTONIC);
    base + mono_ns as f64 / 1e9
}

/// The JSON object of event `e`: `policy_of` names the policy that holds
/// a program, `lost` is the count of events lost just before it.
pub fn event_json(
    e: &uapi::checmate_event,
    dec: &mut Decoder,
    policy_of: impl Fn(u32) -> Option<String>,
    lost: u64,
) -> Value {
    let task = e.flags & uapi::CHECMATE_EVENT_F_NO_TASK == 0;
    let errno = e.verdict.unsigned_abs() as i32;
    let comm = e.comm.split(|&c| c == 0).next().unwrap_or_default();
    let ctx_len = (e.ctx_size as usize).min(e.ctx.len());
    let ctx = dec
        .ctx_fields(e.hook)
        .map(|f| Value::Object(decode_ctx(f, &e.ctx[..ctx_len])));
    json!({
        "seq": e.seq,
        "lost": lost,
        "time": wall_time_ns(e.time_ns),
        "monotonic_ns": e.time_ns,
        "hook": crate::hook_name(e.hook).map_or_else(|| e.hook.to_string(), str::to_string),
        "policy": policy_of(e.prog_id),
        "prog_id": e.prog_id,
        "prog_log_only": e.flags & uapi::CHECMATE_EVENT_F_PROG_LOG_ONLY != 0,
        "errno": errno,
        "errno_name": errno_name(errno),
        "outcome": outcome_name(e.outcome),
        "pid": task.then_some(e.pid),
        "tid": task.then_some(e.tid),
        "uid": task.then_some(e.uid),
        "comm": task.then(|| String::from_utf8_lossy(comm).into_owned()),
        "cgroup_id": (task && e.cgroup_id != 0).then_some(e.cgroup_id),
        "cgroup": if task { dec.cgroup_path(e.cgroup_id) } else { None },
        "ctx": ctx,
    })
}

/// One line of text for an event's JSON object (`checmatectl events`
/// without --json).
pub fn event_line(v: &Value) -> String {
    let s = |k: &str| match &v[k] {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        x => x.to_string(),
    };
    let mut line = String::new();
    if v["lost"].as_u64().unwrap_or(0) > 0 {
        line.push_str(&format!("({} events lost) ", v["lost"]));
    }
    line.push_str(&format!(
        "{:.3} {} {} prog {}{} errno {} ({}) pid {} uid {} comm {} cgroup {}",
        v["time"].as_f64().unwrap_or(0.0),
        s("outcome"),
        s("hook"),
        s("prog_id"),
        v["policy"]
            .as_str()
            .map_or(String::new(), |p| format!("[{p}]")),
        s("errno"),
        s("errno_name"),
        s("pid"),
        s("uid"),
        s("comm"),
        s("cgroup"),
    ));
    if let Some(ctx) = v["ctx"].as_object() {
        for (k, x) in ctx {
            // Zeros are the fields the hook has no value for.
            let zero = x.as_u64() == Some(0) || matches!(x.as_str(), Some("" | "0.0.0.0" | "::"));
            if !zero {
                line.push_str(&format!(
                    " {k}={}",
                    x.as_str().map_or(x.to_string(), str::to_string)
                ));
            }
        }
    }
    line
}
