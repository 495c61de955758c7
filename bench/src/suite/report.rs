//! The results as a dated Markdown table and JSON, the targets checked against them, and
//! the results section of `docs/BENCHMARKS.md` (between two marker comments) replaced.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use ocimcp_bench::load::Sessions;
use serde::Serialize;

use super::{Results, Row};

pub const BEGIN: &str = "<!-- results:begin (written by ocimcp-bench --update-docs) -->";
pub const END: &str = "<!-- results:end -->";

/// What the numbers were measured on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
}

impl Machine {
    pub fn read() -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map_or("unknown", |(_, v)| v.trim())
            .to_owned();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let kib: f64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let kernel = nix::sys::utsname::uname()
            .map(|u| {
                format!(
                    "{} {}",
                    u.sysname().to_string_lossy(),
                    u.release().to_string_lossy()
                )
            })
            .unwrap_or_default();
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            memory_gib: kib / (1024.0 * 1024.0),
            kernel,
        }
    }
}

/// `YYYY-MM-DD HH:MM UTC` from the system clock.
pub fn now_utc() -> String {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (year, month, day) = civil_date(seconds / 86_400);
    let of_day = seconds % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        of_day / 3600,
        (of_day % 3600) / 60
    )
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian.
fn civil_date(days: u64) -> (i64, u32, u32) {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// One target of the issue, and whether this run met it.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub what: String,
    pub goal: String,
    pub measured: String,
    pub met: Option<bool>,
}

fn check(
    what: &str,
    goal: &str,
    measured: Option<f64>,
    unit: &str,
    met: impl Fn(f64) -> bool,
) -> Check {
    Check {
        what: what.to_owned(),
        goal: goal.to_owned(),
        measured: measured.map_or("not measured".to_owned(), |m| format!("{m:.3} {unit}")),
        met: measured.map(met),
    }
}

pub fn checks(results: &Results) -> Vec<Check> {
    let p50 = |r: Option<&Row>| r.map(|r| r.report.p50_ms);
    let rate = |r: Option<&Row>| r.map(|r| r.report.per_second);
    let shared = Sessions::Shared;
    let added = p50(results.row("ocimcpd", "rust", 1, shared))
        .zip(p50(results.row("direct", "rust", 1, shared)))
        .map(|(g, d)| g - d);
    let ratio64 = rate(results.row("ocimcpd", "rust", 64, shared))
        .zip(rate(results.row("direct", "rust", 64, shared)))
        .map(|(g, d)| 100.0 * g / d);
    let gateway64 = rate(results.row("ocimcpd", "rust", 64, shared));
    let versus_proxy = gateway64
        .zip(rate(results.row("mcp-proxy", "rust", 64, shared)))
        .map(|(g, p)| g / p);
    let startup0 = results.startup.iter().find(|s| s.backends == 0);
    let memory = results.memory.as_ref();
    let many = memory.map_or("N × M".to_owned(), |m| {
        format!("{} × {}", m.many_backends, m.tools_per_backend)
    });
    vec![
        check(
            "Added p50 vs direct, Rust echo, concurrency 1",
            "≤ 0.05 ms",
            added,
            "ms",
            |v| v <= 0.05,
        ),
        check(
            "Gateway throughput vs direct, Rust echo, concurrency 64",
            "≥ 90 %",
            ratio64,
            "%",
            |v| v >= 90.0,
        ),
        check(
            "Gateway throughput, Rust echo, concurrency 64",
            "≥ 20,000 calls/s",
            gateway64,
            "calls/s",
            |v| v >= 20_000.0,
        ),
        check(
            "Gateway throughput ÷ mcp-proxy's, concurrency 64",
            "≥ 10×",
            versus_proxy,
            "×",
            |v| v >= 10.0,
        ),
        check(
            "Daemon RSS idle, one backend",
            "≤ 15 MB",
            memory.map(|m| m.idle_one_backend_mib),
            "MiB",
            |v| v <= 15.0,
        ),
        check(
            &format!("Daemon RSS with {many} tools"),
            "≤ 60 MB",
            memory.map(|m| m.many_backends_mib),
            "MiB",
            |v| v <= 60.0,
        ),
        check(
            &format!("tools/list p50 with {many} tools"),
            "≤ 5 ms",
            results.tools_list.as_ref().map(|r| r.report.p50_ms),
            "ms",
            |v| v <= 5.0,
        ),
        check(
            "exec → READY=1, no backends",
            "≤ 50 ms",
            startup0.map(|s| s.ready_ms),
            "ms",
            |v| v <= 50.0,
        ),
        check(
            "backends.d write → tool callable, minus the backend's own start-up",
            "≤ 500 ms",
            results
                .drop
                .as_ref()
                .map(|d| d.callable_ms - d.backend_startup_ms),
            "ms",
            |v| v <= 500.0,
        ),
    ]
}

