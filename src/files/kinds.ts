/**
 * Every kind of file Intake takes, named as the inbox folder it is dropped in
 * (`inbox/<authority>/<kind>/`). A new kind starts here; docs/architecture.md says what else it needs.
 */
export const fileKinds = ['enrolment', 'access'] as const;

export type FileKind = (typeof fileKinds)[number];

/** The kind a folder name, a form field or an option names; undefined for anything else. */
export function parseFileKind(text: string | null | undefined): FileKind | undefined {
  return fileKinds.find((kind) => kind === text);
}
