//! The event log: appending a change's events with per-board sequence numbers (inside the
//! change's transaction), and the [`EventLog`] port for replay and pruning.

use crate::error::{CorruptRow, Work};
use crate::pool::SqliteStore;
use crate::prepared::{KeepPrepared, run_prepared};
use crate::rows::{EventRow, NewEventRow, from_db, to_db};
use crate::schema::{event_sequences, events};
use diesel::dsl::{max, min};
use diesel::prelude::*;
use kanban_domain::ports::EventLog;
use kanban_domain::{BoardId, Event, EventData, EventKind, NewEvent, StoreError, Timestamp};

/// The sequence number of `board`'s last event (0 before any), in `conn`'s snapshot: the board's
/// stamp (`EventLog::last_seq`).
pub(crate) fn last_seq_of(conn: &mut SqliteConnection, board: BoardId) -> Work<i64> {
    Ok(event_sequences::table
        .find(board.get())
        .select(event_sequences::last_seq)
        .first::<i64>(conn)
        .optional()?
        .unwrap_or(0))
}

/// Appends `new` to the log, numbering each event after the last sequence number its board ever
/// had (kept in `event_sequences`, so numbers are never reused, even after pruning). The payloads
/// are stored as the JSON text they already are.
pub(crate) fn append(conn: &mut SqliteConnection, new: Vec<NewEvent>) -> Work<Vec<Event>> {
    enum NextSeq {}
    enum InsertEvent {}
    let mut committed = Vec::with_capacity(new.len());
    for event in new {
        let board_id = event.board_id.get();
        let next_seq = diesel::insert_into(event_sequences::table)
            .values((
                event_sequences::board_id.eq(board_id),
                event_sequences::last_seq.eq(1),
            ))
            .on_conflict(event_sequences::board_id)
            .do_update()
            .set(event_sequences::last_seq.eq(event_sequences::last_seq + 1));
        // Without `RETURNING` (see `prepared`): the row just written is read back by its key.
        run_prepared(conn, next_seq.affecting::<NextSeq>())?;
        let seq: i64 = event_sequences::table
            .find(board_id)
            .select(event_sequences::last_seq)
            .first(conn)?;
        diesel::insert_into(events::table)
            .values(NewEventRow {
                board_id,
                seq,
                event_type: event.kind.as_str(),
                payload: event.data.as_str(),
                created_at: to_db(event.at),
            })
            .keep_prepared_as::<InsertEvent>()
            .execute(conn)?;
        committed.push(Event {
            event: event.kind,
            board_id: event.board_id,
            seq,
            timestamp: event.at,
            data: event.data,
        });
    }
    Ok(committed)
}

impl TryFrom<EventRow> for Event {
    type Error = crate::error::Failure;

    fn try_from(row: EventRow) -> Work<Self> {
        let kind = EventKind::from_name(&row.event_type).ok_or_else(|| {
            CorruptRow(format!(
                "event {}#{} has unknown type '{}'",
                row.board_id, row.seq, row.event_type
            ))
        })?;
        Ok(Self {
            event: kind,
            board_id: BoardId::new(row.board_id),
            seq: row.seq,
            timestamp: from_db(row.created_at),
            data: EventData::from_json(row.payload)?,
        })
    }
}

impl EventLog for SqliteStore {
    fn since(&self, board_id: BoardId, after: i64, limit: u32) -> Result<Vec<Event>, StoreError> {
        self.read(|conn| {
            events::table
                .filter(events::board_id.eq(board_id.get()))
                .filter(events::seq.gt(after))
                .order(events::seq.asc())
                .limit(i64::from(limit))
                .select(EventRow::as_select())
                .load(conn)?
                .into_iter()
                .map(Event::try_from)
                .collect()
        })
    }

    fn bounds(&self, board_id: BoardId) -> Result<Option<(i64, i64)>, StoreError> {
        self.read(|conn| {
            let (low, high): (Option<i64>, Option<i64>) = events::table
                .filter(events::board_id.eq(board_id.get()))
                .select((min(events::seq), max(events::seq)))
                .get_result(conn)?;
            Ok(low.zip(high))
        })
    }

    fn last_seqs(&self) -> Result<Vec<(BoardId, i64)>, StoreError> {
        self.read(|conn| {
            let rows: Vec<(i64, i64)> = event_sequences::table
                .select((event_sequences::board_id, event_sequences::last_seq))
                .order(event_sequences::board_id.asc())
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(board, seq)| (BoardId::new(board), seq))
                .collect())
        })
    }

    fn last_seq(&self, board: BoardId) -> Result<i64, StoreError> {
        let read = || self.read_statement(|conn| last_seq_of(conn, board));
        match self.fresh() {
            Some(fresh) => fresh.last_seq(board, read),
            None => read(),
        }
    }

    fn prune(&self, before: Timestamp) -> Result<u64, StoreError> {
        self.write(move |conn| {
            let removed =
                diesel::delete(events::table.filter(events::created_at.lt(to_db(before))))
                    .execute(conn)?;
            Ok(removed as u64)
        })
    }
}
