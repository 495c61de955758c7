//! Reads the outline of a JSON object too large to keep: its top-level `id` and which
//! top-level keys it has, in constant memory, whatever is nested inside. Used for a
//! message over the size limit, so the request it answers can be failed by id.

use rmcp::model::RequestId;

/// Longest `id` value kept (a JSON number or string).
const MAX_ID_BYTES: usize = 256;
/// Longest top-level key kept; longer keys are not ones we look for.
const MAX_KEY_BYTES: usize = 16;

#[derive(Debug, Default)]
pub struct Outline {
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// At depth 1, the next string is a key.
    expect_key: bool,
    /// Capturing a top-level key (None: not capturing, or it got too long).
    key: Option<Vec<u8>>,
    capturing_key: bool,
    /// The last top-level key read, waiting for its value.
    last_key: Vec<u8>,
    /// Capturing the value of the top-level `id`.
    id: Option<Vec<u8>>,
    capturing_id: bool,
    id_done: bool,
    /// Top-level keys seen that matter: result, error, method.
    has_result: bool,
    has_error: bool,
    has_method: bool,
}

impl Outline {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.step(b);
        }
    }

    fn step(&mut self, b: u8) {
        if self.capturing_id && self.depth == 1 && !self.in_string && matches!(b, b',' | b'}') {
            self.capturing_id = false;
            self.id_done = true;
        }
        if self.capturing_id
            && let Some(id) = self.id.as_mut()
        {
            if id.len() < MAX_ID_BYTES {
                id.push(b);
            } else {
                self.id = None;
                self.capturing_id = false;
            }
        }
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
                if self.capturing_key {
                    self.capturing_key = false;
                    self.last_key = self.key.take().unwrap_or_default();
                }
                return;
            }
            if self.capturing_key
                && let Some(key) = self.key.as_mut()
            {
                if key.len() < MAX_KEY_BYTES {
                    key.push(b);
                } else {
                    self.key = None;
                }
            }
            return;
        }
        match b {
            b'"' => {
                self.in_string = true;
                if self.depth == 1 && self.expect_key {
                    self.expect_key = false;
                    self.capturing_key = true;
                    self.key = Some(Vec::new());
                }
            }
            b'{' | b'[' => {
                self.depth += 1;
                if self.depth == 1 {
                    self.expect_key = b == b'{';
                }
            }
            b'}' | b']' => self.depth = self.depth.saturating_sub(1),
            b',' if self.depth == 1 => self.expect_key = true,
            b':' if self.depth == 1 => {
                match self.last_key.as_slice() {
                    b"id" if !self.id_done => {
                        self.capturing_id = true;
                        self.id = Some(Vec::new());
                    }
                    b"result" => self.has_result = true,
                    b"error" => self.has_error = true,
                    b"method" => self.has_method = true,
                    _ => {}
                }
                self.last_key.clear();
            }
            _ => {}
        }
    }

    /// The top-level `id`, if the object had one that fits.
    pub fn id(&self) -> Option<RequestId> {
        if !self.id_done {
            return None;
        }
        let raw = self.id.as_ref()?;
        serde_json::from_slice(raw.trim_ascii()).ok()
    }

    /// A response (it has `result` or `error`), not a request or notification.
    pub fn is_response(&self) -> bool {
        (self.has_result || self.has_error) && !self.has_method
    }
}

#[cfg(test)]
mod tests {
    use rmcp::model::NumberOrString;

    use super::*;

    fn outline(text: &str) -> Outline {
        let mut outline = Outline::default();
        // Fed in small pieces, as it arrives.
        for chunk in text.as_bytes().chunks(3) {
            outline.feed(chunk);
        }
        outline
    }

    #[test]
    fn finds_the_top_level_id_wherever_it_is() {
        let front = outline(r#"{"jsonrpc":"2.0","id":7,"result":{"id":99,"x":"a\"}"}}"#);
        assert_eq!(front.id(), Some(NumberOrString::Number(7)));
        assert!(front.is_response());
        let back =
            outline(r#"{"jsonrpc":"2.0","result":{"content":[{"id":1}],"t":"}"},"id":"abc"}"#);
        assert_eq!(back.id(), Some(NumberOrString::String("abc".into())));
        let request = outline(r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{}}"#);
        assert_eq!(request.id(), Some(NumberOrString::Number(3)));
        assert!(!request.is_response());
    }

    #[test]
    fn nested_ids_and_missing_ids_are_not_taken() {
        let none = outline(r#"{"jsonrpc":"2.0","result":{"id":5}"#);
        assert_eq!(none.id(), None);
        let key_in_string = outline(r#"{"result":"\"id\":4","id" : 12 }"#);
        assert_eq!(key_in_string.id(), Some(NumberOrString::Number(12)));
    }
}
