// SPDX-License-Identifier: GPL-2.0
//! Host tests: hook names against the UAPI header, byte specs, error text.

use checmatectl::error::{Error, Op};
use checmatectl::policy::{hook_of_section, parse_bytes};
use checmatectl::{hook_by_name, hook_name, uapi};

#[test]
fn hooks_come_from_the_header_in_order() {
    let header = include_str!("../../../kernel/include/uapi/linux/checmate.h");
    let enum_body = header
        .split("enum checmate_hook {")
        .nth(1)
        .unwrap()
        .split("};")
        .next()
        .unwrap();
    let names: Vec<String> = enum_body
        .lines()
        .filter_map(|l| l.trim().strip_prefix("CHECMATE_HOOK_"))
        .filter_map(|l| l.split_once(" = "))
        .filter(|(n, _)| *n != "UNSPEC")
        .map(|(n, _)| n.to_lowercase())
        .collect();
    assert_eq!(names.len(), uapi::HOOKS.len());
    for (i, (num, name)) in uapi::HOOKS.iter().enumerate() {
        assert_eq!(*num as usize, i + 1, "hook numbers are dense from 1");
        assert_eq!(names[i], *name);
    }
}

#[test]
fn hook_lookup() {
    assert_eq!(
        hook_by_name("socket_connect"),
        Some(uapi::CHECMATE_HOOK_SOCKET_CONNECT)
    );
    assert_eq!(hook_by_name("3"), Some(3));
    assert_eq!(hook_by_name("0"), None);
    assert_eq!(hook_by_name(&(uapi::HOOKS.len() + 1).to_string()), None);
    assert_eq!(hook_by_name("socket_conect"), None);
    assert_eq!(
        hook_name(uapi::CHECMATE_HOOK_PATH_CHROOT),
        Some("path_chroot")
    );
}

#[test]
fn sections() {
    assert_eq!(
        hook_of_section("checmate/file_open"),
        Ok(uapi::CHECMATE_HOOK_FILE_OPEN)
    );
    assert!(hook_of_section("lsm/file_open")
        .unwrap_err()
        .contains("checmate/<hook>"));
    assert!(hook_of_section("checmate/nope")
        .unwrap_err()
        .contains("socket_create"));
}

#[test]
fn byte_specs() {
    let mut keep = Vec::new();
    assert_eq!(
        parse_bytes("u32:1,be16:80", &mut keep).unwrap(),
        [1, 0, 0, 0, 0, 80]
    );
    assert_eq!(
        parse_bytes("ip4:10.0.0.1", &mut keep).unwrap(),
        [10, 0, 0, 1]
    );
    assert_eq!(
        parse_bytes("hex:0aff,u8:0x10", &mut keep).unwrap(),
        [10, 255, 16]
    );
    assert_eq!(parse_bytes("ip6:::1", &mut keep).unwrap().len(), 16);
    assert!(parse_bytes("u8:256", &mut keep)
        .unwrap_err()
        .contains("does not fit"));
    assert!(parse_bytes("u32", &mut keep)
        .unwrap_err()
        .contains("TYPE:VALUE"));
    assert!(parse_bytes("f32:1", &mut keep)
        .unwrap_err()
        .contains("unknown type"));
    assert!(parse_bytes("ip4:300.1.1.1", &mut keep)
        .unwrap_err()
        .contains("IPv4"));
}

#[test]
fn errors_say_what_to_fix() {
    let e = Error::os(
        Op::Attach,
        "attach to file_open",
        std::io::Error::from_raw_os_error(libc::EPERM),
    );
    let s = e.to_string();
    assert!(
        s.starts_with("attach to file_open: Operation not permitted"),
        "{s}"
    );
    assert!(
        s.contains("CAP_SYS_ADMIN in the initial user namespace"),
        "{s}"
    );
    let e = Error::os(
        Op::Attach,
        "attach",
        std::io::Error::from_raw_os_error(libc::EEXIST),
    );
    assert!(e.to_string().contains("attached to this hook already"));
    let e = Error::os(
        Op::Reset,
        "reset",
        std::io::Error::from_raw_os_error(libc::ENOSYS),
    );
    assert!(e.to_string().contains("not enabled"));
}

