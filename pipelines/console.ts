import type { Services } from '../src/app.ts';
import { activationRoutes } from '../src/web/activation-page.ts';
import { auditRoutes } from '../src/web/audit-page.ts';
import { dashboardRoutes } from '../src/web/dashboard-page.ts';
import { queueItemRoutes } from '../src/web/queue-item-page.ts';
import { queueListRoutes } from '../src/web/queue-list-page.ts';
import { startWebServer, type WebServer } from '../src/web/server.ts';
import { authRoutes } from '../src/web/sign-in-pages.ts';
import { resolveItem } from './student-records.ts';

/** The staff console and the recipients' activation page, on one server (`server.*` configuration). */
export function startConsole(services: Services): Promise<WebServer> {
  return startWebServer(services, [
    ...authRoutes,
    ...dashboardRoutes,
    ...queueListRoutes,
    ...queueItemRoutes(resolveItem),
    ...auditRoutes,
    ...activationRoutes(services.config),
  ]);
}
