//! What both ends of the local sockets (`admin.sock`, `mcp.sock`) agree on: the group
//! that may use them, and the JSON-RPC error code a refused peer gets.

/// The group given access to the sockets when it exists (the packages create it).
pub const SOCKET_GROUP: &str = "ocimcp";

/// JSON-RPC error code of a refusal (the same on both sockets).
pub const REFUSED: i64 = -32001;