/// The results as Markdown; a partial run (`--only`) shows only what it measured.
pub fn markdown(results: &Results) -> String {
    let mut md = String::new();
    let m = &results.machine;
    md.push_str(&format!(
        "Run of {}: {} core(s) of {}, {:.1} GiB, {}. Each load: {} s measured after {} s warm-up, \
         {} round(s) alternating between targets, median round shown. The loader (`mcp-load`) \
         shares the machine.\n\n",
        results.date,
        m.cores,
        m.cpu,
        m.memory_gib,
        m.kernel,
        results.timing.duration_s,
        results.timing.warmup_s,
        results.rounds
    ));
    if let Some(only) = &results.only {
        md.push_str(&format!(
            "A partial run: only the `{only}` scenario (`ocimcp-bench --only {only}`).\n\n"
        ));
    }

    // A partial run measures a target at most by the way (its yardstick): no table.
    let checks = checks(results);
    if results.only.is_none() {
        md.push_str("### Targets\n\n| Target | Goal | Measured | Met |\n|---|---|---|---|\n");
        for c in &checks {
            let met = match c.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "not measured",
            };
            md.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                c.what, c.goal, c.measured, met
            ));
        }
        md.push('\n');
    }

    let mut added = String::new();
    for backend in ["rust", "python"] {
        for concurrency in [1, 64] {
            let direct = results.row("direct", backend, concurrency, Sessions::Shared);
            for target in ["direct", "ocimcpd", "mcp-proxy", "fastmcp-proxy"] {
                let Some(row) = results.row(target, backend, concurrency, Sessions::Shared) else {
                    continue;
                };
                let (more, ratio) = match direct {
                    Some(d) if target != "direct" => (
                        format!("{:+.3}", row.report.p50_ms - d.report.p50_ms),
                        format!(
                            "{:.0} %",
                            100.0 * row.report.per_second / d.report.per_second
                        ),
                    ),
                    _ => ("".to_owned(), "".to_owned()),
                };
                added.push_str(&format!(
                    "| {backend} | {target} | {concurrency} | {:.3} | {:.3} | {:.0} | {more} | {ratio} | {:.2} | {:.2} |\n",
                    row.report.p50_ms,
                    row.report.p99_ms,
                    row.report.per_second,
                    row.server_cpu,
                    row.report.loader_cpu
                ));
            }
        }
    }
    if !added.is_empty() {
        md.push_str(
            "### Added latency: through the gateway (or a peer) vs the backend served directly\n\n\
             | Backend | Via | Concurrency | p50 ms | p99 ms | calls/s | Added p50 ms | Throughput vs direct | Server CPU (cores) | Loader CPU |\n\
             |---|---|---|---|---|---|---|---|---|---|\n",
        );
        md.push_str(&added);
        md.push('\n');
    }

    let mut throughput = String::new();
    for (target, sessions) in [
        ("direct", Sessions::Shared),
        ("ocimcpd", Sessions::Shared),
        ("ocimcpd", Sessions::PerConnection),
        ("mcp-proxy", Sessions::Shared),
        ("fastmcp-proxy", Sessions::Shared),
    ] {
        let cells: Vec<Option<&Row>> = [1, 16, 64, 256]
            .iter()
            .map(|c| results.row(target, "rust", *c, sessions))
            .collect();
        if cells.iter().all(Option::is_none) {
            continue;
        }
        let errors: u64 = cells.iter().flatten().map(|r| r.report.errors).sum();
        let text: Vec<String> = cells
            .iter()
            .map(|r| {
                r.map_or("".to_owned(), |r| {
                    format!("{:.0} ({:.2})", r.report.per_second, r.report.p50_ms)
                })
            })
            .collect();
        let sessions = match sessions {
            Sessions::Shared => "one shared",
            Sessions::PerConnection => "one per connection",
        };
        throughput.push_str(&format!(
            "| {target} | {sessions} | {} | {errors} |\n",
            text.join(" | ")
        ));
    }
    if !throughput.is_empty() {
        md.push_str(
            "### Throughput with the Rust echo backend (calls/s, p50 ms in brackets)\n\n\
             | Target | Sessions | c = 1 | c = 16 | c = 64 | c = 256 | Errors |\n|---|---|---|---|---|---|---|\n",
        );
        md.push_str(&throughput);
        md.push('\n');
    }

    let builtin: Vec<&Row> = results
        .loads
        .iter()
        .filter(|r| r.backend == "builtin")
        .collect();
    if !builtin.is_empty() {
        md.push_str(
            "### Built-in tool call (`oci_list_domains`)\n\n\
             The gateway with no stdio backends and its built-in OCI tool set, served in process: \
             `tools/call` of `oci_list_domains` (no arguments, no OCI request), one shared session. \
             The last column sets it beside the Rust echo backend over stdio through the gateway \
             at the same concurrency, when that was measured too.\n\n\
             | Concurrency | p50 ms | p99 ms | calls/s | Errors | Server CPU (cores) | Loader CPU | calls/s vs ocimcpd + Rust echo |\n\
             |---|---|---|---|---|---|---|---|\n",
        );
        for row in builtin {
            let versus = results
                .row("ocimcpd", "rust", row.concurrency, row.sessions)
                .map_or("".to_owned(), |echo| {
                    format!(
                        "{:.0} %",
                        100.0 * row.report.per_second / echo.report.per_second
                    )
                });
            md.push_str(&format!(
                "| {} | {:.3} | {:.3} | {:.0} | {} | {:.2} | {:.2} | {versus} |\n",
                row.concurrency,
                row.report.p50_ms,
                row.report.p99_ms,
                row.report.per_second,
                row.report.errors,
                row.server_cpu,
                row.report.loader_cpu
            ));
        }
        md.push('\n');
    }

    if let Some(mem) = &results.memory {
        md.push_str(&format!(
            "### Memory and catalog size\n\n| Figure | Value |\n|---|---|\n\
             | ocimcpd RSS idle, one backend | {:.1} MiB |\n\
             | ocimcpd RSS after the loads | {:.1} MiB |\n\
             | ocimcpd RSS with {} backends × {} tools | {:.1} MiB |\n",
            mem.idle_one_backend_mib,
            mem.after_load_mib,
            mem.many_backends,
            mem.tools_per_backend,
            mem.many_backends_mib,
        ));
        if let Some(list) = &results.tools_list {
            md.push_str(&format!(
                "| tools/list with {} tools: p50 / p99 | {:.3} / {:.3} ms |\n",
                mem.many_backends * mem.tools_per_backend + 2,
                list.report.p50_ms,
                list.report.p99_ms,
            ));
        }
        for (peer, mib) in &mem.peers_mib {
            md.push_str(&format!(
                "| {peer} RSS after the loads (its backend not counted) | {mib:.1} MiB |\n"
            ));
        }
        md.push('\n');
    }

    if !results.startup.is_empty() || results.drop.is_some() {
        md.push_str("### Start-up and live changes (median)\n\n| Figure | Value |\n|---|---|\n");
        for s in &results.startup {
            md.push_str(&format!(
                "| exec → READY=1, {} backends | {:.1} ms |\n| exec → first tools/list with every backend's tools, {} backends | {:.1} ms |\n",
                s.backends, s.ready_ms, s.backends, s.first_list_ms
            ));
        }
        if let Some(drop) = &results.drop {
            md.push_str(&format!(
                "| backends.d write → tool callable | {:.1} ms |\n| the echo backend's own start-up (exec → initialize answered) | {:.1} ms |\n",
                drop.callable_ms, drop.backend_startup_ms
            ));
        }
    }
    for note in &results.skipped {
        md.push_str(&format!("\n{note}\n"));
    }
    md
}

