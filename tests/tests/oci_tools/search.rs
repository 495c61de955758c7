//! Search tools (tests being written).
