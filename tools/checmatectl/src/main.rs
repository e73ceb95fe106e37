// SPDX-License-Identifier: GPL-2.0
//! checmatectl: load, attach, inspect and lock Checmate policies.

use checmatectl::{
    api, apply,
    error::{exit, Error},
    hook_by_name, hook_name, mode_name, policy, state, uapi, view,
};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{CommandFactory, Parser, Subcommand};
use libbpf_rs::MapCore;
use libbpf_rs::MapType;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "checmatectl",
    version,
    about = "Load, attach, inspect and lock Checmate BPF policies",
    long_about = "Load, attach, inspect and lock Checmate BPF policies.\n\n\
        Checmate's policies are BPF programs attached to LSM hooks with \
        prctl(PR_CHECMATE). checmatectl loads them from BPF objects or from \
        declarative policy files (TOML), records them in bpffs \
        (/sys/fs/bpf/checmate/POLICY/), where they outlive checmatectl, and sets \
        each hook's mode (normal, append-only, read-only, disabled, log-only) and \
        lock. Changing policies needs CAP_SYS_ADMIN, and loading CAP_BPF and \
        CAP_PERFMON, in the initial user namespace.",
    after_help = exit::HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Load a BPF object and attach each program to the hook its section
    /// names (SEC("checmate/<hook>")); the programs stay after checmatectl exits.
    /// Refuses if the policy's programs are attached already.
    Load {
        /// The BPF ELF object (clang -target bpf)
        object: PathBuf,
        /// Pin the object's maps in this bpffs directory, for `map update`
        #[arg(long, value_name = "DIR")]
        pin_maps: Option<PathBuf>,
        /// The policy's name (default: the object's file name without .bpf.o)
        #[arg(long)]
        name: Option<String>,
        /// Replace the policy's attached programs, each in one step (maps
        /// of unchanged shape keep their data)
        #[arg(long)]
        replace: bool,
    },
    /// Make the system match a policy file (TOML): load its object, fill
    /// its maps, set its hooks' mode and lock; again, change only what differs
    Apply {
        /// The policy file, or a directory: each of its *.toml in name order
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: PathBuf,
        /// Print what would change, change nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// List the policies recorded in /sys/fs/bpf/checmate
    List {
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Detach a policy's programs and remove its pins
    Delete {
        /// The policy's name, as `list` shows it
        name: String,
    },
    /// Detach one program (by id, as `show` prints it) from a hook
    Detach {
        #[arg(value_parser = HookName, hide_possible_values = true)]
        hook: String,
        /// The program's id
        prog_id: u32,
    },
    /// Detach every program of a hook
    Reset {
        #[arg(value_parser = HookName, hide_possible_values = true)]
        hook: String,
    },
    /// Lock a hook until reboot, for anyone: no detach or reset, its mode
    /// only tightened, its prog arrays frozen
    Lock {
        #[arg(value_parser = HookName, hide_possible_values = true)]
        hook: String,
        /// Also freeze and seal the maps its programs use (no more updates
        /// from user space, no new program may use them)
        #[arg(long)]
        freeze_maps: bool,
    },
    /// Set a hook's mode: normal, append-only, read-only, disabled, log-only
    Mode {
        #[arg(value_parser = HookName, hide_possible_values = true)]
        hook: String,
        /// The new mode
        #[arg(value_parser = mode_parser())]
        mode: String,
    },
    /// Report a hook's denials to the kernel log (on), or stop (off)
    Audit {
        #[arg(value_parser = HookName, hide_possible_values = true)]
        hook: String,
        /// on or off
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Show every hook (or one): mode, lock, attached programs
    Show {
        #[arg(value_parser = HookName, hide_possible_values = true)]
        hook: Option<String>,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Print every hook's and program's counters and state in the
    /// Prometheus text format
    Metrics,
    /// Follow Checmate's denials (enforced, log-only would-be denials, and
    /// the not-enforced ones of a privilege drop), one per line, from
    /// /sys/kernel/security/checmate/events: hook, policy, program, errno,
    /// outcome, task, cgroup and the context decoded by field name (a
    /// kernel without that file: the rate-limited reports in the kernel log)
    Events {
        /// One JSON object per line
        #[arg(long)]
        json: bool,
        /// Start from the oldest event the kernel still keeps (the last
        /// 1024), not from the next new one
        #[arg(long)]
        since_boot: bool,
        /// Stop after this many events
        #[arg(long, value_name = "N")]
        count: Option<u64>,
        /// Stop when no event is waiting instead of waiting for more
        #[arg(long)]
        no_follow: bool,
    },
    /// Read or change the data of a running policy through its maps
    Map {
        #[command(subcommand)]
        cmd: MapCmd,
    },
    /// Print a shell completion script to stdout (bash, zsh, fish, elvish,
    /// powershell), e.g. `checmatectl completions bash >
    /// /usr/share/bash-completion/completions/checmatectl`
    #[command(visible_alias = "completion")]
    Completions {
        /// The shell
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page, checmatectl(8), as roff to stdout, e.g.
    /// `checmatectl man > checmatectl.8; man ./checmatectl.8`
    Man,
}

#[derive(Subcommand, Debug)]
pub enum MapCmd {
    /// Print an entry as JSON: {"key": ..., "value": ...}, decoded by the
    /// map's BTF (exit status 4 if there is none). KEY is JSON typed by the
    /// key's BTF as in a policy file ('{"family": 2, "port": 80, "addr":
    /// "10.0.0.1"}', 5, 10.0.0.0/8), or comma-separated typed fields as
    /// `map update` takes them
    Lookup {
        /// A pinned map: a bpffs path, or POLICY/MAP of a recorded policy
        map: String,
        /// The key: JSON, or typed fields
        key: String,
    },
    /// Print every entry as a JSON list of {"key": ..., "value": ...},
    /// decoded by the map's BTF
    Dump {
        /// A pinned map: a bpffs path, or POLICY/MAP of a recorded policy
        map: String,
    },
    /// Add or change an entry: KEY and VALUE are JSON typed by the map's BTF,
    /// as `map lookup` takes a key, or comma-separated typed fields (u8:,
    /// u16:, u32:, u64:, be16:, be32:, ip4:, ip6:, hex:, cgroup:PATH). A
    /// policy's next `apply` puts back what its file says
    Update {
        /// A pinned map: a bpffs path, or POLICY/MAP of a recorded policy
        map: String,
        /// The key: JSON, or typed fields
        key: String,
        /// The value: JSON, or typed fields
        value: String,
    },
    /// Remove an entry
    Delete {
        /// A pinned map: a bpffs path, or POLICY/MAP of a recorded policy
        map: String,
        /// The key: JSON, or typed fields
        key: String,
    },
}

/// Hook names for completion and --help; any text parses, so that
/// `hook_arg` says what is wrong (a number is a hook too).
#[derive(Clone)]
struct HookName;

impl TypedValueParser for HookName {
    type Value = String;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        Ok(value.to_string_lossy().into_owned())
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            uapi::HOOKS.iter().map(|h| PossibleValue::new(h.1)),
        ))
    }
}

/// The five modes, from the library's table.
fn mode_parser() -> PossibleValuesParser {
    PossibleValuesParser::new(checmatectl::MODES.iter().map(|m| PossibleValue::new(m.0)))
}

/// checmatectl(8): clap_mangen's sections, every subcommand with its
/// arguments, and the exit statuses, files and environment.
pub fn man_page() -> String {
    use clap_mangen::roff::{bold, italic, roman, Roff};
    let mut cmd = Cli::command();
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone())
        .section("8")
        .manual("System Administration")
        .source(format!("checmatectl {}", env!("CARGO_PKG_VERSION")));
    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    man.render_synopsis_section(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();
    man.render_options_section(&mut out).unwrap();
    let mut r = Roff::new();
    r.control("SH", ["COMMANDS"]);
    fn commands(r: &mut Roff, cmd: &clap::Command) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            if sub.get_name() == "help" {
                continue;
            }
            if sub.has_subcommands() {
                commands(r, sub);
                continue;
            }
            let usage = sub.clone().render_usage().to_string();
            let usage = usage.trim_start_matches("Usage: ").trim();
            r.control("SS", [usage]);
            if let Some(about) = sub.get_long_about().or_else(|| sub.get_about()) {
                r.text([roman(about.to_string())]);
            }
            for a in sub.get_arguments().filter(|a| !a.is_hide_set()) {
                let id = a.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                r.control("TP", []);
                let name = match (a.get_short(), a.get_long()) {
                    (Some(s), Some(l)) => format!("-{s}, --{l}"),
                    (None, Some(l)) => format!("--{l}"),
                    (Some(s), None) => format!("-{s}"),
                    (None, None) => String::new(),
                };
                let value = a
                    .get_value_names()
                    .map(|v| {
                        v.iter()
                            .map(|v| v.to_string())
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .unwrap_or_else(|| id.to_uppercase());
                let takes = a.get_action().takes_values();
                match (name.is_empty(), takes) {
                    (true, _) => r.text([italic(value)]),
                    (false, true) => r.text([bold(name), roman(" "), italic(value)]),
                    (false, false) => r.text([bold(name)]),
                };
                let mut help = a
                    .get_long_help()
                    .or_else(|| a.get_help())
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                let pv: Vec<String> = a
                    .get_possible_values()
                    .iter()
                    .map(|p| p.get_name().to_string())
                    .collect();
                if a.get_id() == "hook" {
                    help = "A hook name, as `checmatectl show` lists them, or its number".into();
                } else if !pv.is_empty() {
                    help.push_str(&format!(": one of {}", pv.join(", ")));
                }
                r.text([roman(help)]);
            }
        }
    }
    commands(&mut r, &cmd);
    r.control("SH", ["EXIT STATUS"]);
    for (code, what) in exit::ALL {
        r.control("TP", []);
        r.text([bold(code.to_string())]);
        r.text([roman(*what)]);
    }
    r.control("SH", ["ENVIRONMENT"]);
    r.control("TP", []);
    r.text([bold("CHECMATE_STATE_DIR")]);
    r.text([roman(
        "The bpffs directory where policies are recorded, instead of /sys/fs/bpf/checmate.",
    )]);
    r.control("SH", ["FILES"]);
    for (f, what) in [
        (
            "/sys/fs/bpf/checmate/",
            "One directory per policy: its pinned programs, maps and manifest.",
        ),
        (
            "/etc/checmate/policies.d/",
            "The policy files checmate-policies.service applies at boot.",
        ),
        (
            "/sys/kernel/security/checmate/hooks",
            "Each hook's mode, lock and counters.",
        ),
        (
            "/sys/kernel/security/checmate/events",
            "The denials, one binary struct checmate_event each, that `events` reads.",
        ),
        (
            "/sys/kernel/btf/vmlinux",
            "The kernel's BTF, by which `events` decodes each hook's context.",
        ),
    ] {
        r.control("TP", []);
        r.text([italic(f)]);
        r.text([roman(what)]);
    }
    r.control("SH", ["SEE ALSO"]);
    r.text([roman(
        "bpftool(8), bpf(2), prctl(2), and the kernel's admin guide, \
         Documentation/admin-guide/LSM/checmate.rst.",
    )]);
    r.to_writer(&mut out).unwrap();
    man.render_version_section(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn hook_arg(name: &str) -> Result<u32, Error> {
    hook_by_name(name).ok_or_else(|| {
        Error::not_found(format!(
            "unknown hook '{name}'; hooks: {}",
            uapi::HOOKS
                .iter()
                .map(|h| h.1)
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })
}

/// The state of `hooks`. Unless `strict`, a hook this kernel does not know
/// (EINVAL: checmatectl is newer than the kernel) is left out.
fn query_all(hooks: &[u32], strict: bool) -> Result<Vec<api::HookState>, Error> {
    let mut states = Vec::new();
    for &h in hooks {
        match api::query(h) {
            Ok(s) => states.push(s),
            Err(e) if !strict && e.errno == Some(libc::EINVAL) && !states.is_empty() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(states)
}

fn events(json: bool, since_boot: bool, count: Option<u64>, no_follow: bool) -> Result<(), Error> {
    use checmatectl::events::{
        event_json, event_line, parse_event, Decoder, EVENTS_FILE, EVENT_SIZE,
    };
    use std::io::{Read, Seek, SeekFrom};
    use std::os::unix::fs::OpenOptionsExt;
    let open = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(if no_follow { libc::O_NONBLOCK } else { 0 })
        .open(EVENTS_FILE);
    let mut f = match open {
        Ok(f) => f,
        // A kernel without the event stream: its reports in the kernel log.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return kmsg_events(json, since_boot, count, no_follow)
        }
        Err(e) => return Err(Error::from(format!("{EVENTS_FILE}: {e}"))),
    };
    let err = |e: std::io::Error| Error::from(format!("{EVENTS_FILE}: {e}"));
    if !since_boot {
        f.seek(SeekFrom::End(0)).map_err(err)?;
    }
    let mut dec = Decoder::system();
    let mut owners = owners();
    let mut seen = 0;
    let mut buf = vec![0u8; EVENT_SIZE * 64];
    while count.is_none_or(|c| seen < c) {
        let n = match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(err(e)),
        };
        for rec in buf[..n].chunks_exact(EVENT_SIZE) {
            if count.is_some_and(|c| seen >= c) {
                break;
            }
            let Some(ev) = parse_event(rec) else { continue };
            seen += 1;
            if !owners.iter().any(|o| o.0 == ev.prog_id) {
                owners = self::owners();
            }
            let lost = dec.lost_before(ev.seq);
            let policy_of = |id: u32| owners.iter().find(|o| o.0 == id).map(|o| o.1.clone());
            let v = event_json(&ev, &mut dec, policy_of, lost);
            if json {
                println!("{v}");
            } else {
                println!("{}", event_line(&v));
            }
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
    }
    Ok(())
}

/// `events` from the kernel log, on a kernel without the events file.
fn kmsg_events(
    json: bool,
    since_boot: bool,
    count: Option<u64>,
    no_follow: bool,
) -> Result<(), Error> {
    use checmatectl::events::{parse_kmsg, to_json, Record};
    use std::io::{Read, Seek, SeekFrom};
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(if no_follow { libc::O_NONBLOCK } else { 0 })
        .open("/dev/kmsg")
        .map_err(|e| Error::from(format!("/dev/kmsg: {e}")))?;
    if !since_boot {
        f.seek(SeekFrom::End(0))
            .map_err(|e| Error::from(format!("/dev/kmsg: {e}")))?;
    }
    let mut owners = owners();
    let mut seen = 0;
    let mut buf = vec![0u8; 8192];
    while count.is_none_or(|c| seen < c) {
        let n = match f.read(&mut buf) {
            Ok(n) => n,
            // Records overwritten before we read them.
            Err(e) if e.raw_os_error() == Some(libc::EPIPE) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => return Err(Error::from(format!("/dev/kmsg: {e}"))),
        };
        let Some(r) = parse_kmsg(&String::from_utf8_lossy(&buf[..n])) else {
            continue;
        };
        if let Record::Denial(d) = &r {
            seen += 1;
            if !owners.iter().any(|o| o.0 == d.prog_id) {
                owners = self::owners();
            }
        }
        let policy_of = |id: u32| owners.iter().find(|o| o.0 == id).map(|o| o.1.clone());
        let v = to_json(&r, policy_of);
        if json {
            println!("{v}");
        } else if let Record::Denial(d) = &r {
            println!(
                "{:.3} {} {} prog {}{} errno {} pid {} comm {} {}",
                v["time"].as_f64().unwrap_or(0.0),
                if d.enforced { "denied" } else { "log-only" },
                d.hook,
                d.prog_id,
                v["policy"]
                    .as_str()
                    .map_or(String::new(), |p| format!("[{p}]")),
                d.errno,
                d.pid.map_or("-".into(), |p| p.to_string()),
                d.comm.as_deref().unwrap_or("-"),
                d.ctx
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            );
        } else if let Record::Dropped(n) = r {
            println!("{n} reports dropped by the kernel");
        }
    }
    Ok(())
}

/// (program id, policy) of every recorded policy.
fn owners() -> Vec<(u32, String)> {
    state::list()
        .unwrap_or_default()
        .into_iter()
        .flat_map(|m| {
            m.programs
                .iter()
                .map(|p| (p.id, m.name.clone()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn show(hook: Option<String>, json: bool) -> Result<(), Error> {
    let hooks: Vec<u32> = match &hook {
        Some(h) => vec![hook_arg(h)?],
        None => uapi::HOOKS.iter().map(|h| h.0).collect(),
    };
    let states = query_all(&hooks, hook.is_some())?;
    let counters = api::read_counters();
    let owners = owners();
    let policy_of = |id: u32| owners.iter().find(|o| o.0 == id).map(|o| o.1.clone());
    if json {
        let v = api::states_to_json(&states, api::prog_name, policy_of, &counters);
        println!("{}", serde_json::to_string_pretty(&v).unwrap());
        return Ok(());
    }
    for s in &states {
        let c = hook_name(s.hook).and_then(|n| counters.get(n));
        let progs: Vec<String> = s
            .prog_ids
            .iter()
            .map(|&id| {
                let mut p = format!("{id}:{}", api::prog_name(id).unwrap_or_default());
                if let Some(pol) = policy_of(id) {
                    p.push_str(&format!("[{pol}]"));
                }
                if s.log_only(id) {
                    p.push_str("{log-only}");
                }
                if let Some((r, d)) = c.and_then(|c| c.progs.get(&id)) {
                    p.push_str(&format!("({r} runs, {d} denied)"));
                }
                p
            })
            .collect();
        println!(
            "{:<20} mode {:<11} {:<19}{:<6} {}programs {}",
            hook_name(s.hook).unwrap_or("?"),
            mode_name(s.mode),
            match (s.locked, s.maps_frozen) {
                (true, true) => "locked,maps-frozen",
                (true, false) => "locked",
                _ => "",
            },
            if s.audit { "audit" } else { "" },
            c.map_or(String::new(), |c| format!(
                "runs {} denials {} ",
                c.runs, c.denials
            )),
            if progs.is_empty() {
                "-".to_string()
            } else {
                progs.join(" ")
            }
        );
    }
    Ok(())
}

/// `apply -f FILE`, or every `*.toml` of a directory in name order (the
/// boot unit's /etc/checmate/policies.d): one failed file does not stop the
/// others; the status is the first failure's.
fn apply_files(path: &std::path::Path, dry_run: bool) -> Result<(), Error> {
    let files = if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| Error::from(format!("{}: {e}", path.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    let mut first: Option<Error> = None;
    let mut failed = 0;
    for f in &files {
        match apply::apply(f, dry_run) {
            Ok(o) => o.lines.iter().for_each(|l| println!("{l}")),
            Err(e) if files.len() == 1 => return Err(e),
            Err(e) => {
                eprintln!("checmatectl: {}: {}", f.display(), e.report());
                failed += 1;
                first.get_or_insert(e);
            }
        }
    }
    match first {
        None => Ok(()),
        // The status is the first failure's; its log was printed above.
        Some(e) => Err(Error {
            what: format!(
                "{failed} of {} policy files failed; the first: {}",
                files.len(),
                e.what
            ),
            log: None,
            ..e
        }),
    }
}

fn list(json: bool) -> Result<(), Error> {
    let all = state::list()?;
    if json {
        println!("{}", serde_json::to_string_pretty(&all).unwrap());
        return Ok(());
    }
    for m in &all {
        let dir = state::dir(&m.name);
        let live = apply::attached_of(m, &dir)?;
        let progs: Vec<String> = m
            .programs
            .iter()
            .map(|p| {
                format!(
                    "{}:{}@{}{}",
                    p.id,
                    p.name,
                    p.hook,
                    match live.iter().find(|l| l.id == p.id) {
                        None => "(detached)",
                        Some(l) if l.log_only() => "(log-only)",
                        Some(_) => "",
                    }
                )
            })
            .collect();
        let entries: usize = m.maps.values().map(Vec::len).sum();
        println!(
            "{:<20} {:<5} {} entries {} programs {}",
            m.name,
            m.kind,
            m.object,
            entries,
            progs.join(" ")
        );
    }
    Ok(())
}

fn run(cli: Cli) -> Result<(), Error> {
    match cli.cmd {
        Cmd::Load {
            object,
            pin_maps,
            name,
            replace,
        } => {
            for l in apply::load(&object, name.as_deref(), replace, pin_maps.as_deref())? {
                println!("{l}");
            }
        }
        Cmd::Apply { file, dry_run } => apply_files(&file, dry_run)?,
        Cmd::List { json } => list(json)?,
        Cmd::Delete { name } => {
            for l in apply::delete(&name)? {
                println!("{l}");
            }
        }
        Cmd::Detach { hook, prog_id } => {
            let h = hook_arg(&hook)?;
            let fd = api::prog_fd_by_id(prog_id)?;
            api::detach(h, fd.as_fd())?;
        }
        Cmd::Reset { hook } => api::reset(hook_arg(&hook)?)?,
        Cmd::Lock { hook, freeze_maps } => api::lock(hook_arg(&hook)?, freeze_maps)?,
        Cmd::Mode { hook, mode } => {
            let m = checmatectl::mode_by_name(&mode).map_err(Error::usage)?;
            api::set_mode(hook_arg(&hook)?, m)?;
        }
        Cmd::Audit { hook, state } => {
            let on = match state.as_str() {
                "on" => true,
                "off" => false,
                _ => {
                    return Err(Error::usage(format!(
                        "audit takes 'on' or 'off', not '{state}'"
                    )))
                }
            };
            api::set_audit(hook_arg(&hook)?, on)?;
        }
        Cmd::Show { hook, json } => show(hook, json)?,
        Cmd::Events {
            json,
            since_boot,
            count,
            no_follow,
        } => events(json, since_boot, count, no_follow)?,
        Cmd::Metrics => {
            let all: Vec<u32> = uapi::HOOKS.iter().map(|h| h.0).collect();
            let states = query_all(&all, false)?;
            let owners = owners();
            print!(
                "{}",
                api::metrics_text(&states, &api::read_counters(), api::prog_name, |id| {
                    owners.iter().find(|o| o.0 == id).map(|o| o.1.clone())
                })
            );
        }
        Cmd::Map { cmd } => map(cmd)?,
        Cmd::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "checmatectl",
                &mut std::io::stdout(),
            );
        }
        Cmd::Man => print!("{}", man_page()),
    }
    Ok(())
}

fn map(cmd: MapCmd) -> Result<(), Error> {
    let mut keep = Vec::new();
    match cmd {
        MapCmd::Lookup { map, key } => {
            let m = view::TypedMap::open(&view::resolve(&map)?)?;
            let k = m.key_bytes(&key)?;
            let v = m
                .lookup(&k)?
                .ok_or_else(|| Error::not_found(format!("{map}: no entry for key {key}")))?;
            let key = view::decode_key(m.key_types(), &k, m.map.map_type() == MapType::LpmTrie);
            let out = serde_json::json!({ "key": key, "value": v });
            println!("{}", serde_json::to_string_pretty(&out).unwrap());
        }
        MapCmd::Dump { map } => {
            let m = view::TypedMap::open(&view::resolve(&map)?)?;
            println!("{}", serde_json::to_string_pretty(&m.dump()?).unwrap());
        }
        // Typed fields need no BTF; JSON is typed by the map's.
        MapCmd::Update { map, key, value } => {
            let pin = view::resolve(&map)?;
            let (k, v) = if view::looks_typed(&key) && view::looks_typed(&value) {
                (
                    policy::parse_bytes(&key, &mut keep).map_err(Error::usage)?,
                    policy::parse_bytes(&value, &mut keep).map_err(Error::usage)?,
                )
            } else {
                let m = view::TypedMap::open(&pin)?;
                (m.key_bytes(&key)?, m.value_bytes(&value, &mut keep)?)
            };
            policy::map_update(&pin, &k, Some(&v))?;
        }
        MapCmd::Delete { map, key } => {
            let pin = view::resolve(&map)?;
            let k = if view::looks_typed(&key) {
                policy::parse_bytes(&key, &mut keep).map_err(Error::usage)?
            } else {
                view::TypedMap::open(&pin)?.key_bytes(&key)?
            };
            policy::map_update(&pin, &k, None)?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    // Output piped into `head` or `grep -q` ends quietly, as a C tool's
    // does, instead of panicking on EPIPE.
    // SAFETY: no other thread runs yet; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("checmatectl: {}", e.report());
            ExitCode::from(e.exit_code())
        }
    }
}
