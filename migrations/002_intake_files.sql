-- Files received, the outcome of every row, and the audit log.
create table intake_file (
  id bigserial primary key,
  authority_code text not null references authority (code),
  kind text not null check (kind in ('enrolment', 'access')),
  original_name text not null,
  format text not null check (format in ('csv', 'xml')),
  sha256 text not null,
  size_bytes bigint not null,
  -- where the file is now: claimed while processing, archive when done
  stored_path text not null,
  status text not null default 'queued' check (status in ('queued', 'processing', 'done', 'failed')),
  as_of date not null,
  received_at timestamptz not null default now(),
  finished_at timestamptz,
  -- how many records (rows, or broken rows) have their outcome committed: processing resumes
  -- after them (counted, not by line: several XML records may share a line)
  records_done integer not null default 0,
  lease_owner text,
  lease_until timestamptz,
  accepted integer not null default 0,
  referred integer not null default 0,
  invalid integer not null default 0,
  report_path text,
  error text
);
-- the same content is applied once per authority; a refused file does not hold its content, so
-- it can be sent again once what was wrong outside it (its folder, the reference data) is put right
create unique index intake_file_content on intake_file (authority_code, sha256) where status <> 'failed';
-- two files of the same name never write the same report
create unique index intake_file_report_path on intake_file (report_path) where report_path is not null;
create index intake_file_unfinished on intake_file (id) where status in ('queued', 'processing');

-- The outcome of every row, one row per committed chunk (arrays in file order): a chunk's
-- outcomes are written in one insert, in the transaction that applies the chunk.
create table row_outcome_chunk (
  file_id bigint not null references intake_file (id) on delete cascade,
  -- records of the file before this chunk
  first_record integer not null,
  lines integer[] not null,
  statuses text[] not null,
  codes text[] not null,
  messages text[] not null,
  asns text[] not null,
  primary key (file_id, first_record)
);

create view row_outcome as
  select c.file_id, o.line, o.status, o.code, o.message, o.asn
    from row_outcome_chunk c,
         unnest(c.lines, c.statuses, c.codes, c.messages, c.asns) as o (line, status, code, message, asn);

create table audit_log (
  id bigserial primary key,
  at timestamptz not null default now(),
  actor text not null,
  action text not null,
  asn text,
  file_id bigint references intake_file (id) on delete set null,
  line integer,
  detail jsonb not null default '{}'
);
create index audit_log_asn on audit_log (asn);
