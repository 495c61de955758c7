//! What MCP clients may learn of a backend: its state, counts and a summary of why it
//! failed, but not its process id, the lines it wrote to stderr, or the URLs it connects
//! to. Those may hold paths, hosts and secrets, and belong to the operator: `ocimcpctl`
//! (the admin socket) shows them whole.

use ocimcp_proto::backend::BackendReport;

/// Where the rest of an error is, for the client to pass on to an operator.
const DETAILS: &str = "details: `ocimcpctl show <backend>` on the gateway host";

/// A backend's report as MCP clients see it.
pub fn for_clients(mut report: BackendReport) -> BackendReport {
    report.pid = None;
    report.last_error = report.last_error.as_deref().map(error_for_clients);
    report.last_exit = report.last_exit.as_deref().map(error_for_clients);
    report
}

/// An error message without the stderr tail the daemon appends (`; stderr: ...`) and
/// with every URL replaced by `<url>`.
pub fn error_for_clients(error: &str) -> String {
    let (summary, had_stderr) = match error.split_once("; stderr: ") {
        Some((summary, _)) => (summary, true),
        None => (error, false),
    };
    let mut out = without_urls(summary);
    if had_stderr || out != summary {
        out.push_str(&format!(" ({DETAILS})"));
    }
    out
}

/// `text` with each `scheme://...` run (up to a space, quote or closing bracket) replaced.
fn without_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let scheme_start = rest[..at]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'))
            .map_or(0, |i| i + 1);
        if scheme_start == at {
            // "://" with no scheme before it: not a URL; keep it and go on.
            out.push_str(&rest[..at + 3]);
            rest = &rest[at + 3..];
            continue;
        }
        let end = rest[at..]
            .find(|c: char| {
                c.is_whitespace() || matches!(c, ')' | ']' | '}' | '"' | '\'' | '>' | '`')
            })
            .map_or(rest.len(), |i| at + i);
        out.push_str(&rest[..scheme_start]);
        out.push_str("<url>");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::error_for_clients;

    #[test]
    fn stderr_tails_and_urls_are_left_out() {
        assert_eq!(
            error_for_clients("process died (exit code 1); stderr: token=abc | at /srv/x.py"),
            "process died (exit code 1) (details: `ocimcpctl show <backend>` on the gateway host)"
        );
        assert_eq!(
            error_for_clients(
                "connecting failed: error sending request for url (https://user:pw@10.0.0.5:8443/mcp?key=1)"
            ),
            "connecting failed: error sending request for url (<url>) (details: `ocimcpctl show <backend>` on the gateway host)"
        );
        assert_eq!(error_for_clients("is hung"), "is hung");
        assert_eq!(error_for_clients("odd ://x"), "odd ://x");
    }
}
