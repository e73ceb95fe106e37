// SPDX-License-Identifier: GPL-2.0
//! Loading a policy: a BPF ELF object whose programs say their hook in their
//! section name (`SEC("checmate/socket_connect")`). libbpf does the ELF work
//! (maps, relocations, BTF, global data); this sets the program type and hook
//! of each program before the load, then attaches them in object order.

use crate::error::{Error, Op};
use crate::uapi::BPF_PROG_TYPE_CHECMATE;
use libbpf_rs::{AsRawLibbpf, MapCore, Object, ObjectBuilder, OpenObject};
use std::io;
use std::os::fd::AsRawFd;
use std::path::Path;

/// The section prefix of Checmate programs.
pub const SECTION_PREFIX: &str = "checmate/";

/// The hook a section names: `checmate/<hook>`.
pub fn hook_of_section(section: &str) -> Result<u32, String> {
    let name = section
        .strip_prefix(SECTION_PREFIX)
        .ok_or_else(|| format!("section '{section}' is not 'checmate/<hook>'"))?;
    crate::hook_by_name(name).ok_or_else(|| {
        format!(
            "section '{section}' names no hook; hooks: {}",
            crate::uapi::HOOKS
                .iter()
                .map(|h| h.1)
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// The verifier log of the last program load libbpf reported failed.
static VERIFIER_LOG: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// libbpf's messages: a refused program's verifier log is kept for the
/// error (printed after it, not in the middle of libbpf's lines); the rest
/// go to stderr, as libbpf's own printer sends them.
fn libbpf_print(_level: libbpf_rs::PrintLevel, msg: String) {
    if !keep_load_log(&msg) {
        eprint!("{msg}");
    }
}

/// If `msg` is libbpf's report of a refused program's verifier log, keeps
/// the log for `load_err` and returns true.
pub fn keep_load_log(msg: &str) -> bool {
    const BEGIN: &str = "-- BEGIN PROG LOAD LOG --\n";
    const END: &str = "-- END PROG LOAD LOG --";
    let Some((_, rest)) = msg.split_once(BEGIN) else {
        return false;
    };
    let log = rest.split(END).next().unwrap_or(rest);
    let mut kept = VERIFIER_LOG.lock().unwrap_or_else(|e| e.into_inner());
    // Several programs of one object: each refusal's log, in order.
    match kept.as_mut() {
        Some(k) => k.push_str(log),
        None => *kept = Some(log.to_string()),
    }
    true
}

/// Routes libbpf's messages through `libbpf_print` (once).
pub fn capture_verifier_log() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        libbpf_rs::set_print(Some((libbpf_rs::PrintLevel::Info, libbpf_print)));
    });
}

/// An error of libbpf while opening or loading `what`, with the verifier's
/// log if libbpf reported one.
pub fn load_err(what: String, e: libbpf_rs::Error) -> Error {
    let log = VERIFIER_LOG
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .filter(|l| !l.trim().is_empty());
    Error {
        op: Op::Load,
        errno: Some(errno_of(&e)),
        what: format!("{what}: {e}"),
        log,
    }
}

/// Opens `path` and sets the program type and hook of each program from
/// its section; returns the object and (program name, hook) in order.
pub fn open(path: &Path) -> Result<(OpenObject, Vec<(String, u32)>), Error> {
    capture_verifier_log();
    let mut open = ObjectBuilder::default()
        .open_file(path)
        .map_err(|e| load_err(format!("open {}", path.display()), e))?;
    let mut hooks = Vec::new();
    for prog in open.progs_mut() {
        let section = prog.section().to_string_lossy().into_owned();
        let hook = hook_of_section(&section).map_err(|m| Error::msg(Op::Load, m))?;
        let raw = prog.as_libbpf_object().as_ptr();
        // SAFETY: `raw` is a program of the open object, not loaded yet.
        unsafe {
            libbpf_sys::bpf_program__set_type(raw, BPF_PROG_TYPE_CHECMATE);
            libbpf_sys::bpf_program__set_expected_attach_type(raw, hook);
        }
        hooks.push((prog.name().to_string_lossy().into_owned(), hook));
    }
    if hooks.is_empty() {
        return Err(Error::msg(
            Op::Load,
            format!("{}: no checmate/<hook> program", path.display()),
        ));
    }
    Ok((open, hooks))
}

/// Pins the object's maps (not .rodata, .bss) under `dir`, replacing what
/// was pinned there.
pub fn pin_maps(obj: &mut Object, dir: &Path) -> Result<(), Error> {
    for mut map in obj.maps_mut() {
        let name = map.name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue; // .rodata, .bss: not a policy's data
        }
        let pin = dir.join(&name);
        let _ = std::fs::remove_file(&pin);
        map.pin(&pin).map_err(|e| {
            Error::os(
                Op::Map,
                format!("pin map {name} at {}", pin.display()),
                io::Error::other(e),
            )
        })?;
    }
    Ok(())
}

