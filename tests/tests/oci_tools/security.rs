//! Security tools (tests being written).