/// Writes `DATE.md` and `DATE.json` into `dir`; returns their paths.
pub fn write(results: &Results, dir: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let stem = results.date.replace([' ', ':'], "-").replace("-UTC", "");
    let md_path = dir.join(format!("{stem}.md"));
    let json_path = dir.join(format!("{stem}.json"));
    std::fs::write(
        &md_path,
        format!("# ocimcp benchmark\n\n{}", markdown(results)),
    )?;
    let mut json = serde_json::to_value(results)?;
    json["targets"] = serde_json::to_value(checks(results))?;
    std::fs::write(&json_path, serde_json::to_string_pretty(&json)?)?;
    Ok((md_path, json_path))
}

/// Replaces what lies between the markers in `docs` with these results.
pub fn update_docs(docs: &Path, results: &Results) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(docs)?;
    let (Some(begin), Some(end)) = (text.find(BEGIN), text.find(END)) else {
        anyhow::bail!(
            "{} has no results section: add the lines `{BEGIN}` and `{END}` where the results go",
            docs.display()
        );
    };
    anyhow::ensure!(
        begin < end,
        "{}: the end marker comes before the begin marker",
        docs.display()
    );
    let updated = format!(
        "{}{BEGIN}\n\n{}\n{}",
        &text[..begin],
        markdown(results),
        &text[end..]
    );
    std::fs::write(docs, updated)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        // 2026-11-21 is day 20778 since the epoch.
        assert_eq!(civil_date(20_778), (2026, 11, 21));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
    }
}
