// SPDX-License-Identifier: GPL-2.0
//! The prctl API, one function per operation.

use crate::error::{Error, Op};
use crate::uapi::*;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

fn prctl(op: u32, a3: u64, a4: u64, a5: u64) -> io::Result<()> {
    // SAFETY: prctl with integer arguments; a4 may be a pointer the caller
    // keeps valid for the call (query).
    let r = unsafe { libc::prctl(PR_CHECMATE, op as u64, a3, a4, a5) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

fn hook_str(hook: u32) -> String {
    crate::hook_name(hook).map_or_else(|| hook.to_string(), str::to_string)
}

pub fn attach(hook: u32, prog: BorrowedFd<'_>) -> Result<(), Error> {
    attach_flags(hook, prog, 0)
}

/// Attaches with `CHECMATE_ATTACH_F_*` `flags` (`CHECMATE_ATTACH_F_LOG_ONLY`:
/// a monitor, whose denials are reported, never enforced).
pub fn attach_flags(hook: u32, prog: BorrowedFd<'_>, flags: u32) -> Result<(), Error> {
    prctl(
        CHECMATE_OP_ATTACH,
        hook.into(),
        prog.as_raw_fd() as u64,
        flags.into(),
    )
    .map_err(|e| Error::os(Op::Attach, format!("attach to {}", hook_str(hook)), e))
}

/// Changes the `CHECMATE_ATTACH_F_*` flags of a program attached to `hook`,
/// in place (CHECMATE_OP_SET_PROG_FLAGS).
pub fn set_prog_flags(hook: u32, prog: BorrowedFd<'_>, flags: u32) -> Result<(), Error> {
    prctl(
        CHECMATE_OP_SET_PROG_FLAGS,
        hook.into(),
        prog.as_raw_fd() as u64,
        flags.into(),
    )
    .map_err(|e| {
        Error::os(
            Op::Attach,
            format!(
                "{} a program of {}",
                if flags & CHECMATE_ATTACH_F_LOG_ONLY != 0 {
                    "make monitor (log-only)"
                } else {
                    "make enforcing"
                },
                hook_str(hook)
            ),
            e,
        )
    })
}

pub fn detach(hook: u32, prog: BorrowedFd<'_>) -> Result<(), Error> {
    prctl(CHECMATE_OP_DETACH, hook.into(), prog.as_raw_fd() as u64, 0)
        .map_err(|e| Error::os(Op::Detach, format!("detach from {}", hook_str(hook)), e))
}

/// Runs `new` in place of `old` on `hook`, in one step: no crossing of the
/// hook runs neither or both (CHECMATE_OP_REPLACE).
pub fn replace(hook: u32, new: BorrowedFd<'_>, old: BorrowedFd<'_>) -> Result<(), Error> {
    prctl(
        CHECMATE_OP_REPLACE,
        hook.into(),
        new.as_raw_fd() as u64,
        old.as_raw_fd() as u64,
    )
    .map_err(|e| {
        Error::os(
            Op::Replace,
            format!("replace a program of {}", hook_str(hook)),
            e,
        )
    })
}

pub fn reset(hook: u32) -> Result<(), Error> {
    prctl(CHECMATE_OP_RESET, hook.into(), 0, 0)
        .map_err(|e| Error::os(Op::Reset, format!("reset {}", hook_str(hook)), e))
}

/// Locks `hook` until reboot; with `freeze_maps`, also freezes and seals
/// the maps of its programs (`CHECMATE_LOCK_F_FREEZE_MAPS`).
pub fn lock(hook: u32, freeze_maps: bool) -> Result<(), Error> {
    let flags = if freeze_maps {
        CHECMATE_LOCK_F_FREEZE_MAPS
    } else {
        0
    };
    prctl(CHECMATE_OP_DENY_RESET, hook.into(), flags.into(), 0)
        .map_err(|e| Error::os(Op::Lock, format!("lock {}", hook_str(hook)), e))
}

pub fn set_mode(hook: u32, mode: u32) -> Result<(), Error> {
    prctl(CHECMATE_OP_SET_MODE, hook.into(), mode.into(), 0).map_err(|e| {
        Error::os(
            Op::SetMode,
            format!("set the mode of {}", hook_str(hook)),
            e,
        )
    })
}

pub fn set_audit(hook: u32, on: bool) -> Result<(), Error> {
    prctl(CHECMATE_OP_SET_AUDIT, hook.into(), on as u64, 0).map_err(|e| {
        Error::os(
            Op::SetMode,
            format!("set auditing of {}", hook_str(hook)),
            e,
        )
    })
}

/// A hook as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookState {
    pub hook: u32,
    pub mode: u32,
    pub locked: bool,
    pub maps_frozen: bool,
    pub audit: bool,
    pub prog_ids: Vec<u32>,
    /// The `CHECMATE_ATTACH_F_*` flags of each program, beside `prog_ids`
    /// (all 0 from a kernel without per-program flags).
    pub prog_flags: Vec<u32>,
}

impl HookState {
    /// The flags of program `id` (0 if it is not attached here).
    pub fn flags_of(&self, id: u32) -> u32 {
        self.prog_ids
            .iter()
            .position(|&p| p == id)
            .and_then(|i| self.prog_flags.get(i).copied())
            .unwrap_or(0)
    }

    /// Whether program `id` is a monitor here (CHECMATE_ATTACH_F_LOG_ONLY).
    pub fn log_only(&self, id: u32) -> bool {
        self.flags_of(id) & CHECMATE_ATTACH_F_LOG_ONLY != 0
    }
}

/// CHECMATE_OP_QUERY of `size` (CHECMATE_QUERY_SIZE_VER0 or _VER1).
fn query_sized(hook: u32, size: u32) -> io::Result<HookState> {
    let mut ids = vec![0u32; CHECMATE_MAX_PROGS_PER_HOOK as usize];
    let mut flags = vec![0u32; ids.len()];
    let mut q = checmate_query {
        prog_cnt: ids.len() as u32,
        prog_ids: ids.as_mut_ptr() as u64,
        prog_flags: if size >= CHECMATE_QUERY_SIZE_VER1 {
            flags.as_mut_ptr() as u64
        } else {
            0
        },
        ..Default::default()
    };
    prctl(
        CHECMATE_OP_QUERY,
        hook.into(),
        &mut q as *mut checmate_query as u64,
        size.into(),
    )?;
    ids.truncate(q.prog_cnt as usize);
    flags.truncate(q.prog_cnt as usize);
    Ok(HookState {
        hook,
        mode: q.mode,
        locked: q.flags & CHECMATE_QUERY_F_LOCKED != 0,
        maps_frozen: q.flags & CHECMATE_QUERY_F_MAPS_FROZEN != 0,
        audit: q.flags & CHECMATE_QUERY_F_AUDIT != 0,
        prog_ids: ids,
        prog_flags: flags,
    })
}

/// Whether the kernel took a CHECMATE_QUERY_SIZE_VER1 query (0: not asked
/// yet, 1: yes, 2: no, an older kernel).
static QUERY_VER1: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

pub fn query(hook: u32) -> Result<HookState, Error> {
    use std::sync::atomic::Ordering::Relaxed;
    let err = |e| Error::os(Op::Query, format!("query {}", hook_str(hook)), e);
    if QUERY_VER1.load(Relaxed) != 2 {
        match query_sized(hook, CHECMATE_QUERY_SIZE_VER1) {
            Ok(s) => {
                QUERY_VER1.store(1, Relaxed);
                return Ok(s);
            }
            // An older kernel takes only size 0; EINVAL is also an unknown
            // hook, which the query of size 0 tells apart.
            Err(e) if e.raw_os_error() == Some(libc::EINVAL) && QUERY_VER1.load(Relaxed) == 0 => {}
            Err(e) => return Err(err(e)),
        }
        let s = query_sized(hook, 0).map_err(err)?;
        QUERY_VER1.store(2, Relaxed);
        return Ok(s);
    }
    query_sized(hook, 0).map_err(err)
}

/// An fd for the program with id `id`.
pub fn prog_fd_by_id(id: u32) -> Result<OwnedFd, Error> {
    // SAFETY: plain syscall wrapper.
    let fd = unsafe { libbpf_sys::bpf_prog_get_fd_by_id(id) };
    if fd < 0 {
        return Err(Error::os(
            Op::Detach,
            format!("program id {id}"),
            io::Error::from_raw_os_error(-fd),
        ));
    }
    // SAFETY: `fd` is a new fd we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// What the kernel says of the program behind `fd`, if it can be read.
pub fn prog_info(fd: BorrowedFd<'_>) -> Option<libbpf_sys::bpf_prog_info> {
    // SAFETY: `bpf_prog_info` is plain data, for which all-zero is valid.
    let mut info: libbpf_sys::bpf_prog_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of_val(&info) as u32;
    // SAFETY: `info` is writable for `len` bytes.
    let r = unsafe { libbpf_sys::bpf_prog_get_info_by_fd(fd.as_raw_fd(), &mut info, &mut len) };
    (r == 0).then_some(info)
}

/// The name of program `id`, if it can be read.
pub fn prog_name(id: u32) -> Option<String> {
    let fd = prog_fd_by_id(id).ok()?;
    let info = prog_info(fd.as_fd())?;
    let name: Vec<u8> = info
        .name
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    Some(String::from_utf8_lossy(&name).into_owned())
}

/// A hook's counters, from /sys/kernel/security/checmate/hooks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counters {
    pub runs: u64,
    pub denials: u64,
    /// program id -> (runs, denials)
    pub progs: std::collections::BTreeMap<u32, (u64, u64)>,
    /// Programs the kernel marks `:log-only` (monitors).
    pub log_only: std::collections::BTreeSet<u32>,
    /// `active=`: whether the hook is switched on in the LSM layer (None:
    /// a kernel that does not say).
    pub active: Option<bool>,
}

/// Where the kernel shows the counters.
pub const HOOKS_FILE: &str = "/sys/kernel/security/checmate/hooks";

/// Parses the hooks file: `hook mode=.. audit=N active=N runs=N denials=N
/// progs=id:runs:denials[:log-only] ...` per line; by hook name.
pub fn parse_counters(text: &str) -> std::collections::BTreeMap<String, Counters> {
    let mut out = std::collections::BTreeMap::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(hook) = words.next() else { continue };
        let mut c = Counters::default();
        let mut in_progs = false;
        for w in words {
            let w = match w.strip_prefix("progs=") {
                Some(rest) => {
                    in_progs = true;
                    rest
                }
                None if w.contains('=') => {
                    in_progs = false;
                    match w.split_once('=') {
                        Some(("runs", n)) => c.runs = n.parse().unwrap_or(0),
                        Some(("denials", n)) => c.denials = n.parse().unwrap_or(0),
                        Some(("active", n)) => c.active = Some(n == "1"),
                        _ => {}
                    }
                    continue;
                }
                None => w,
            };
            if !in_progs || w.is_empty() {
                continue;
            }
            let f: Vec<u64> = w.split(':').filter_map(|x| x.parse().ok()).collect();
            if let [id, runs, denials] = f[..] {
                c.progs.insert(id as u32, (runs, denials));
                if w.split(':').any(|x| x == "log-only") {
                    c.log_only.insert(id as u32);
                }
            }
        }
        out.insert(hook.to_string(), c);
    }
    out
}

