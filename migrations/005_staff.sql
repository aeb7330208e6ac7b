-- Staff accounts of the web console, their sessions, and failed sign-ins.
create table staff (
  username text primary key check (username ~ '^[a-z][a-z0-9._-]{1,39}$'),
  display_name text not null check (length(display_name) between 1 and 200),
  -- scrypt$N$r$p$salt$hash (base64): never the password itself
  password_hash text not null,
  disabled boolean not null default false,
  created_at timestamptz not null default now(),
  password_changed_at timestamptz not null default now()
);

-- Only the SHA-256 of the random cookie value is kept: a copy of this table opens no session.
create table staff_session (
  id_hash bytea primary key,
  username text not null references staff (username) on delete cascade,
  csrf_token text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  last_seen_at timestamptz not null default now()
);
create index staff_session_username on staff_session (username);
create index staff_session_expires on staff_session (expires_at);

-- Failed sign-ins, by account ('user:…') and by client address ('address:…'): counted here
-- rather than in memory so that every process of the service shares the limit.
create table sign_in_failure (
  id bigserial primary key,
  key text not null,
  at timestamptz not null default now()
);
create index sign_in_failure_key on sign_in_failure (key, at);
create index sign_in_failure_at on sign_in_failure (at);
