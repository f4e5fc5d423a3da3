//! Encoded pages of `GET /api/tickets`, kept until their board changes.
//!
//! A page of 100 tickets is about 40 KB of JSON: reading its rows, counting the board and encoding
//! it cost about 400 µs of CPU, while agents and boards on screen ask for the same pages again and
//! again between changes. Each page is kept with its board's stamp, the sequence number of the
//! board's last event (`EventLog::last_seq`), read from the database before the page: every
//! committed change of a board or of its tickets appends an event in its own transaction, so the
//! stamp moves with every change the page could show. A page computed after reading stamp `s`
//! shows the board as of `s` or later, never earlier; it is served again to requests that read
//! `s` or an earlier stamp, for which that is a correct answer: it shows every change committed
//! before they read their stamp (a change committed since was still in flight when they did). The
//! stamp comes from the database rather than from this process, so changes made by another server
//! on the same database count too.
//!
//! So a request that waited for a thread to compute its page takes, if there is one by then, the
//! page another request computed meanwhile: under a stream of changes, where pages are computed
//! afresh, requests queued for the same page share one computation instead of each making it.
//!
//! The cache also keeps, for each listing (a board and a filter), how many tickets it matched at
//! a stamp, read by the storage inside the page's own snapshot: the pages of a listing computed
//! at the same stamp share one count ([`PageCache::matching_at`]).
//!
//! A kept page also tells how many tickets matched when it was computed ([`Lookup::Stale`]): what
//! computing it again will count and walk, give or take the changes since, so the handler can
//! tell a page cheap enough to compute on the worker thread from one that needs the hop.
//!
//! The cache holds at most [`PageCache::BUDGET`] bytes of pages; past that it starts over.
//!
//! Under a stream of changes pages are computed afresh, yet most of their tickets did not change.
//! [`TicketBodies`] keeps each ticket's JSON with the version it was encoded at; a page computed
//! afresh reads only the ids and versions of its tickets, takes the encoding of every ticket at a
//! version it holds, and reads and encodes only the others. Every change of a ticket gives it a
//! new version (its ETag), and ids are never reused (`AUTOINCREMENT`), so an encoding held at
//! the ticket's current version is the ticket as it is.

use actix_web::web::Bytes;
use kanban_domain::TicketId;
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Which page of which listing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub board: i64,
    pub column: Option<String>,
    pub assignee: Option<String>,
    pub page: u32,
    pub page_size: u32,
}

#[derive(Debug, Default)]
struct Pages {
    entries: HashMap<PageKey, Kept>,
    bytes: usize,
    /// How many tickets each listing (a board and a filter, any page) matched at a stamp.
    counts: HashMap<Listing, (i64, u64)>,
}

/// A listing: its board and filter, without the page.
type Listing = (i64, Option<String>, Option<String>);

impl PageKey {
    fn listing(&self) -> Listing {
        (self.board, self.column.clone(), self.assignee.clone())
    }
}

/// A page as kept: the stamp it was computed at, how many tickets matched then, its JSON.
#[derive(Debug)]
struct Kept {
    stamp: i64,
    matching: u64,
    body: Bytes,
}

/// What the cache has for a page at a stamp.
#[derive(Debug)]
pub enum Lookup {
    /// The page, computed at that stamp or a later one.
    Page(Bytes),
    /// Only an older computation of it, when this many tickets matched.
    Stale { matching: u64 },
    /// Nothing.
    Unknown,
}

/// Encoded pages and the board stamps they were computed at.
#[derive(Debug, Default)]
pub struct PageCache {
    pages: Mutex<Pages>,
}

impl PageCache {
    /// The most page bytes kept.
    pub const BUDGET: usize = 8 * 1024 * 1024;

    /// The page of `key`, if it was computed at `stamp` or a later one.
    pub fn get(&self, key: &PageKey, stamp: i64) -> Option<Bytes> {
        match self.lookup(key, stamp) {
            Lookup::Page(body) => Some(body),
            Lookup::Stale { .. } | Lookup::Unknown => None,
        }
    }

    /// The page of `key` if it was computed at `stamp` or a later one, else how many tickets
    /// matched when it was last computed (what computing it again will walk, give or take the
    /// changes since).
    pub fn lookup(&self, key: &PageKey, stamp: i64) -> Lookup {
        let pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        match pages.entries.get(key) {
            Some(kept) if kept.stamp >= stamp => Lookup::Page(kept.body.clone()),
            Some(kept) => Lookup::Stale {
                matching: kept.matching,
            },
            None => Lookup::Unknown,
        }
    }