#[test]
fn cli_parses() {
    use clap::Parser;
    #[path = "../src/main.rs"]
    #[allow(dead_code)]
    mod cli;
    let c = cli::Cli::try_parse_from(["checmatectl", "show", "--json"]).unwrap();
    assert!(matches!(
        c.cmd,
        cli::Cmd::Show {
            json: true,
            hook: None
        }
    ));
    let c = cli::Cli::try_parse_from(["checmatectl", "detach", "file_open", "7"]).unwrap();
    assert!(matches!(c.cmd, cli::Cmd::Detach { prog_id: 7, .. }));
    assert!(cli::Cli::try_parse_from(["checmatectl", "detach", "file_open", "x"]).is_err());
    assert!(cli::Cli::try_parse_from(["checmatectl", "frobnicate"]).is_err());
    let c =
        cli::Cli::try_parse_from(["checmatectl", "apply", "-f", "p.toml", "--dry-run"]).unwrap();
    assert!(matches!(c.cmd, cli::Cmd::Apply { dry_run: true, .. }));
    assert!(cli::Cli::try_parse_from(["checmatectl", "apply"]).is_err());
    let c =
        cli::Cli::try_parse_from(["checmatectl", "load", "o.bpf.o", "--replace", "--name", "x"])
            .unwrap();
    assert!(matches!(c.cmd, cli::Cmd::Load { replace: true, name: Some(ref n), .. } if n == "x"));
    let c = cli::Cli::try_parse_from(["checmatectl", "load", "o.bpf.o"]).unwrap();
    assert!(matches!(c.cmd, cli::Cmd::Load { replace: false, .. }));
    let c = cli::Cli::try_parse_from(["checmatectl", "delete", "egress"]).unwrap();
    assert!(matches!(c.cmd, cli::Cmd::Delete { ref name } if name == "egress"));
    let c = cli::Cli::try_parse_from(["checmatectl", "list", "--json"]).unwrap();
    assert!(matches!(c.cmd, cli::Cmd::List { json: true }));
}

#[test]
fn verifier_refusal_is_not_a_privilege_hint() {
    use checmatectl::policy::{errno_of, load_err};
    let refused = libbpf_rs::Error::from_raw_os_error(libc::EACCES);
    assert_eq!(errno_of(&refused), libc::EACCES);
    let e = load_err("load x.bpf.o".into(), refused).to_string();
    assert!(e.contains("the verifier refused the program"), "{e}");
    assert!(!e.contains("CAP_BPF"), "{e}");
    let denied = libbpf_rs::Error::from_raw_os_error(libc::EPERM);
    assert_eq!(errno_of(&denied), libc::EPERM);
    let e = load_err("load x.bpf.o".into(), denied).to_string();
    assert!(e.contains("CAP_BPF"), "{e}");
    assert_eq!(
        errno_of(&libbpf_rs::Error::from_raw_os_error(libc::E2BIG)),
        libc::E2BIG
    );
}

#[test]
fn every_mode_is_named() {
    let e = checmatectl::mode_by_name("bogus").unwrap_err();
    for (m, _) in checmatectl::MODES {
        assert!(e.contains(m), "{e}");
    }
    assert!(e.contains("log-only"), "{e}");
    assert_eq!(
        checmatectl::mode_by_name("log-only"),
        Ok(uapi::CHECMATE_MODE_LOG_ONLY)
    );
    let e = Error::os(
        Op::Replace,
        "replace",
        std::io::Error::from_raw_os_error(libc::ENOENT),
    );
    assert!(e.to_string().contains("not attached to this hook"), "{e}");
}

