// SPDX-License-Identifier: GPL-2.0
//! Host tests of what checmatectl tells about itself: the man page and the
//! shell completions name every subcommand, and the exit statuses are the
//! same in the code, --help, the man page and the README; and the mapping of
//! errors to those statuses, a verifier refusal's log included.

use checmatectl::error::{exit, Error, Op};
use clap::CommandFactory;
use std::process::Command;

#[path = "../src/main.rs"]
#[allow(dead_code)]
mod cli;

/// Every subcommand path: ["apply"], ["map", "dump"], ...
fn subcommands() -> Vec<Vec<String>> {
    fn walk(cmd: &clap::Command, path: &[String], out: &mut Vec<Vec<String>>) {
        for s in cmd.get_subcommands() {
            let mut p = path.to_vec();
            p.push(s.get_name().to_string());
            out.push(p.clone());
            walk(s, &p, out);
        }
    }
    let mut out = Vec::new();
    walk(&cli::Cli::command(), &[], &mut out);
    out
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_checmatectl"))
        .args(args)
        .env("CHECMATE_STATE_DIR", env!("CARGO_TARGET_TMPDIR"))
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn man_page_names_every_subcommand() {
    let subs = subcommands();
    assert!(subs.len() >= 19, "{subs:?}");
    let (code, man, err) = run(&["man"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(man, cli::man_page());
    assert!(
        man.starts_with(".ie") || man.contains(".TH checmatectl 8"),
        "{man}"
    );
    for p in &subs {
        // `.SS "checmatectl map dump <MAP>"`: roff escapes '-' as '\-'.
        let want = format!("checmatectl {}", p.join(" ")).replace('-', "\\-");
        assert!(man.contains(&want), "man page lacks {want}");
    }
    for s in [
        "EXIT STATUS",
        "ENVIRONMENT",
        "CHECMATE_STATE_DIR",
        "FILES",
        "SEE ALSO",
    ] {
        assert!(man.contains(s), "man page lacks {s}");
    }
    for (code, what) in exit::ALL {
        assert!(man.contains(&format!("\\fB{code}\\fR")), "status {code}");
        let first = what
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(man.contains(&first.replace('-', "\\-")), "{first}");
    }
    // Every mode, as a possible value of `mode`.
    for (m, _) in checmatectl::MODES {
        assert!(man.contains(&m.replace('-', "\\-")), "{m}");
    }
    // man(1) renders it without a warning, where man is installed.
    let f = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("checmatectl.8");
    std::fs::write(&f, &man).unwrap();
    if let Ok(o) = Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(&f)
        .output()
    {
        assert!(
            o.status.success() && o.stderr.is_empty(),
            "groff: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

#[test]
fn completions_name_every_subcommand() {
    let (code, bash, err) = run(&["completions", "bash"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(bash.len() > 1000, "{bash}");
    assert!(bash.contains("complete -F _checmatectl"), "{bash}");
    for p in subcommands() {
        let last = p.last().unwrap();
        assert!(
            bash.split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
                .any(|w| w == last),
            "bash completion lacks {last}"
        );
    }
    // Hooks and modes complete too.
    for w in ["socket_connect", "file_open", "append-only", "log-only"] {
        assert!(bash.contains(w), "{w}");
    }
    // bash itself accepts it.
    if let Ok(o) = Command::new("bash").args(["-n", "-c", &bash]).output() {
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, Some(0), "{shell}: {err}");
        assert!(
            out.contains("checmatectl") && out.contains("lookup"),
            "{shell}"
        );
    }
    // kubectl's spelling.
    assert_eq!(run(&["completion", "bash"]).1, bash);
    assert_eq!(run(&["completions", "tcsh"]).0, Some(2));
}

#[test]
fn exit_statuses_are_documented_alike() {
    // --help ends with exit::HELP, which says what exit::ALL says.
    let (code, help, _) = run(&["--help"]);
    assert_eq!(code, Some(0));
    assert!(help.contains(exit::HELP), "{help}");
    let lines: Vec<&str> = exit::HELP.lines().skip(1).collect();
    let mut joined: Vec<String> = Vec::new();
    for l in lines {
        if l.starts_with("  ") {
            joined.push(l.trim().to_string());
        } else {
            let last = joined.last_mut().unwrap();
            last.push_str(l);
        }
    }
    assert_eq!(joined.len(), exit::ALL.len());
    for ((code, what), line) in exit::ALL.iter().zip(&joined) {
        assert_eq!(line, &format!("{code}  {what}"));
    }
    assert_eq!(
        [
            exit::FAILURE,
            exit::USAGE,
            exit::NOT_PERMITTED,
            exit::NOT_FOUND,
            exit::VERIFIER
        ],
        [1, 2, 3, 4, 5]
    );
    // The README's table.
    let readme = include_str!("../README.md");
    for (code, _) in exit::ALL {
        assert!(
            readme.contains(&format!("| {code} |")),
            "README lacks status {code}"
        );
    }
}

#[test]
fn errors_map_to_statuses() {
    let os = |op, errno| Error::os(op, "x", std::io::Error::from_raw_os_error(errno));
    // Not permitted, from any operation.
    for op in [Op::Attach, Op::Detach, Op::Lock, Op::SetMode, Op::Map] {
        assert_eq!(os(op, libc::EPERM).exit_code(), exit::NOT_PERMITTED);
        assert_eq!(os(op, libc::EACCES).exit_code(), exit::NOT_PERMITTED);
    }
    // Not found: no program, pin, policy file.
    assert_eq!(os(Op::Map, libc::ENOENT).exit_code(), exit::NOT_FOUND);
    assert_eq!(os(Op::Replace, libc::ENOENT).exit_code(), exit::NOT_FOUND);
    let e = Error::from("p.toml: No such file or directory (os error 2)".to_string());
    assert_eq!(e.exit_code(), exit::NOT_FOUND);
    assert_eq!(
        e.to_string(),
        "p.toml: No such file or directory (os error 2)"
    );
    // bpffs not writable: not permitted.
    let e = Error::from("/sys/fs/bpf/checmate: Permission denied (os error 13)".to_string());
    assert_eq!(e.exit_code(), exit::NOT_PERMITTED);
    // An EINVAL of checmatectl's own is a failure, not a usage error.
    let e = Error::from("pin x: Invalid argument (os error 22)".to_string());
    assert_eq!(e.exit_code(), exit::FAILURE);
    assert_eq!(Error::usage("bad key").exit_code(), exit::USAGE);
    assert_eq!(Error::from("x".to_string()).exit_code(), exit::FAILURE);
    assert_eq!(os(Op::Query, libc::ENOSYS).exit_code(), exit::FAILURE);
    assert_eq!(checmatectl::error::errno_in("a (os error 13)"), Some(13));
    assert_eq!(checmatectl::error::errno_in("no errno"), None);
}

/// A program libbpf reports refused: the error carries the verifier's log,
/// prints it after the message, exits 5, and says nothing of capabilities,
/// whatever the errno (the verifier refuses with EACCES or EINVAL).
#[test]
fn a_verifier_refusal_prints_its_log() {
    use checmatectl::policy::{keep_load_log, load_err};
    assert!(!keep_load_log(
        "libbpf: prog 'p': BPF program load failed: -EACCES\n"
    ));
    for errno in [libc::EACCES, libc::EINVAL] {
        assert!(keep_load_log(
            "libbpf: prog 'p': -- BEGIN PROG LOAD LOG --\n0: R1=ctx() R10=fp0\n\
             0: (b7) r0 = 0\ninvalid access to context\n-- END PROG LOAD LOG --\n"
        ));
        let e = load_err(
            "load p.bpf.o".into(),
            libbpf_rs::Error::from_raw_os_error(errno),
        );
        assert_eq!(e.exit_code(), exit::VERIFIER, "{errno}");
        let r = e.report();
        assert!(r.contains("the verifier refused the program"), "{r}");
        // The errno's text once, not once from libbpf and once more.
        let first = r.lines().next().unwrap();
        let text = std::io::Error::from_raw_os_error(errno).to_string();
        let text = text.split(" (os error").next().unwrap();
        assert_eq!(first.matches(text).count(), 1, "{first}");
        assert!(
            r.contains("-- verifier log --\n0: R1=ctx() R10=fp0\n"),
            "{r}"
        );
        assert!(
            r.contains("invalid access to context\n-- end of verifier log --"),
            "{r}"
        );
        assert!(!r.contains("CAP_"), "{r}");
        // The log is the error's: the next failure does not repeat it.
        let e = load_err(
            "load q.bpf.o".into(),
            libbpf_rs::Error::from_raw_os_error(libc::EPERM),
        );
        assert!(e.log.is_none());
        assert_eq!(e.exit_code(), exit::NOT_PERMITTED);
        assert!(e.report().contains("CAP_BPF"), "{}", e.report());
    }
}

/// `checmatectl ... | head -1` ends quietly: no panic on EPIPE.
#[test]
fn a_closed_pipe_is_no_panic() {
    for args in [&["man"][..], &["completions", "bash"], &["--help"]] {
        // A pipe whose reader is gone before checmatectl writes.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let o = Command::new(env!("CARGO_BIN_EXE_checmatectl"))
            .args(args)
            .stdout(writer)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn hook_and_mode_arguments() {
    use clap::Parser;
    // Hooks complete from the UAPI table but any text parses: an unknown
    // hook is "not found", as a policy is.
    let c = cli::Cli::try_parse_from(["checmatectl", "reset", "nohook"]).unwrap();
    assert!(matches!(c.cmd, cli::Cmd::Reset { ref hook } if hook == "nohook"));
    let (code, _, err) = run(&["reset", "nohook"]);
    assert_eq!(code, Some(exit::NOT_FOUND as i32), "{err}");
    // Modes are clap's: all five listed on a wrong one.
    let e = cli::Cli::try_parse_from(["checmatectl", "mode", "file_open", "strict"]).unwrap_err();
    assert_eq!(e.exit_code(), 2);
    let text = e.to_string();
    for (m, _) in checmatectl::MODES {
        assert!(text.contains(m), "{text}");
    }
    let c = cli::Cli::try_parse_from(["checmatectl", "map", "lookup", "egress/egress_allow", "5"])
        .unwrap();
    assert!(matches!(c.cmd, cli::Cmd::Map { .. }));
}
