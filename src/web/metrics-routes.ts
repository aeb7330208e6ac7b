import type { Config } from '../config/config.ts';
import type { Queryable } from '../db/database.ts';
import { intakeMetrics } from '../metrics/metrics-registry.ts';
import type { Route } from './routes.ts';

/**
 * `GET /metrics`: the Prometheus text format, without a session (the operator's listener, an
 * internal address). One registry per listener; its values are read anew at every scrape.
 */
export function metricsRoutes(config: Config, db: Queryable): Route[] {
  const registry = intakeMetrics(config, db);
  return [
    {
      method: 'GET',
      pattern: '/metrics',
      access: 'public',
      async handle() {
        return { body: await registry.metrics(), contentType: registry.contentType };
      },
    },
  ];
}