#[test]
fn show_json_parses_back() {
    use checmatectl::api::{parse_counters, states_to_json, HookState};
    let states = [
        HookState {
            hook: 10,
            mode: uapi::CHECMATE_MODE_APPEND_ONLY,
            locked: true,
            maps_frozen: true,
            audit: false,
            prog_ids: vec![4, 9],
            prog_flags: vec![0, uapi::CHECMATE_ATTACH_F_LOG_ONLY],
        },
        HookState {
            hook: 20,
            mode: uapi::CHECMATE_MODE_LOG_ONLY,
            locked: false,
            maps_frozen: false,
            audit: true,
            prog_ids: vec![],
            prog_flags: vec![],
        },
    ];
    let counters = parse_counters(
        "file_open mode=append-only locked=1 audit=0 runs=12 denials=3 progs=4:12:3 9:9:0\n\
         path_chroot mode=log-only locked=0 audit=1 runs=0 denials=0 progs=\n",
    );
    let text = serde_json::to_string_pretty(&states_to_json(
        &states,
        |id| Some(format!("p{id}")),
        |id| (id == 9).then(|| "egress".to_string()),
        &counters,
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let hooks = v.as_array().unwrap();
    assert_eq!(hooks.len(), 2);
    assert_eq!(hooks[0]["hook"], "file_open");
    assert_eq!(hooks[0]["mode"], "append-only");
    assert_eq!(hooks[0]["locked"], true);
    assert_eq!(hooks[0]["maps_frozen"], true);
    assert_eq!(hooks[1]["maps_frozen"], false);
    assert_eq!(hooks[0]["programs"][1]["id"], 9);
    assert_eq!(hooks[0]["programs"][1]["name"], "p9");
    // Program 9 is a monitor (attached log-only), 4 enforces.
    assert_eq!(hooks[0]["programs"][1]["log_only"], true);
    assert_eq!(hooks[0]["programs"][0]["log_only"], false);
    assert_eq!(hooks[1]["hook"], "path_chroot");
    assert_eq!(hooks[1]["mode"], "log-only");
    assert_eq!(hooks[1]["audit"], true);
    assert_eq!(hooks[1]["programs"].as_array().unwrap().len(), 0);
    // Counters from the securityfs file, and the policy of each program.
    assert_eq!(hooks[0]["runs"], 12);
    assert_eq!(hooks[0]["denials"], 3);
    assert_eq!(hooks[0]["programs"][0]["runs"], 12);
    assert_eq!(hooks[0]["programs"][0]["denials"], 3);
    assert_eq!(hooks[0]["programs"][1]["denials"], 0);
    assert_eq!(hooks[0]["programs"][1]["policy"], "egress");
    assert!(hooks[0]["programs"][0]["policy"].is_null());
    assert_eq!(hooks[1]["runs"], 0);
    // Without the file: no counters, not zeros.
    let none = states_to_json(&states, |_| None, |_| None, &Default::default());
    assert!(none[0]["runs"].is_null());
    assert_eq!(counters["file_open"].progs[&9], (9, 0));
}

/// The hooks file of a kernel with per-program flags: `active=` after
/// `audit=`, and `:log-only` after a monitor's counters.
#[test]
fn counters_with_log_only_programs() {
    use checmatectl::api::parse_counters;
    let c = parse_counters(
        "socket_connect mode=normal locked=0 audit=0 active=1 runs=7 denials=2 \
         progs=4:7:2 9:7:5:log-only\n\
         file_open mode=normal locked=0 audit=0 active=0 runs=0 denials=0 progs=\n",
    );
    let sc = &c["socket_connect"];
    assert_eq!((sc.runs, sc.denials), (7, 2));
    assert_eq!(sc.progs[&4], (7, 2));
    assert_eq!(sc.progs[&9], (7, 5));
    assert!(sc.log_only.contains(&9) && !sc.log_only.contains(&4));
    assert_eq!(sc.active, Some(true));
    assert_eq!(c["file_open"].active, Some(false));
    // An older kernel's line: no active=, no flags.
    let old =
        parse_counters("file_open mode=normal locked=0 audit=0 runs=1 denials=0 progs=3:1:0\n");
    assert_eq!(old["file_open"].active, None);
    assert!(old["file_open"].log_only.is_empty());
}

#[test]
fn exit_codes_tell_failures_apart() {
    use checmatectl::error::exit;
    let os = |op, errno| Error::os(op, "x", std::io::Error::from_raw_os_error(errno));
    assert_eq!(os(Op::Load, libc::EACCES).exit_code(), exit::VERIFIER);
    assert_eq!(os(Op::Load, libc::EPERM).exit_code(), exit::NOT_PERMITTED);
    assert_eq!(
        os(Op::Replace, libc::EPERM).exit_code(),
        exit::NOT_PERMITTED
    );
    assert_eq!(os(Op::Detach, libc::ENOENT).exit_code(), exit::NOT_FOUND);
    assert_eq!(os(Op::Attach, libc::E2BIG).exit_code(), exit::FAILURE);
    assert_eq!(Error::not_found("no policy").exit_code(), exit::NOT_FOUND);
    assert_eq!(Error::refused("locked").exit_code(), exit::NOT_PERMITTED);
    assert_eq!(Error::usage("bad mode").exit_code(), exit::USAGE);
    // checmatectl's own messages carry no errno text.
    assert_eq!(
        Error::not_found("no policy 'x'").to_string(),
        "no policy 'x'"
    );

    // The binary: these fail before any prctl, so they run on any host.
    let run = |args: &[&str]| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_checmatectl"))
            .args(args)
            .env("CHECMATE_STATE_DIR", env!("CARGO_TARGET_TMPDIR"))
            .output()
            .unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["mode", "socket_connect", "bogus"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("log-only"), "{err}");
    assert_eq!(run(&["frobnicate"]).0, Some(2));
    // A hook, like a policy, that is not there.
    let (code, err) = run(&["show", "no_such_hook"]);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("socket_connect"), "{err}");
    let (code, err) = run(&["delete", "nothere"]);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("no policy 'nothere'"), "{err}");
    assert_eq!(run(&["apply", "-f", "/nonexistent.toml"]).0, Some(4));
    assert_eq!(run(&["map", "dump", "nopolicy/nomap"]).0, Some(4));
    assert_eq!(run(&["audit", "file_open", "maybe"]).0, Some(2));
}

