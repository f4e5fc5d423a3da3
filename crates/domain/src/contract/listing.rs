//! Contract of [`TicketRepository::list`](crate::ports::TicketRepository::list) and
//! [`TicketRepository::list_page`](crate::ports::TicketRepository::list_page): board order,
//! filters, pages, and tickets the caller holds already.

use super::Factory;
use super::fixtures::{actor, apply, at, board, column, columns, ok, some, ticket, ticket_in};
use crate::board::{BoardPatch, Relocation};
use crate::event::EventKind;
use crate::ids::TicketId;
use crate::page::PageRequest;
use crate::ports::{Listed, Repositories, TicketFilter};
use crate::ticket::Ticket;
use crate::values::AssigneeName;
use std::collections::HashMap;

fn assignee(name: &str) -> AssigneeName {
    ok(AssigneeName::parse("assignee", name), "assignee")
}

fn titles(tickets: &[Ticket]) -> Vec<&str> {
    tickets.iter().map(|t| t.title.as_str()).collect()
}

/// Every matching ticket (`list`), or one page of them read in full (`list_page` holding
/// none), with the number matching.
fn list(
    repos: &Repositories,
    filter: &TicketFilter,
    page: Option<PageRequest>,
) -> (Vec<Ticket>, u64) {
    let Some(page) = page else {
        let all = ok(repos.tickets.list(filter), "list tickets");
        let total = all.len() as u64;
        return (all, total);
    };
    let (items, total) = ok(
        repos.tickets.list_page(filter, page, &mut |_, _| false),
        "list a page",
    );
    let items = items
        .into_iter()
        .map(|listed| match listed {
            Listed::Read(ticket) => ticket,
            held @ Listed::Held { .. } => panic!("nothing is held, yet {held:?}"),
        })
        .collect();
    (items, total)
}

/// `list_page` asks about each ticket of the page once, in board order, with its current
/// version. One held at that version comes back as its id and version; every other one in full,
/// as `list` has it. A change gives a ticket a new version, so an older one held counts no more.
pub fn ticket_list_page_skips_tickets_held_at_their_version(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Done"], at(0)).value.board;
    for i in 0..6_u32 {
        let column = ["Todo", "Done"][(i % 2) as usize];
        ticket(&repos, &ops, &format!("t{i}"), column, f64::from(i), at(1));
    }
    let all = TicketFilter::board(ops.id);
    let before = ok(repos.tickets.list(&all), "list");
    assert_eq!(titles(&before), ["t0", "t2", "t4", "t1", "t3", "t5"]);
    // The caller holds t0, t4 and t3 as they are now; then t0 is claimed.
    let holding: HashMap<TicketId, i64> = before
        .iter()
        .step_by(2)
        .map(|t| (t.id, t.version))
        .collect();
    let claim = ok(before[0].claim(&assignee("bot"), &actor(), at(2)), "claim");
    apply(&repos, &claim, EventKind::TicketClaimed);
    let now = ok(repos.tickets.list(&all), "list");

    for (n, slice) in [(1, &now[..4]), (2, &now[4..])] {
        let mut asked = Vec::new();
        let (items, total) = ok(
            repos.tickets.list_page(
                &all,
                ok(PageRequest::new(n, 4), "page"),
                &mut |id, version| {
                    asked.push((id, version));
                    holding.get(&id) == Some(&version)
                },
            ),
            "list a page",
        );
        assert_eq!(total, 6, "page {n}");
        let versions: Vec<(TicketId, i64)> = slice.iter().map(|t| (t.id, t.version)).collect();
        assert_eq!(asked, versions, "page {n}: asked about each ticket once");
        let expected: Vec<Listed> = slice
            .iter()
            .map(|t| {
                if holding.get(&t.id) == Some(&t.version) {
                    Listed::Held {
                        id: t.id,
                        version: t.version,
                    }
                } else {
                    Listed::Read(t.clone())
                }
            })
            .collect();
        assert_eq!(items, expected, "page {n}");
        let held: Vec<bool> = items
            .iter()
            .map(|listed| matches!(listed, Listed::Held { .. }))
            .collect();
        let expected_held: &[bool] = match n {
            1 => &[false, false, true, false],
            _ => &[true, false],
        };
        assert_eq!(
            held, expected_held,
            "page {n}: t0 changed since it was held"
        );
    }
}

/// Records what `list_page` tells it and offers a count at one stamp only.
struct Counts {
    offered: Option<(i64, u64)>,
    counted: Vec<(i64, u64)>,
}

impl crate::ports::Holding for Counts {
    fn holds(&mut self, _: TicketId, _: i64) -> bool {
        false
    }

