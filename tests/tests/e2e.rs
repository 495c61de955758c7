//! Every end-to-end test in one binary (each test binary is a full link of the workspace,
//! minutes on a 2-core CI machine). One module per area; `cargo nextest run -p
//! ocimcp-tests -E 'test(/^faults::/)'` (or `cargo test -p ocimcp-tests --test e2e
//! faults::`) runs one area.

mod auth;
mod client_limits;
mod conformance;
mod control;
mod daemon_core;
mod faults;
mod manifests;
mod oci_api;
mod oci_operations;
mod oci_signer_python;
mod oci_tools;
mod packaging;
mod relay;
mod routing;
mod systemd;
mod trust;
mod units;
