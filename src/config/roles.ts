/**
 * What one `intake start` does (docs/operations.md). Any process may run any of them; several
 * processes may run the same one: files, emails and scheduled jobs go through the database's
 * queue, so each is done once whichever process takes it.
 */
export const roles = ['watcher', 'worker', 'scheduler', 'mail', 'console', 'activation'] as const;

export type Role = (typeof roles)[number];