/// The counters of every hook; empty if the file cannot be read
/// (securityfs not mounted).
pub fn read_counters() -> std::collections::BTreeMap<String, Counters> {
    std::fs::read_to_string(HOOKS_FILE)
        .map(|t| parse_counters(&t))
        .unwrap_or_default()
}

/// The JSON document of `checmatectl show --json`: one object per hook.
/// `name_of` gives a program's name from its id, `policy_of` the policy
/// that holds it; `counters` are the kernel's (runs, denials), where known.
pub fn states_to_json(
    states: &[HookState],
    name_of: impl Fn(u32) -> Option<String>,
    policy_of: impl Fn(u32) -> Option<String>,
    counters: &std::collections::BTreeMap<String, Counters>,
) -> serde_json::Value {
    states
        .iter()
        .map(|s| {
            let name = crate::hook_name(s.hook);
            let c = name.and_then(|n| counters.get(n));
            serde_json::json!({
                "hook": name,
                "number": s.hook,
                "mode": crate::mode_name(s.mode),
                "locked": s.locked,
                "maps_frozen": s.maps_frozen,
                "audit": s.audit,
                "runs": c.map(|c| c.runs),
                "denials": c.map(|c| c.denials),
                "programs": s.prog_ids.iter().map(|&id| {
                    let pc = c.and_then(|c| c.progs.get(&id));
                    serde_json::json!({
                        "id": id,
                        "name": name_of(id),
                        "policy": policy_of(id),
                        "runs": pc.map(|p| p.0),
                        "denials": pc.map(|p| p.1),
                        "log_only": s.log_only(id),
                    })
                }).collect::<Vec<_>>(),
            })
        })
        .collect()
}

