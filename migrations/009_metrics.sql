-- What GET /metrics and the dashboard's health read (docs/operations.md §3): every number is a
-- read of a small table or a count over a small index, never a scan of a big table, and it is
-- the same whichever machine is asked and after any restart.

-- Rows by kind, status and code. The outcomes themselves sit in arrays, a chunk per row of
-- row_outcome_chunk, which only a scan of every chunk could count: this table is kept by the
-- statement that stores a chunk's outcomes (src/persist/row-outcomes.ts), in its transaction.
create table outcome_count (
  kind text not null,
  status text not null,
  code text not null,
  rows bigint not null check (rows >= 0),
  primary key (kind, status, code)
);
insert into outcome_count (kind, status, code, rows)
select f.kind, o.status, o.code, count(*)
  from row_outcome_chunk c
  join intake_file f on f.id = c.file_id
 cross join lateral unnest(c.statuses, c.codes) as o (status, code)
 group by f.kind, o.status, o.code;

-- When a run first took the file, so that processing time leaves out the wait for a worker.
-- Set here, when the status first becomes 'processing', so that every way a file is taken (the
-- worker, a replay, a takeover after a crash) records it alike. Files finished before this
-- migration keep null: they are long out of the window the metrics look at.
alter table intake_file add column started_at timestamptz;
create function intake_file_started() returns trigger language plpgsql as $$
begin
  new.started_at := now();
  return new;
end $$;
create trigger intake_file_started before update of status on intake_file
  for each row when (new.status = 'processing' and old.started_at is null)
  execute function intake_file_started();

-- Files by kind and status: an index-only count.
create index intake_file_kind_status on intake_file (kind, status);

-- Letters issued: an index-only sum.
create index letter_batch_issued on letter_batch (issued_at) include (letters);

-- Activations and lockouts: a count over the few audit entries that say so, not the whole log.
create index audit_log_connection_events on audit_log (action)
  where action in ('connection_activated', 'activation_locked');