    fn matching_at(&mut self, stamp: i64) -> Option<u64> {
        self.offered
            .filter(|(at, _)| *at == stamp)
            .map(|(_, matching)| matching)
    }

    fn counted(&mut self, stamp: i64, matching: u64) {
        self.counted.push((stamp, matching));
    }
}

/// A count `list_page` makes is told at the board's stamp (its last event's sequence number);
/// a count the caller holds at another stamp is never taken for the board as it is.
pub fn ticket_list_page_counts_at_the_boards_stamp(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Done"], at(0)).value.board;
    for i in 0..3_u32 {
        ticket(&repos, &ops, &format!("t{i}"), "Todo", f64::from(i), at(1));
    }
    let all = TicketFilter::board(ops.id);
    let page = ok(PageRequest::new(1, 2), "page");
    let stamp = ok(repos.events.last_seq(ops.id), "stamp");
    let mut counts = Counts {
        offered: None,
        counted: Vec::new(),
    };
    let (_, total) = ok(repos.tickets.list_page(&all, page, &mut counts), "list");
    assert_eq!(total, 3);
    for told in &counts.counted {
        assert_eq!(*told, (stamp, 3), "told at the board's stamp");
    }
    // A count held from before the last change is not the board's count now.
    ticket(&repos, &ops, "t3", "Done", 3.0, at(2));
    let mut counts = Counts {
        offered: Some((stamp, 3)),
        counted: Vec::new(),
    };
    let (items, total) = ok(repos.tickets.list_page(&all, page, &mut counts), "list");
    assert_eq!(
        (items.len(), total),
        (2, 4),
        "counted again after the change"
    );
    let now = ok(repos.events.last_seq(ops.id), "stamp");
    assert!(now > stamp);
    for told in &counts.counted {
        assert_eq!(*told, (now, 4));
    }
}

/// Board order: column position on the board (not name), then numeric priority, then id.
pub fn ticket_list_orders_by_column_position_priority_and_id(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Zeta", "Alpha", "Mid"], at(0))
        .value
        .board;
    ticket(&repos, &ops, "mid", "Mid", 0.0, at(1));
    ticket(&repos, &ops, "zeta-10", "Zeta", 10.0, at(1));
    ticket(&repos, &ops, "zeta-2-first", "Zeta", 2.0, at(1));
    ticket(&repos, &ops, "alpha", "Alpha", 1.0, at(1));
    ticket(&repos, &ops, "zeta-2-second", "Zeta", 2.0, at(1));
    ticket(&repos, &ops, "zeta-9.5", "Zeta", 9.5, at(1));
    let (all, total) = list(&repos, &TicketFilter::board(ops.id), None);
    assert_eq!(total, 6);
    let expected = [
        "zeta-2-first",
        "zeta-2-second",
        "zeta-9.5",
        "zeta-10",
        "alpha",
        "mid",
    ];
    assert_eq!(titles(&all), expected);

    // Reordering the columns reorders the listing.
    let patch = BoardPatch {
        columns: Some(columns(&["Mid", "Alpha", "Zeta"])),
        ..BoardPatch::default()
    };
    let update = some(
        ok(
            ops.apply_patch(&patch, Relocation::Refuse, &[], &actor(), at(2)),
            "decide",
        ),
        "a change",
    );
    ok(repos.boards.update(&update, &[]), "reorder");
    let (all, _) = list(&repos, &TicketFilter::board(ops.id), None);
    let expected = [
        "mid",
        "alpha",
        "zeta-2-first",
        "zeta-2-second",
        "zeta-9.5",
        "zeta-10",
    ];
    assert_eq!(titles(&all), expected);
}

