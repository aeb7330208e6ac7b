-- Connections listings (README "Connections listings"): each authority's nightly list of the
-- connections to its students, and the changes since its last one. What was listed when, so the
-- next changes file starts where the last one ended and no change is told twice or dropped.
create table connection_listing (
  authority_code text not null references authority (code),
  -- the listing's day (the province's time zone): its file names and the as-of date of its associations
  day date not null,
  -- the day's changes file holds what happened after changes_from, up to and including changes_until;
  -- a listing written again the same day keeps its start and moves its end
  changes_from timestamptz not null,
  changes_until timestamptz not null check (changes_until >= changes_from),
  connections integer not null,
  changes integer not null,
  written_at timestamptz not null default now(),
  primary key (authority_code, day)
);

-- A reset keeps the connection's status, so status_changed_at cannot say when it happened (and an
-- activation after it would overwrite it): the last reset and who made it are kept on their own.
alter table connection
  add column reset_at timestamptz,
  add column reset_by text;

-- Activation emails given up on: the recipient's server said, on their third try or later, that
-- the mailbox does not exist or takes no mail (README "Activation emails"). The server's reply
-- codes only, never its text: it names the address.
create table undeliverable_email (
  connection_id bigint not null references connection (id),
  issue integer not null,
  at timestamptz not null default now(),
  tries integer not null,
  -- 550, and the enhanced status code when the server gave one (5.1.1)
  response_code integer,
  enhanced_code text,
  -- the SMTP command it answered (RCPT TO)
  command text,
  primary key (connection_id, issue)
);

-- The changes of one night are found by their time, not by reading every connection.
create index connection_activated_at on connection (activated_at) where activated_at is not null;
create index connection_ended_at on connection (status_changed_at) where status in ('expired', 'deleted');
create index connection_reset_at on connection (reset_at) where reset_at is not null;
create index undeliverable_email_at on undeliverable_email (at);
