//! The daemon's own JSON-RPC error codes, in one table so no two parts give one code two
//! meanings. `gateway/errors.rs` is where a failed call becomes an MCP error with one of
//! them; the transports and the backend client use the two that concern them. The admin
//! protocol's codes are `ocimcp_proto::admin`'s.

use rmcp::model::ErrorCode;

/// The backend cannot take calls right now (starting, restarting, failed, stopped).
pub const BACKEND_UNAVAILABLE: ErrorCode = ErrorCode(-32010);
/// The backend did not answer within `timeouts.call` (or sent no progress within
/// `timeouts.idle`).
pub const BACKEND_TIMEOUT: ErrorCode = ErrorCode(-32011);
/// The connection broke while the request was in flight, or the backend answered with
/// something that is not an answer to it.
pub const BACKEND_FAILED: ErrorCode = ErrorCode(-32012);
/// A backend's request (sampling, elicitation, roots) could not be passed to a client.
pub const NOT_RELAYED: ErrorCode = ErrorCode(-32013);
/// A message was over the size limit.
pub const TOO_LARGE: ErrorCode = ErrorCode(-32014);
/// Every slot at the backend is taken and its queue is full.
pub const BACKEND_BUSY: ErrorCode = ErrorCode(-32015);
/// The gateway is shutting down and takes no new requests.
pub const GATEWAY_STOPPING: ErrorCode = ErrorCode(-32016);