/// The boot unit: systemd-analyze verify accepts it (with ExecStart at the
/// binary built here), and it runs before the container runtimes.
#[test]
fn boot_unit() {
    let unit = include_str!("../systemd/checmate-policies.service");
    let before = unit
        .lines()
        .find_map(|l| l.strip_prefix("Before="))
        .unwrap();
    for u in [
        "containerd.service",
        "docker.service",
        "crio.service",
        "kubelet.service",
    ] {
        assert!(before.split_whitespace().any(|b| b == u), "{u}");
    }
    assert!(unit.contains("ExecStart=/usr/sbin/checmatectl apply -f /etc/checmate/policies.d\n"));
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("unit");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("checmate-policies.service");
    std::fs::write(
        &path,
        unit.replace("/usr/sbin/checmatectl", env!("CARGO_BIN_EXE_checmatectl")),
    )
    .unwrap();
    match std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
    {
        Ok(o) => assert!(
            o.status.success() && o.stderr.is_empty(),
            "systemd-analyze verify: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(_) => eprintln!("systemd-analyze not installed: the unit is not verified"),
    }
}

/// apply -f DIR takes every *.toml in name order and goes on past a failure.
#[test]
fn apply_a_directory() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("policies.d");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("a.toml"),
        "name = \"a\"\nobject = \"missing-a.bpf.o\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.toml"),
        "name = \"b\"\nobject = \"missing-b.bpf.o\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("README"), "not a policy").unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_checmatectl"))
        .args(["apply", "--dry-run", "-f"])
        .arg(&dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    let a = err.find("missing-a.bpf.o").expect(&err);
    let b = err.find("missing-b.bpf.o").expect(&err);
    assert!(a < b, "{err}");
    assert!(err.contains("2 of 2 policy files failed"), "{err}");
    assert!(!err.contains("README"), "{err}");
    assert_eq!(o.status.code(), Some(4), "{err}");
}

