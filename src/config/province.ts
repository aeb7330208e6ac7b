/**
 * The province's time zone: every calendar day Intake speaks of (as-of dates, request expiry,
 * decisions files, queue ages, the dashboard's "today") is a day here. This is the one place it
 * is set; days already kept in the database (the queue's counts by day) were counted in it.
 */
export const provinceTimeZone = 'America/Edmonton';

/** The same as an SQL literal, for `at time zone`: a constant, never anything a user sent. */
export const sqlTimeZone = `'${provinceTimeZone}'`;