    /// Keeps `body`, the page of `key` computed after reading `stamp` when `matching` tickets
    /// matched, unless one computed at a later stamp is kept already.
    pub fn put(&self, key: PageKey, stamp: i64, matching: u64, body: Bytes) {
        if body.len() > Self::BUDGET {
            return;
        }
        let mut pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        if pages
            .entries
            .get(&key)
            .is_some_and(|kept| kept.stamp > stamp)
        {
            return;
        }
        if pages.bytes + body.len() > Self::BUDGET {
            pages.entries.clear();
            pages.counts.clear();
            pages.bytes = 0;
        }
        pages.bytes += body.len();
        let kept = Kept {
            stamp,
            matching,
            body,
        };
        if let Some(replaced) = pages.entries.insert(key, kept) {
            pages.bytes -= replaced.body.len();
        }
    }
}

impl PageCache {
    /// The most listings whose count is kept (each filter by assignee is one).
    pub const COUNTS: usize = 4096;

    /// How many tickets the listing of `key` matched at `stamp`, if counted at that stamp.
    pub fn matching_at(&self, key: &PageKey, stamp: i64) -> Option<u64> {
        let pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        pages
            .counts
            .get(&key.listing())
            .filter(|(at, _)| *at == stamp)
            .map(|(_, matching)| *matching)
    }

    /// Keeps how many tickets the listing of `key` matched at `stamp`, unless a count at a later
    /// stamp is kept already.
    pub fn counted(&self, key: &PageKey, stamp: i64, matching: u64) {
        let mut pages = self.pages.lock().unwrap_or_else(PoisonError::into_inner);
        let listing = key.listing();
        if pages
            .counts
            .get(&listing)
            .is_some_and(|(at, _)| *at > stamp)
        {
            return;
        }
        if pages.counts.len() >= Self::COUNTS && !pages.counts.contains_key(&listing) {
            pages.counts.clear();
        }
        pages.counts.insert(listing, (stamp, matching));
    }
}

/// Tickets' JSON, each with the version it was encoded at.
#[derive(Debug, Default)]
pub struct TicketBodies {
    bodies: Mutex<Bodies>,
}

#[derive(Debug, Default)]
struct Bodies {
    entries: HashMap<TicketId, (i64, Arc<RawValue>)>,
    bytes: usize,
}

impl TicketBodies {
    /// The most bytes of JSON kept (about 20,000 tickets of usual size).
    pub const BUDGET: usize = 8 * 1024 * 1024;

    /// The JSON of ticket `id` at `version`, if kept.
    pub fn get(&self, id: TicketId, version: i64) -> Option<Arc<RawValue>> {
        let bodies = self.bodies.lock().unwrap_or_else(PoisonError::into_inner);
        bodies
            .entries
            .get(&id)
            .filter(|(at, _)| *at == version)
            .map(|(_, body)| body.clone())
    }