/// `checmatectl metrics` as Prometheus reads it (prometheus-parse).
#[test]
fn metrics_parse_as_prometheus_text() {
    use checmatectl::api::{metrics_text, parse_counters, HookState};
    use prometheus_parse::{Scrape, Value};
    let states = [
        HookState {
            hook: uapi::CHECMATE_HOOK_SOCKET_CONNECT,
            mode: uapi::CHECMATE_MODE_NORMAL,
            locked: true,
            maps_frozen: false,
            audit: false,
            prog_ids: vec![5, 7],
            prog_flags: vec![0, uapi::CHECMATE_ATTACH_F_LOG_ONLY],
        },
        HookState {
            hook: uapi::CHECMATE_HOOK_FILE_OPEN,
            mode: uapi::CHECMATE_MODE_LOG_ONLY,
            locked: false,
            maps_frozen: false,
            audit: false,
            prog_ids: vec![],
            prog_flags: vec![],
        },
    ];
    let counters = parse_counters(
        "socket_connect mode=normal locked=1 audit=0 runs=12 denials=3 progs=5:12:3 7:9:0\n\
         file_open mode=log-only locked=0 audit=0 runs=0 denials=0 progs=\n",
    );
    let text = metrics_text(
        &states,
        &counters,
        |id| Some(format!("prog{id}")),
        |id| (id == 5).then(|| "egress".to_string()),
    );
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let find = |name: &str, labels: &[(&str, &str)]| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
            .unwrap_or_else(|| panic!("{name} {labels:?} not in:\n{text}"))
            .value
            .clone()
    };
    let counter = |v: Value| match v {
        Value::Counter(n) => n,
        v => panic!("not a counter: {v:?}"),
    };
    let gauge = |v: Value| match v {
        Value::Gauge(n) => n,
        v => panic!("not a gauge: {v:?}"),
    };
    let sc = [("hook", "socket_connect")];
    assert_eq!(counter(find("checmate_hook_runs_total", &sc)), 12.0);
    assert_eq!(counter(find("checmate_hook_denials_total", &sc)), 3.0);
    assert_eq!(gauge(find("checmate_hook_programs", &sc)), 2.0);
    assert_eq!(gauge(find("checmate_hook_locked", &sc)), 1.0);
    assert_eq!(
        gauge(find(
            "checmate_hook_mode",
            &[("hook", "file_open"), ("mode", "log-only")]
        )),
        1.0
    );
    // Every mode of every hook: 1 for the current one, 0 for the others.
    for (m, _) in checmatectl::MODES {
        let want = if *m == "normal" { 1.0 } else { 0.0 };
        assert_eq!(
            gauge(find(
                "checmate_hook_mode",
                &[("hook", "socket_connect"), ("mode", m)]
            )),
            want,
            "{m}"
        );
    }
    let p5 = [("id", "5"), ("policy", "egress"), ("program", "prog5")];
    assert_eq!(counter(find("checmate_program_runs_total", &p5)), 12.0);
    assert_eq!(counter(find("checmate_program_denials_total", &p5)), 3.0);
    assert_eq!(
        counter(find(
            "checmate_program_denials_total",
            &[("id", "7"), ("policy", "")]
        )),
        0.0
    );
    // Each program's flags: 7 is a monitor, 5 enforces.
    assert_eq!(gauge(find("checmate_program_log_only", &p5)), 0.0);
    assert_eq!(
        gauge(find(
            "checmate_program_log_only",
            &[("id", "7"), ("hook", "socket_connect")]
        )),
        1.0
    );
    // Label values are escaped (kernel names cannot hold a quote; still).
    let odd = metrics_text(&states, &counters, |_| Some("a\"b\\c".into()), |_| None);
    assert!(odd.contains(r#"program="a\"b\\c""#), "{odd}");
    // Without the kernel's counters: state only, no made-up zeros.
    let bare = metrics_text(&states, &Default::default(), |_| None, |_| None);
    assert!(!bare.contains("_total"), "{bare}");
    assert!(bare.contains("checmate_hook_locked{hook=\"socket_connect\"} 1"));
}

/// Denial reports from the kernel log, in both of the kernel's formats.
#[test]
fn events_from_the_kernel_log() {
    use checmatectl::events::{parse_kmsg, to_json, Record};
    let audit = "5,812,3412345,-;audit: type=1400 audit(1795910954.416:3): checmate=denied \
                 hook=socket_connect prog_id=4 errno=111 pid=52 comm=\"curl x\" family=2 \
                 sock_type=2 protocol=17 local=0.0.0.0:0 remote=127.0.0.1:4243\n SUBSYSTEM=x\n";
    let Some(Record::Denial(d)) = parse_kmsg(audit) else {
        panic!("not parsed")
    };
    assert_eq!(d.boot_usec, 3412345);
    assert_eq!(d.hook, "socket_connect");
    assert_eq!((d.prog_id, d.errno, d.enforced), (4, 111, true));
    assert_eq!(d.pid, Some(52));
    assert_eq!(d.comm.as_deref(), Some("curl x"));
    assert_eq!(d.ctx["remote"], "127.0.0.1:4243");
    assert_eq!(d.ctx["family"], "2");
    let plain = "5,9,77,-;checmate: checmate=log-only hook=file_open prog_id=9 errno=1 \
                 pid=3 comm=\"cat\" ino=5 dir_ino=2 dev=1 mode=100644 ouid=0 flags=0x8000";
    let Some(Record::Denial(p)) = parse_kmsg(plain) else {
        panic!("not parsed")
    };
    assert!(!p.enforced);
    assert_eq!(p.ctx["flags"], "0x8000");
    assert_eq!(
        parse_kmsg("5,10,80,-;checmate: 17 denial reports suppressed"),
        Some(Record::Dropped(17))
    );
    assert_eq!(parse_kmsg("6,11,90,-;eth0: link up"), None);
    assert_eq!(parse_kmsg("6,12,91,-;other: checmate=denied hook=x"), None);
    let v = to_json(&Record::Denial(d), |id| (id == 4).then(|| "egress".into()));
    let v: serde_json::Value = serde_json::from_str(&v.to_string()).unwrap();
    assert_eq!(v["policy"], "egress");
    assert_eq!(v["hook"], "socket_connect");
    assert_eq!(v["errno"], 111);
    assert_eq!(v["enforced"], true);
    assert_eq!(v["comm"], "curl x");
    assert_eq!(v["ctx"]["remote"], "127.0.0.1:4243");
    assert!(v["time"].as_f64().unwrap() > 1e9);
    assert_eq!(
        to_json(&Record::Dropped(3), |_| None),
        serde_json::json!({"dropped": 3})
    );
}
