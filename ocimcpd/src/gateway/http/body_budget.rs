//! The request bytes in flight across all HTTP connections
//! (`[gateway] max_inflight_request_bytes`). A request takes its share before its body is
//! read (its `Content-Length`; a body sent without one takes its share as it arrives),
//! then, before the body is parsed, grows it to what the parsed message will take
//! ([`parsed_cost`]: JSON of many small values takes many times its size), and holds it
//! until its answer is done, since the parsed message lives that long. So a few bodies
//! of small values cannot exhaust memory together, and one that alone would take more
//! than the whole budget is refused outright.

use std::sync::{Arc, Mutex};

use crate::gateway::session::lock;

/// What a parsed JSON value takes, at most, beyond its text: the value itself (32 bytes
/// in `serde_json`) and its place in a growing array or map.
const VALUE_COST: usize = 64;

/// What a JSON body will take once parsed, estimated from its text in one pass: its size,
/// and [`VALUE_COST`] for each value and member (counted by the `[`, `{`, `,` and `:`
/// outside strings).
pub fn parsed_cost(body: &[u8]) -> usize {
    let mut values = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else {
            match byte {
                b'"' => in_string = true,
                b'[' | b'{' | b',' | b':' => values += 1,
                _ => {}
            }
        }
    }
    body.len().saturating_add(values.saturating_mul(VALUE_COST))
}

#[derive(Debug)]
pub struct BodyBudget {
    total: usize,
    used: Mutex<usize>,
}

/// Bytes of the budget a request holds; given back when dropped.
#[derive(Debug)]
pub struct BodyShare {
    budget: Arc<BodyBudget>,
    bytes: usize,
}

impl BodyBudget {
    pub fn new(total: usize) -> Arc<Self> {
        Arc::new(Self {
            total,
            used: Mutex::new(0),
        })
    }

    pub fn total(&self) -> usize {
        self.total
    }

    /// `bytes` of the budget, or why they are not there now.
    pub fn take(self: &Arc<Self>, bytes: usize) -> Result<BodyShare, String> {
        self.reserve(bytes)?;
        Ok(BodyShare {
            budget: self.clone(),
            bytes,
        })
    }

    fn reserve(&self, bytes: usize) -> Result<(), String> {
        let mut used = lock(&self.used);
        if used.saturating_add(bytes) > self.total {
            return Err(format!(
                "request bodies of {} are being read already and this one may take {} more ([gateway] max_inflight_request_bytes = {})",
                crate::config::describe_size(*used),
                crate::config::describe_size(bytes),
                crate::config::describe_size(self.total),
            ));
        }
        *used += bytes;
        Ok(())
    }
}

impl BodyShare {
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// `more` bytes on top of this share, or why they are not there now.
    pub fn grow(&mut self, more: usize) -> Result<(), String> {
        self.budget.reserve(more)?;
        self.bytes += more;
        Ok(())
    }
}

impl Drop for BodyShare {
    fn drop(&mut self) {
        let mut used = lock(&self.budget.used);
        *used = used.saturating_sub(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::{BodyBudget, VALUE_COST, parsed_cost};

    #[test]
    fn small_values_cost_more_than_their_text_and_strings_only_their_text() {
        assert_eq!(parsed_cost(b"[1,1,1]"), 7 + 3 * VALUE_COST);
        assert_eq!(parsed_cost(br#"{"a":1,"b":[]}"#), 14 + 5 * VALUE_COST);
        // Brackets, commas and escaped quotes inside a string are text.
        let text = br#"{"t":"[1,2,{\"x\":3}]"}"#;
        assert_eq!(parsed_cost(text), text.len() + 2 * VALUE_COST);
    }

    #[test]
    fn shares_are_refused_beyond_the_budget_and_given_back() {
        let budget = BodyBudget::new(10 << 20);
        let first = budget.take(4 << 20).expect("4 MiB of 10");
        let _second = budget.take(4 << 20).expect("8 MiB of 10");
        let refused = budget.take(4 << 20).expect_err("12 MiB of 10");
        assert!(
            refused.contains("max_inflight_request_bytes = 10 MiB"),
            "{refused}"
        );
        let mut grown = budget.take(1 << 20).expect("9 MiB of 10");
        grown.grow(1 << 20).expect("exactly the budget");
        grown.grow(1).expect_err("one byte over");
        assert_eq!(grown.bytes(), 2 << 20);
        drop(grown);
        drop(first);
        budget
            .take(6 << 20)
            .expect("both shares were given back whole");
    }
}
