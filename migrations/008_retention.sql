-- Retention (`intake files purge`, and the scheduler's nightly run; docs/operations.md §4): what
-- was removed is recorded where later commands must know it. `files show` says the file or its
-- report is gone, and `files replay` refuses a file whose original was removed.
alter table intake_file
  -- the kept original (archive/ or failed/) was removed by retention
  add column stored_purged_at timestamptz,
  -- the result report in the authority's outbox was removed by retention
  add column report_purged_at timestamptz;

-- the letter PDFs of the batch (they hold PINs in clear) were removed by retention; a batch so
-- marked is not looked at again
alter table letter_batch add column pdfs_purged_at timestamptz;

-- retention looks files found on disk up by their path
create index intake_file_stored_path on intake_file (stored_path);
