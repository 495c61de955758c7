//! Rules tools (tests being written).
