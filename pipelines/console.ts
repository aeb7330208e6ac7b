import type { Services } from '../src/app.ts';
import { Database } from '../src/db/database.ts';
import { readinessProblems } from '../src/readiness.ts';
import { activationRoutes } from '../src/web/activation-page.ts';
import { auditRoutes } from '../src/web/audit-page.ts';
import { dashboardRoutes } from '../src/web/dashboard-page.ts';
import { healthRoutes } from '../src/web/health-routes.ts';
import { queueItemRoutes } from '../src/web/queue-item-page.ts';
import { queueListRoutes } from '../src/web/queue-list-page.ts';
import { startWebServer, type WebServer } from '../src/web/server.ts';
import { authRoutes } from '../src/web/sign-in-pages.ts';
import { resolveItem } from './student-records.ts';

/** Connections the pages may hold at once: their own, so files and pages never wait for each other. */
const consolePoolSize = 4;

/** The staff console and the recipients' activation page, on one server (`server.*` configuration). */
export async function startConsole(services: Services): Promise<WebServer> {
  const db = new Database(services.db.url, consolePoolSize, (error) =>
    services.logger.error('a database connection of the pages was lost; the next query opens a new one', {
      error: error.message,
    }),
  );
  const server = await startWebServer({ ...services, db }, [
    ...healthRoutes(() => readinessProblems({ config: services.config, db })),
    ...authRoutes,
    ...dashboardRoutes,
    ...queueListRoutes,
    ...queueItemRoutes(resolveItem),
    ...auditRoutes,
    ...activationRoutes(services.config),
  ]).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  return {
    ...server,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
