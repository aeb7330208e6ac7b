import type { Route } from './routes.ts';

const text = (status: number, body: string) => ({
  status,
  body: `${body}\n`,
  contentType: 'text/plain; charset=utf-8',
});

/**
 * `GET /healthz`: the process answers. `GET /readyz`: it can work (`readiness` names what stops
 * it). No session needed, nothing else said: for load balancers and supervisors.
 */
export const healthRoutes = (readiness: () => Promise<string[]>): Route[] => [
  { method: 'GET', pattern: '/healthz', access: 'public', handle: async () => text(200, 'ok') },
  {
    method: 'GET',
    pattern: '/readyz',
    access: 'public',
    async handle() {
      const problems = await readiness().catch(() => ['database']);
      return problems.length === 0 ? text(200, 'ready') : text(503, `not ready: ${problems.join(', ')}`);
    },
  },
];