/// A Prometheus label value, escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `checmatectl metrics`: the hooks' and programs' counters and state in
/// the Prometheus text exposition format. Counters appear only where the
/// kernel gave them (securityfs mounted).
pub fn metrics_text(
    states: &[HookState],
    counters: &std::collections::BTreeMap<String, Counters>,
    name_of: impl Fn(u32) -> Option<String>,
    policy_of: impl Fn(u32) -> Option<String>,
) -> String {
    use std::fmt::Write;
    let mut families: Vec<(&str, &str, &str, Vec<String>)> = vec![
        (
            "checmate_hook_runs_total",
            "counter",
            "Crossings of the hook that ran its programs.",
            vec![],
        ),
        (
            "checmate_hook_denials_total",
            "counter",
            "Crossings of the hook its programs denied.",
            vec![],
        ),
        (
            "checmate_hook_programs",
            "gauge",
            "Programs attached to the hook.",
            vec![],
        ),
        (
            "checmate_hook_locked",
            "gauge",
            "1 if the hook is locked until reboot.",
            vec![],
        ),
        (
            "checmate_program_runs_total",
            "counter",
            "Runs of the program on the hook.",
            vec![],
        ),
        (
            "checmate_program_denials_total",
            "counter",
            "Denials by the program on the hook.",
            vec![],
        ),
        (
            "checmate_program_log_only",
            "gauge",
            "1 if the program is a monitor on the hook (attached log-only: its denials \
             are reported, not enforced), 0 if it enforces.",
            vec![],
        ),
        (
            "checmate_hook_mode",
            "gauge",
            "1 for the hook's current mode, 0 for the others (normal, append-only, \
             read-only, disabled, log-only).",
            vec![],
        ),
    ];
    for s in states {
        let hook = crate::hook_name(s.hook).unwrap_or("?");
        let h = format!("hook=\"{}\"", label(hook));
        let c = counters.get(hook);
        if let Some(c) = c {
            families[0].3.push(format!("{{{h}}} {}", c.runs));
            families[1].3.push(format!("{{{h}}} {}", c.denials));
        }
        families[2].3.push(format!("{{{h}}} {}", s.prog_ids.len()));
        families[3].3.push(format!("{{{h}}} {}", s.locked as u8));
        // A state set: every mode, so that a query or alert on any of
        // them finds a series. Last, being the longest.
        for (m, v) in crate::MODES {
            families[7]
                .3
                .push(format!("{{{h},mode=\"{m}\"}} {}", (*v == s.mode) as u8));
        }
        for &id in &s.prog_ids {
            let l = format!(
                "{h},id=\"{id}\",program=\"{}\",policy=\"{}\"",
                label(&name_of(id).unwrap_or_default()),
                label(&policy_of(id).unwrap_or_default())
            );
            families[6]
                .3
                .push(format!("{{{l}}} {}", s.log_only(id) as u8));
            let Some((runs, denials)) = c.and_then(|c| c.progs.get(&id)) else {
                continue;
            };
            families[4].3.push(format!("{{{l}}} {runs}"));
            families[5].3.push(format!("{{{l}}} {denials}"));
        }
    }
    let mut out = String::new();
    for (name, ty, help, samples) in families {
        if samples.is_empty() {
            continue;
        }
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {ty}");
        for smp in samples {
            let _ = writeln!(out, "{name}{smp}");
        }
    }
    out
}