    /// Keeps `body`, the JSON of ticket `id` at `version`, unless a later version is kept.
    pub fn put(&self, id: TicketId, version: i64, body: Arc<RawValue>) {
        let size = body.get().len();
        if size > Self::BUDGET {
            return;
        }
        let mut bodies = self.bodies.lock().unwrap_or_else(PoisonError::into_inner);
        if bodies.entries.get(&id).is_some_and(|(at, _)| *at > version) {
            return;
        }
        if bodies.bytes + size > Self::BUDGET {
            bodies.entries.clear();
            bodies.bytes = 0;
        }
        bodies.bytes += size;
        if let Some((_, replaced)) = bodies.entries.insert(id, (version, body)) {
            bodies.bytes -= replaced.get().len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(page: u32) -> PageKey {
        PageKey {
            board: 1,
            column: None,
            assignee: None,
            page,
            page_size: 100,
        }
    }

    #[test]
    fn a_page_is_served_up_to_the_stamp_it_was_computed_at() {
        let cache = PageCache::default();
        assert!(cache.get(&key(1), 3).is_none());
        cache.put(key(1), 3, 0, Bytes::from_static(b"page at 3"));
        assert_eq!(cache.get(&key(1), 3).unwrap(), "page at 3");
        assert_eq!(
            cache.get(&key(1), 2).unwrap(),
            "page at 3",
            "a request that read an earlier stamp: the page shows all it must"
        );
        assert!(cache.get(&key(1), 4).is_none(), "the board changed since");
        assert!(cache.get(&key(2), 3).is_none(), "another page");
        let other_filter = PageKey {
            column: Some("Done".into()),
            ..key(1)
        };
        assert!(cache.get(&other_filter, 3).is_none(), "another filter");
        cache.put(key(1), 4, 0, Bytes::from_static(b"page at 4"));
        assert_eq!(cache.get(&key(1), 4).unwrap(), "page at 4");
        assert_eq!(cache.get(&key(1), 3).unwrap(), "page at 4", "replaced");
        cache.put(key(1), 2, 0, Bytes::from_static(b"page at 2"));
        assert_eq!(
            cache.get(&key(1), 4).unwrap(),
            "page at 4",
            "a page computed at an earlier stamp, finished later, does not replace it"
        );
    }

    #[test]
    fn a_page_kept_at_an_older_stamp_tells_how_many_tickets_matched() {
        let cache = PageCache::default();
        assert!(matches!(cache.lookup(&key(1), 1), Lookup::Unknown));
        cache.put(key(1), 3, 1_500, Bytes::from_static(b"page at 3"));
        assert!(matches!(cache.lookup(&key(1), 3), Lookup::Page(body) if body == "page at 3"));
        assert!(matches!(
            cache.lookup(&key(1), 4),
            Lookup::Stale { matching: 1_500 }
        ));
        assert!(matches!(cache.lookup(&key(2), 3), Lookup::Unknown));
    }

    #[test]
    fn it_starts_over_past_its_budget() {
        let cache = PageCache::default();
        let half = Bytes::from(vec![b'x'; PageCache::BUDGET / 2 + 1]);
        cache.put(key(1), 1, 0, half.clone());
        cache.put(key(1), 2, 0, half.clone());
        assert!(
            cache.get(&key(1), 2).is_some(),
            "a replaced page frees its bytes"
        );
        cache.put(key(2), 1, 0, half);
        assert!(cache.get(&key(1), 2).is_none(), "over budget: started over");
        assert!(cache.get(&key(2), 1).is_some());
        cache.put(key(3), 1, 0, Bytes::from(vec![b'x'; PageCache::BUDGET + 1]));
        assert!(
            cache.get(&key(3), 1).is_none(),
            "larger than the budget: not kept"
        );
    }

    fn body(json: &str) -> Arc<RawValue> {
        Arc::from(RawValue::from_string(json.to_owned()).unwrap())
    }

    #[test]
    fn a_ticket_body_is_served_at_its_version_only() {
        let bodies = TicketBodies::default();
        let id = TicketId::new(7);
        assert!(bodies.get(id, 1).is_none());
        bodies.put(id, 2, body(r#"{"version":2}"#));
        assert_eq!(bodies.get(id, 2).unwrap().get(), r#"{"version":2}"#);
        assert!(bodies.get(id, 1).is_none(), "an older version");
        assert!(bodies.get(id, 3).is_none(), "changed since");
        assert!(bodies.get(TicketId::new(8), 2).is_none(), "another ticket");
        bodies.put(id, 1, body(r#"{"version":1}"#));
        assert_eq!(
            bodies.get(id, 2).unwrap().get(),
            r#"{"version":2}"#,
            "an older version encoded later does not replace a newer one"
        );
        bodies.put(id, 3, body(r#"{"version":3}"#));
        assert_eq!(bodies.get(id, 3).unwrap().get(), r#"{"version":3}"#);
        assert!(bodies.get(id, 2).is_none(), "replaced");
    }

    #[test]
    fn ticket_bodies_start_over_past_their_budget() {
        let bodies = TicketBodies::default();
        let half = format!("\"{}\"", "x".repeat(TicketBodies::BUDGET / 2));
        bodies.put(TicketId::new(1), 1, body(&half));
        bodies.put(TicketId::new(1), 2, body(&half));
        assert!(
            bodies.get(TicketId::new(1), 2).is_some(),
            "a replaced body frees its bytes"
        );
        bodies.put(TicketId::new(2), 1, body(&half));
        assert!(bodies.get(TicketId::new(1), 2).is_none(), "started over");
        assert!(bodies.get(TicketId::new(2), 1).is_some());
        let huge = format!("\"{}\"", "x".repeat(TicketBodies::BUDGET));
        bodies.put(TicketId::new(3), 1, body(&huge));
        assert!(
            bodies.get(TicketId::new(3), 1).is_none(),
            "larger than the budget: not kept"
        );
    }
}
