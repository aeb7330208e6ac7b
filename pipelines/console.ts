import type { Services } from '../src/app.ts';
import type { Listener } from '../src/config/config-types.ts';
import { Database } from '../src/db/database.ts';
import { readinessProblems } from '../src/readiness.ts';
import { activationRoutes } from '../src/web/activation-page.ts';
import { auditRoutes } from '../src/web/audit-page.ts';
import { dashboardRoutes } from '../src/web/dashboard-page.ts';
import { healthRoutes } from '../src/web/health-routes.ts';
import { metricsRoutes } from '../src/web/metrics-routes.ts';
import { queueItemRoutes } from '../src/web/queue-item-page.ts';
import { queueListRoutes } from '../src/web/queue-list-page.ts';
import type { Route } from '../src/web/routes.ts';
import { startWebServer, type WebServer } from '../src/web/server.ts';
import { authRoutes } from '../src/web/sign-in-pages.ts';
import { resolveItem } from './student-records.ts';

/** Connections one listener's pages may hold at once: their own, so files and pages never wait for each other. */
const sitePoolSize = 4;

/** A listener with its own small pool, and the health checks every listener answers. */
async function startSite(
  services: Services,
  listener: Listener,
  routes: (db: Database) => Route[],
): Promise<WebServer> {
  const db = new Database(services.db.url, sitePoolSize, (error) =>
    services.logger.error('a database connection of the pages was lost; the next query opens a new one', {
      error: error.message,
    }),
  );
  const server = await startWebServer(
    { ...services, db },
    [...healthRoutes(() => readinessProblems({ config: services.config, db })), ...routes(db)],
    listener,
  ).catch(async (error: unknown) => {
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

/** The staff console (role `console`, `server.*`): on an internal address. */
export function startConsole(services: Services): Promise<WebServer> {
  return startSite(services, services.config.server, () => [
    ...authRoutes,
    ...dashboardRoutes,
    ...queueListRoutes,
    ...queueItemRoutes(resolveItem),
    ...auditRoutes,
  ]);
}

/**
 * The recipients' activation page (role `activation`, `activationServer.*`): nothing of the console's is served
 * there.
 */
export function startActivationSite(services: Services): Promise<WebServer> {
  return startSite(services, services.config.activationServer, () => activationRoutes(services.config));
}

/** The operator's listener (`operatorServer.*`): the health checks, and metrics for Prometheus. */
export function startOperatorSite(services: Services): Promise<WebServer> {
  return startSite(services, services.config.operatorServer, (db) => metricsRoutes(services.config, db));
}
