-- Reference data: authorities, their schools, students and enrolment history.
create table authority (
  code text primary key check (code ~ '^A\.[0-9]{4}$'),
  name text not null,
  nationally_contracted boolean not null default false,
  international boolean not null default false,
  active boolean not null default true,
  usage_agreement_signed boolean not null default true,
  email_domains text[] not null default '{}'
);

create table school (
  code text primary key check (code ~ '^S\.[0-9]{4}$'),
  authority_code text not null references authority (code),
  name text not null,
  email_domains text[] not null default '{}'
);
create index school_authority on school (authority_code);

create table student (
  asn text not null check (asn ~ '^[0-9]{9}$'),
  -- set on secondary ASNs: the student's record lives under the primary
  primary_asn text,
  last_name text not null,
  first_name text not null,
  middle_name text,
  birth_date date,
  -- lower-case, accent-free "first|last|birth date" for the potential-duplicate check
  match_key text not null,
  created_by text references authority (code),
  created_on date,
  deactivated boolean not null default false,
  check (primary_asn is null or primary_asn <> asn),
  -- covering: the per-chunk lookup of a file's students is an index-only scan
  primary key (asn) include (primary_asn, created_by, created_on)
);
create index student_match_key on student (match_key) where not deactivated;
alter table student add foreign key (primary_asn) references student (asn);

-- No foreign keys here: their per-row checks cost three quarters of a bulk write (measured),
-- and the only writers (the pipeline and the reference loader) resolve the student and the
-- school in the same transaction. Students and schools are never deleted.
create table enrolment (
  asn text not null, -- always a primary ASN
  school_code text not null,
  entry_date date not null,
  exit_date date,
  grade text not null,
  enrolment_type text not null,
  deleted boolean not null default false,
  -- the file that last wrote this enrolment (null for reference loads)
  source_file_id bigint,
  updated_at timestamptz not null default now(),
  -- covering: the per-chunk lookup of the students' enrolments is an index-only scan
  primary key (asn, school_code, entry_date) include (exit_date, deleted),
  check (exit_date is null or exit_date >= entry_date)
);

-- Where new ASNs come from: a configured range, handed out in blocks, never reusing one.
create table asn_range (
  id smallint primary key default 1 check (id = 1),
  next_value bigint not null,
  last_value bigint not null
);
