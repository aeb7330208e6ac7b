/** The staff member a request is signed in as. */
export interface StaffMember {
  username: string;
  displayName: string;
}
