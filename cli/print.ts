import type { IngestResult } from '../pipelines/ingest.ts';

/** Prints what happened to an ingested file and returns the exit code. */
export function printIngestResult(result: IngestResult, json: boolean): number {
  const file = 'file' in result ? result.file : undefined;
  const exitCode = { processed: 0, refused: 2, duplicate: 3, busy: 3 }[result.outcome];
  if (json) {
    console.log(
      JSON.stringify({
        outcome: result.outcome,
        fileId: file?.id ?? null,
        name: file?.originalName ?? null,
        accepted: file?.accepted ?? 0,
        referred: file?.referred ?? 0,
        invalid: file?.invalid ?? 0,
        report: file?.reportPath ?? null,
        reason: result.outcome === 'refused' ? result.reason : null,
      }),
    );
    return exitCode;
  }
  if (result.outcome === 'processed') {
    console.log(
      `${result.file.originalName}: processed as file ${result.file.id} ` +
        `(${result.file.kind}, ${result.file.authorityCode}, as of ${result.file.asOf})`,
    );
    console.log(`  accepted ${result.file.accepted}, referred ${result.file.referred}, invalid ${result.file.invalid}`);
    console.log(`  report: ${result.file.reportPath}`);
  } else if (result.outcome === 'refused') {
    console.log(`refused: ${result.reason}`);
  } else if (result.outcome === 'duplicate') {
    console.log(
      `duplicate: the same content was received before as file ${result.file.id} ` +
        `(${result.file.originalName}, ${result.file.status}); nothing was applied again.`,
    );
  } else {
    console.log(`busy: file ${result.file.id} is being processed by another worker.`);
  }
  return exitCode;
}
