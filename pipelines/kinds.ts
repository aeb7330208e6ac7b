import type { FileKind } from '../src/files/kinds.ts';
import { accessKind } from './access.ts';
import type { KindDefinition } from './chunk.ts';
import { enrolmentKind } from './enrolment.ts';

/** The pipelines Intake runs, by the inbox folder they are dropped in. */
export const kinds: Record<FileKind, KindDefinition | undefined> = {
  enrolment: enrolmentKind,
  access: accessKind,
};
