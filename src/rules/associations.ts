import { addMonths } from '../validate/dates.ts';
import type { Association, EnrolmentFact, RestrictionLevel, RuleWindows, StudentFacts } from './facts.ts';

/** Started and not ended on the as-of day: an exit date equal to the as-of date has ended. */
function isCurrent(enrolment: EnrolmentFact, asOf: string): boolean {
  return enrolment.entryDate <= asOf && (enrolment.exitDate === null || enrolment.exitDate > asOf);
}

export function hasEnded(enrolment: EnrolmentFact, asOf: string): enrolment is EnrolmentFact & { exitDate: string } {
  return enrolment.exitDate !== null && enrolment.exitDate <= asOf;
}

/** A window holds up to and including its last day. */
function withinWindow(start: string, months: number, asOf: string): boolean {
  return asOf <= addMonths(start, months);
}

/** The latest exit date among ended enrolments, or null when none has ended. */
function latestExit(enrolments: EnrolmentFact[], asOf: string): string | null {
  let latest: string | null = null;
  for (const enrolment of enrolments) {
    if (hasEnded(enrolment, asOf) && (latest === null || enrolment.exitDate > latest)) latest = enrolment.exitDate;
  }
  return latest;
}

/**
 * The student's last enrolment ended at one of the authority's schools, and it is not enrolled at another
 * authority now.
 */
export function lastEnrolledWith(student: StudentFacts, authorityCode: string, asOf: string): string | null {
  const exit = latestExit(student.enrolments, asOf);
  if (exit === null) return null;
  const endedHere = student.enrolments.some((e) => e.authorityCode === authorityCode && e.exitDate === exit);
  const currentElsewhere = student.enrolments.some((e) => e.authorityCode !== authorityCode && isCurrent(e, asOf));
  return endedHere && !currentElsewhere ? exit : null;
}

/** docs/rules.md §2: the associations an authority has with a student on the as-of date. */
export function associations(
  student: StudentFacts,
  authorityCode: string,
  level: RestrictionLevel,
  asOf: string,
  windows: RuleWindows,
): Association[] {
  const own = student.enrolments.filter((e) => e.authorityCode === authorityCode);
  const found: Association[] = [];
  if (
    student.createdBy === authorityCode &&
    student.createdOn !== null &&
    student.enrolments.length === 0 &&
    withinWindow(student.createdOn, windows.creationAssociationMonths, asOf)
  ) {
    found.push('creation');
  }
  if (own.some((e) => isCurrent(e, asOf))) found.push('current');
  const lastExit = lastEnrolledWith(student, authorityCode, asOf);
  if (lastExit !== null && withinWindow(lastExit, windows.lastEnrolmentMonths, asOf)) found.push('last');
  if (
    level !== 'high' &&
    own.some((e) => hasEnded(e, asOf) && withinWindow(e.exitDate, windows.recentEnrolmentMonths, asOf))
  ) {
    found.push('recent');
  }
  return found;
}

/** Any non-deleted enrolment, ever, at one of the authority's schools. */
export function hasHistoricalEnrolment(student: StudentFacts, authorityCode: string): boolean {
  return student.enrolments.some((e) => e.authorityCode === authorityCode);
}
