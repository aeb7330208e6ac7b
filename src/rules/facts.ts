/** What the rules know: a snapshot of the database for the rows at hand. No I/O here. */

export interface AuthorityFacts {
  code: string;
  nationallyContracted: boolean;
  international: boolean;
  active: boolean;
  usageAgreementSigned: boolean;
}

/** A non-deleted enrolment of a student (deleted enrolments are ignored by every rule). */
export interface EnrolmentFact {
  schoolCode: string;
  authorityCode: string;
  entryDate: string;
  exitDate: string | null;
}

/** A student as the rules see it, always under the primary ASN. */
export interface StudentFacts {
  asn: string;
  createdBy: string | null;
  createdOn: string | null;
  enrolments: EnrolmentFact[];
}

export interface RuleWindows {
  lastEnrolmentMonths: number;
  recentEnrolmentMonths: number;
  creationAssociationMonths: number;
  /** A new student born before this year is refused (a mistyped year); 1900 when not given. */
  earliestBirthYear?: number;
}

export type RestrictionLevel = 'high' | 'low' | 'none';

export type Association = 'creation' | 'current' | 'last' | 'recent';
