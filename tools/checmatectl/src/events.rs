// SPDX-License-Identifier: GPL-2.0
//! `checmatectl events`: Checmate's denial reports as data. The source is
//! the kernel log (/dev/kmsg), where Checmate's reports land as audit
//! records (`audit: type=1400 ... checmate=denied hook=...`) when no audit
//! daemon takes them, or as `checmate: checmate=denied ...` without
//! CONFIG_AUDIT. The kernel rate-limits them (10 a second, then a count of
//! those suppressed, reported here as `dropped`).

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
