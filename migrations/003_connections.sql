-- Connections: a person's online access to a student's record (SPEC §5).
create table connection (
  id bigserial primary key,
  asn text not null, -- always a primary ASN
  -- the school that set it up: its letters go to this school's authority
  school_code text not null,
  authority_code text not null,
  requester text not null check (requester in ('student', 'parent_guardian')),
  relationship text,
  person_name text,
  -- lower case: one person is one address
  email text not null,
  language text not null check (language in ('en', 'fr')),
  status text not null check (status in ('waiting', 'activated', 'expired', 'deleted')),
  -- keyed hash (HMAC-SHA-256 with the server secret) of the PIN; null until a letter is issued
  pin_hash bytea,
  -- counts PINs issued and resets: an email is sent, and its link works, only for the newest
  issue integer not null default 0,
  -- the file whose letters must carry this connection's next PIN
  letter_file_id bigint references intake_file (id),
  issued_at timestamptz,
  expires_at timestamptz,
  failed_attempts integer not null default 0,
  locked_until timestamptz,
  -- lockouts since the PIN was issued: after the configured number the PIN stays locked
  lockouts integer not null default 0,
  activated_at timestamptz,
  activated_account text,
  created_at timestamptz not null default now(),
  created_by text not null,
  source_file_id bigint references intake_file (id),
  source_line integer,
  status_changed_at timestamptz not null default now(),
  status_changed_by text not null
);
-- A person holds at most one live connection to a student: a second create is refused, and
-- concurrent files cannot both create one.
create unique index connection_live on connection (asn, email) where status in ('waiting', 'activated');
create index connection_asn on connection (asn);
create index connection_letters on connection (letter_file_id) where pin_hash is null and status = 'waiting';
create index connection_expiry on connection (expires_at) where status = 'waiting';

-- The activation tokens sent by email: only their SHA-256. Each send draws a new token and keeps
-- the ones before, so a copy of an email that did arrive keeps working; a token works only while
-- its issue is the connection's newest (a reset makes it stop).
create table connection_token (
  token_hash bytea primary key,
  connection_id bigint not null references connection (id),
  issue integer not null,
  created_at timestamptz not null default now()
);
create index connection_token_connection on connection_token (connection_id);

-- The letters of a file are issued once: PIN hashes, PDFs and email jobs commit together.
create table letter_batch (
  file_id bigint primary key references intake_file (id),
  letters integer not null,
  pdf_paths text[] not null,
  -- where each PDF was written before the commit; moved to pdf_paths right after it
  temp_paths text[] not null,
  issued_at timestamptz not null default now()
);

-- Which key the PIN hashes and tokens were made with, so a machine with another key refuses to
-- issue or check PINs instead of issuing ones that never work.
create table connection_key (
  only_row boolean primary key default true check (only_row),
  fingerprint bytea not null,
  created_at timestamptz not null default now()
);
