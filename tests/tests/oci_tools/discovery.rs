//! Discovery tools (tests being written).