/// The errno behind a libbpf-rs error, for hints.
///
/// io::ErrorKind::PermissionDenied is both EPERM and EACCES, and the
/// verifier refuses with EACCES: the errno itself is in the text ("os error
/// N"), so that a refused program is not taken for missing privileges.
pub fn errno_of(e: &libbpf_rs::Error) -> i32 {
    let text = e.to_string();
    if let Some(n) = text
        .rsplit("os error ")
        .next()
        .filter(|_| text.contains("os error "))
        .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
    {
        return n;
    }
    match e.kind() {
        libbpf_rs::ErrorKind::PermissionDenied if text.contains("Permission denied") => {
            libc::EACCES
        }
        libbpf_rs::ErrorKind::PermissionDenied => libc::EPERM,
        libbpf_rs::ErrorKind::NotFound => libc::ENOENT,
        _ => libc::EINVAL,
    }
}

/// Bytes for a map key or value given as comma-separated typed fields:
/// `u32:N`, `u16:N`, `u8:N`, `u64:N` (native order), `be16:N`, `be32:N`
/// (network order), `ip4:A.B.C.D`, `ip6:ADDR`, `hex:0a0b...`,
/// `cgroup:PATH` (the fd of that cgroup, for cgroup arrays).
pub fn parse_bytes(spec: &str, keep: &mut Vec<std::fs::File>) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for field in spec.split(',') {
        let (kind, val) = field
            .split_once(':')
            .ok_or_else(|| format!("'{field}': expected TYPE:VALUE (u32:80, ip4:10.0.0.1, ...)"))?;
        let num = |v: &str| -> Result<u64, String> {
            let r = match v.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16),
                None => v.parse(),
            };
            r.map_err(|_| format!("'{field}': '{v}' is not a number"))
        };
        let fits = |n: u64, bits: u32| -> Result<u64, String> {
            if bits < 64 && n >> bits != 0 {
                Err(format!("'{field}': {n} does not fit {bits} bits"))
            } else {
                Ok(n)
            }
        };
        match kind {
            "u8" => out.push(fits(num(val)?, 8)? as u8),
            "u16" => out.extend((fits(num(val)?, 16)? as u16).to_ne_bytes()),
            "u32" => out.extend((fits(num(val)?, 32)? as u32).to_ne_bytes()),
            "u64" => out.extend(num(val)?.to_ne_bytes()),
            "be16" => out.extend((fits(num(val)?, 16)? as u16).to_be_bytes()),
            "be32" => out.extend((fits(num(val)?, 32)? as u32).to_be_bytes()),
            "ip4" => out.extend(
                val.parse::<std::net::Ipv4Addr>()
                    .map_err(|_| format!("'{field}': not an IPv4 address"))?
                    .octets(),
            ),
            "ip6" => out.extend(
                val.parse::<std::net::Ipv6Addr>()
                    .map_err(|_| format!("'{field}': not an IPv6 address"))?
                    .octets(),
            ),
            "hex" => {
                if val.len() % 2 != 0 {
                    return Err(format!("'{field}': odd number of hex digits"));
                }
                for i in (0..val.len()).step_by(2) {
                    out.push(
                        u8::from_str_radix(&val[i..i + 2], 16)
                            .map_err(|_| format!("'{field}': not hex"))?,
                    );
                }
            }
            "cgroup" => {
                let f = std::fs::File::open(val).map_err(|e| format!("'{field}': {e}"))?;
                out.extend((f.as_raw_fd() as u32).to_ne_bytes());
                keep.push(f);
            }
            _ => return Err(format!("'{field}': unknown type '{kind}'")),
        }
    }
    Ok(out)
}

/// Updates (or with `value` None, deletes) `key` in the map pinned at `pin`.
pub fn map_update(pin: &Path, key: &[u8], value: Option<&[u8]>) -> Result<(), Error> {
    let map = libbpf_rs::MapHandle::from_pinned_path(pin).map_err(|e| {
        Error::os(
            Op::Map,
            format!("open pinned map {}", pin.display()),
            io::Error::from_raw_os_error(errno_of(&e)),
        )
    })?;
    let (ks, vs) = (map.key_size() as usize, map.value_size() as usize);
    if key.len() != ks {
        return Err(Error::msg(
            Op::Map,
            format!("key is {} bytes, the map's keys are {ks}", key.len()),
        ));
    }
    let r = match value {
        Some(v) if v.len() != vs => {
            return Err(Error::msg(
                Op::Map,
                format!("value is {} bytes, the map's values are {vs}", v.len()),
            ))
        }
        Some(v) => map.update(key, v, libbpf_rs::MapFlags::ANY),
        None => map.delete(key),
    };
    r.map_err(|e| {
        Error::os(
            Op::Map,
            format!("update {}", pin.display()),
            io::Error::from_raw_os_error(errno_of(&e)),
        )
    })
}
