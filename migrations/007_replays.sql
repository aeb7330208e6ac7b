-- A file processed again on an operator's request (`intake files replay`): a run of its own, with
-- its own report, beside the original. Replays do not count as the content's first arrival, so the
-- unique key of content leaves them out.
alter table intake_file
  add column replay_of bigint references intake_file (id),
  add column replay_reason text;
drop index intake_file_content;
create unique index intake_file_content on intake_file (authority_code, sha256) where status <> 'failed' and replay_of is null;