/// Column and assignee filters, other boards excluded, pages with the total of all matches.
pub fn ticket_list_filters_and_pages(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Todo", "Doing", "Done"], at(0))
        .value
        .board;
    let dev = board(&repos, "Dev", &["Todo"], at(0)).value.board;
    ticket(&repos, &dev, "elsewhere", "Todo", 1.0, at(1));
    for (i, column) in ["Todo", "Doing", "Todo", "Done", "Todo"].iter().enumerate() {
        let t = ticket(&repos, &ops, &format!("t{i}"), column, 1.0, at(1));
        if i % 2 == 0 {
            let claim = ok(t.claim(&assignee("bot"), &actor(), at(2)), "claim");
            apply(&repos, &claim, EventKind::TicketClaimed);
        }
    }
    let all = TicketFilter::board(ops.id);
    assert_eq!(
        titles(&list(&repos, &all, None).0),
        ["t0", "t2", "t4", "t1", "t3"]
    );

    let todo = TicketFilter {
        columns: vec![column("Todo")],
        ..all.clone()
    };
    let (items, total) = list(&repos, &todo, None);
    assert_eq!((titles(&items), total), (vec!["t0", "t2", "t4"], 3));
    let two = TicketFilter {
        columns: vec![column("Done"), column("Doing")],
        ..all.clone()
    };
    assert_eq!(titles(&list(&repos, &two, None).0), ["t1", "t3"]);
    let bot = TicketFilter {
        assignee: Some(assignee("bot")),
        ..all.clone()
    };
    assert_eq!(titles(&list(&repos, &bot, None).0), ["t0", "t2", "t4"]);
    let nobody = TicketFilter {
        assignee: Some(assignee("nobody")),
        ..all.clone()
    };
    assert_eq!(list(&repos, &nobody, None), (Vec::new(), 0));
    let both = TicketFilter {
        columns: vec![column("Done")],
        assignee: Some(assignee("bot")),
        ..all.clone()
    };
    assert_eq!(list(&repos, &both, None), (Vec::new(), 0));

    let page = |n, size| Some(ok(PageRequest::new(n, size), "page"));
    let (items, total) = list(&repos, &all, page(2, 2));
    assert_eq!((titles(&items), total), (vec!["t4", "t1"], 5));
    let (items, total) = list(&repos, &all, page(3, 2));
    assert_eq!((titles(&items), total), (vec!["t3"], 5));
    let (items, total) = list(&repos, &all, page(4, 2));
    assert_eq!((items.len(), total), (0, 5));
    let (items, total) = list(&repos, &bot, page(1, 2));
    assert_eq!((titles(&items), total), (vec!["t0", "t2"], 3));

    // A ticket in a column its board does not have (imported data) is found by that name, and
    // sorts after the board's columns.
    ticket_in(&repos, &dev, "archived", column("Archive"), 0.0, at(1));
    let archive = |names: &[&str]| TicketFilter {
        columns: names.iter().map(|name| column(name)).collect(),
        ..TicketFilter::board(dev.id)
    };
    let (items, total) = list(&repos, &archive(&["Archive"]), None);
    assert_eq!((titles(&items), total), (vec!["archived"], 1));
    let (items, total) = list(&repos, &archive(&["Archive", "Todo"]), page(1, 5));
    assert_eq!((titles(&items), total), (vec!["elsewhere", "archived"], 2));
}

/// Every page, for every page size, is the matching slice of the unpaged board order (ties of
/// priority broken by id, columns in board order, filters applied), with the total of all
/// matches; a page past the end is empty. Storage may find a page's rows another way than the
/// unpaged listing (by id, through an index), never in another order.
pub fn ticket_list_pages_are_slices_of_the_board_order(make: Factory<'_>) {
    let repos = make();
    let ops = board(&repos, "Ops", &["Later", "Now", "Done"], at(0))
        .value
        .board;
    let other = board(&repos, "Other", &["Later"], at(0)).value.board;
    for i in 0..23_u32 {
        // Columns and priorities interleaved with creation order, with many ties.
        let column = ["Now", "Done", "Later"][(i % 3) as usize];
        let priority = f64::from((i * 7) % 4) * 0.5;
        let t = ticket(&repos, &ops, &format!("t{i}"), column, priority, at(1));
        if i % 4 == 0 {
            let claim = ok(t.claim(&assignee("bot"), &actor(), at(2)), "claim");
            apply(&repos, &claim, EventKind::TicketClaimed);
        }
        if i % 5 == 0 {
            ticket(&repos, &other, &format!("o{i}"), "Later", priority, at(1));
        }
    }
    let all = TicketFilter::board(ops.id);
    let filters = [
        all.clone(),
        TicketFilter {
            columns: vec![column("Done"), column("Later")],
            ..all.clone()
        },
        TicketFilter {
            assignee: Some(assignee("bot")),
            ..all.clone()
        },
    ];
    for filter in &filters {
        let (everything, total) = list(&repos, filter, None);
        assert_eq!(total, everything.len() as u64);
        for size in [1_u32, 2, 5, 7, 100] {
            let pages = everything.len().div_ceil(size as usize) as u32;
            for n in 1..=pages + 1 {
                let request = ok(PageRequest::new(n, size), "page");
                let (items, page_total) = list(&repos, filter, Some(request));
                let from = ((n - 1) * size) as usize;
                let expected: Vec<&str> = titles(&everything)
                    .into_iter()
                    .skip(from)
                    .take(size as usize)
                    .collect();
                assert_eq!(
                    (titles(&items), page_total),
                    (expected, total),
                    "page {n} of size {size} with {filter:?}"
                );
                // Whole tickets, not only their titles.
                assert_eq!(
                    items,
                    everything[from.min(everything.len())..][..items.len()]
                );
            }
        }
    }
}
