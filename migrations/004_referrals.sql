-- Student Records' queue: one row per referred row. The pg-boss job of the same id holds the
-- item while it is open (the queue's size is the open count); this table indexes the items for
-- listing and claiming, and keeps their history once resolved.
create table referral (
  id bigserial primary key,
  job_id uuid not null unique,
  kind text not null check (kind in ('enrolment', 'access')),
  authority_code text not null references authority (code),
  school_code text,
  file_id bigint not null references intake_file (id),
  line integer not null,
  reason text not null,
  -- the code the uploader saw in the result report
  reported_code text not null,
  -- as submitted (null: a new student was asked for)
  asn text,
  as_of date not null,
  row_data jsonb not null,
  saw jsonb not null,
  created_at timestamptz not null default now(),
  state text not null default 'open' check (state in ('open', 'approved', 'rejected', 'returned')),
  claimed_by text,
  claimed_until timestamptz,
  resolved_by text,
  resolved_at timestamptz,
  note text,
  -- what the approval did, as the authority reads it in its outcomes file
  result text,
  result_asn text,
  -- set once the resolution is in the authority's outcomes file
  reported_at timestamptz,
  check ((state = 'open') = (resolved_at is null))
);

-- Oldest first, per filter; only open items are listed and claimed, so only they are indexed.
create index referral_open on referral (created_at, id) where state = 'open';
create index referral_open_authority on referral (authority_code, created_at, id) where state = 'open';
create index referral_open_school on referral (school_code, created_at, id) where state = 'open';
create index referral_open_reason on referral (reason, created_at, id) where state = 'open';
create index referral_open_kind on referral (kind, created_at, id) where state = 'open';
create index referral_asn on referral (asn);
create index referral_unreported on referral (authority_code, resolved_at) where state <> 'open' and reported_at is null;
create index referral_resolved on referral (authority_code, resolved_at) where state <> 'open';

-- Open items per authority, school, kind, reason and day referred (America/Edmonton), kept in
-- the transactions that open and resolve items: the queue's counts per reason stay instant with
-- 100,000 items open, whatever the filters.
create table referral_open_count (
  authority_code text not null,
  school_code text not null,
  kind text not null,
  reason text not null,
  referred_on date not null,
  items integer not null check (items >= 0),
  primary key (authority_code, school_code, kind, reason, referred_on)
);

-- A student's audit trail gathers their secondary ASNs; the dashboard reads today's files.
create index student_primary_asn on student (primary_asn) where primary_asn is not null;
create index intake_file_received on intake_file (received_at);

alter table audit_log add column referral_id bigint references referral (id);
create index audit_log_referral on audit_log (referral_id) where referral_id is not null;

-- Approved access requests get their letters per queue item, not per file.
alter table connection add column letter_referral_id bigint references referral (id);
create index connection_referral_letters on connection (letter_referral_id) where pin_hash is null and status = 'waiting';
alter table letter_batch drop constraint letter_batch_pkey;
alter table letter_batch alter column file_id drop not null;
alter table letter_batch add column referral_id bigint unique references referral (id);
create unique index letter_batch_file on letter_batch (file_id);
alter table letter_batch add check (num_nonnulls(file_id, referral_id) = 1);

-- Referrals queued before this table existed become items too.
do $$
begin
  if to_regclass('pgboss.job') is not null then
    insert into referral (job_id, kind, authority_code, school_code, file_id, line, reason, reported_code, asn, as_of, row_data, saw, created_at)
    select j.id, j.data->>'kind', j.data->>'authorityCode', j.data->'row'->>'schoolCode', (j.data->>'fileId')::bigint,
           (j.data->>'line')::int, j.data->>'reason', j.data->>'reportedCode', j.data->'row'->>'asn', (j.data->>'asOf')::date,
           j.data->'row', coalesce(j.data->'saw', '{}'::jsonb), j.created_on
      from pgboss.job j
     where j.name = 'student-records' and j.state = 'created'
     order by j.created_on, (j.data->>'fileId')::bigint, (j.data->>'line')::int
    on conflict (job_id) do nothing;
  end if;
end $$;

insert into referral_open_count (authority_code, school_code, kind, reason, referred_on, items)
select authority_code, coalesce(school_code, ''), kind, reason, (created_at at time zone 'America/Edmonton')::date, count(*)
  from referral where state = 'open'
 group by 1, 2, 3, 4, 5;
