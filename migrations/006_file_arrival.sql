-- What was read of a file, so that a writer still adding to it after the claim is noticed
-- (docs/file-arrival.md): size_bytes is exactly the bytes read, and these columns what the file
-- looked like then and what happened when it changed.
alter table intake_file
  -- the file's modification time (ms since the epoch) when size_bytes was read; null for files
  -- claimed before this column existed, which are never checked
  add column mtime_ms double precision,
  -- set when the file changed after its claim: its size at the claim (the rest was read later)
  add column claimed_size_bytes bigint,
  -- set when the file was rewritten (not only added to) after rows were applied: the file the
  -- complete content was taken again as
  add column retaken_as bigint references intake_file (id),
  -- the sha-256 of exactly the size_bytes bytes read; sha256, the content key, follows it unless
  -- another file of the authority already holds that content
  add column read_sha256 text,
  -- set when the writer added to the file after its report was written: the file was opened
  -- again, the rest read, and the report written anew
  add column reopened_after_report boolean not null default false;
create index intake_file_recently_done on intake_file (finished_at) where status = 'done' and mtime_ms is not null;
update intake_file set read_sha256 = sha256;
