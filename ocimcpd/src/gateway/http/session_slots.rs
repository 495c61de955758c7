//! Places for HTTP client sessions, in all (`max_sessions`) and per remote address
//! (`max_sessions_per_client`). A request that opens a session reserves its place before
//! it is handled, under one lock with the check, so parallel `initialize` requests cannot
//! all pass the limit together; the place becomes the session's once rmcp answers with a
//! session id, and is given back if it does not.
//!
//! Sessions end inside rmcp (closed by the client, or idle too long), so places held by
//! sessions are pruned against rmcp's list of open sessions. A list read concurrently
//! with new sessions being recorded may miss them; an epoch taken before the list was
//! read keeps those from being pruned.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::gateway::session::lock;

#[derive(Debug)]
pub struct SessionSlots {
    max: usize,
    max_per_client: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Session id → (the address that opened it, the epoch it was recorded in).
    owners: HashMap<String, (IpAddr, u64)>,
    /// Places reserved by requests still being handled, per address.
    pending: HashMap<IpAddr, usize>,
    /// Advances each time a session is recorded.
    epoch: u64,
}

/// A place reserved for a session being opened; given back when dropped unfilled.
#[derive(Debug)]
pub struct SessionSlot {
    slots: Arc<SessionSlots>,
    client: IpAddr,
}

impl SessionSlots {
    pub fn new(max: usize, max_per_client: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            max_per_client,
            state: Mutex::default(),
        })
    }

    /// The epoch to pass to [`SessionSlots::reserve`]: take it before reading the list of
    /// open sessions.
    pub fn epoch(&self) -> u64 {
        lock(&self.state).epoch
    }

    /// Reserves a place for a new session from `client`, or says why there is none.
    /// `open` is rmcp's list of open sessions, read after `epoch` was taken.
    pub fn reserve(
        self: &Arc<Self>,
        client: IpAddr,
        open: &HashSet<String>,
        epoch: u64,
    ) -> Result<SessionSlot, String> {
        let mut state = lock(&self.state);
        state
            .owners
            .retain(|id, (_, recorded)| *recorded > epoch || open.contains(id));
        let pending: usize = state.pending.values().sum();
        let total = state.owners.len() + pending;
        if total >= self.max {
            return Err(format!(
                "{total} sessions are open or opening ([gateway] max_sessions = {})",
                self.max
            ));
        }
        let mine = state
            .owners
            .values()
            .filter(|(ip, _)| *ip == client)
            .count()
            + state.pending.get(&client).copied().unwrap_or(0);
        if mine >= self.max_per_client {
            return Err(format!(
                "{client} has {mine} sessions open or opening ([gateway] max_sessions_per_client = {})",
                self.max_per_client
            ));
        }
        *state.pending.entry(client).or_default() += 1;
        Ok(SessionSlot {
            slots: self.clone(),
            client,
        })
    }
}

impl SessionSlot {
    /// The session `id` was opened: the place is now its own until rmcp forgets it.
    pub fn fill(self, id: String) {
        let mut state = lock(&self.slots.state);
        state.epoch += 1;
        let epoch = state.epoch;
        state.owners.insert(id, (self.client, epoch));
        // Drop gives the pending reservation back.
    }
}

impl Drop for SessionSlot {
    fn drop(&mut self) {
        let mut state = lock(&self.slots.state);
        if let Some(count) = state.pending.get_mut(&self.client) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                state.pending.remove(&self.client);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::net::{IpAddr, Ipv4Addr};

    use super::SessionSlots;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));

    #[test]
    fn places_being_opened_count_against_the_limits() {
        let slots = SessionSlots::new(3, 2);
        let none = HashSet::new();
        let epoch = slots.epoch();
        let _one = slots.reserve(A, &none, epoch).expect("first");
        let _two = slots.reserve(A, &none, epoch).expect("second");
        let refused = slots
            .reserve(A, &none, epoch)
            .expect_err("a third in flight");
        assert!(refused.contains("max_sessions_per_client = 2"), "{refused}");
        let _three = slots.reserve(B, &none, epoch).expect("B's own");
        let full = slots.reserve(B, &none, epoch).expect_err("three in all");
        assert!(full.contains("max_sessions = 3"), "{full}");
    }

    #[test]
    fn an_unfilled_place_is_given_back_and_a_closed_session_is_pruned() {
        let slots = SessionSlots::new(10, 1);
        let epoch = slots.epoch();
        let failed = slots.reserve(A, &HashSet::new(), epoch).expect("first");
        drop(failed);
        let opened = slots
            .reserve(A, &HashSet::new(), slots.epoch())
            .expect("the failed initialize gave its place back");
        opened.fill("s1".to_owned());
        let open: HashSet<String> = ["s1".to_owned()].into();
        let epoch = slots.epoch();
        slots
            .reserve(A, &open, epoch)
            .expect_err("s1 is open and holds A's only place");
        let epoch = slots.epoch();
        slots
            .reserve(A, &HashSet::new(), epoch)
            .expect("s1 closed: its place is free");
    }

    #[test]
    fn a_session_recorded_after_the_list_was_read_is_not_pruned() {
        let slots = SessionSlots::new(10, 1);
        // The list of open sessions is read (empty) ...
        let epoch = slots.epoch();
        let listed = HashSet::new();
        // ... while another request records its new session.
        slots
            .reserve(A, &HashSet::new(), slots.epoch())
            .expect("place")
            .fill("s1".to_owned());
        slots
            .reserve(A, &listed, epoch)
            .expect_err("s1 is newer than the list, so it still counts");
    }
}
