// The API server's routes (--api HOST:PORT): Ryu's ofctl_rest under /stats, the event
// stream at /v1/events, GET /openapi.json (from the service kit). One plugin, so the exact
// JSON handling and the error answers apply to these routes only.

import type { RoutesPlugin } from '@rumpflow/service';
import type { Controller } from '../controller.js';
import { eventRoutes } from '../events.js';
import { commandRoutes } from './commands.js';
import { errorReplyOf } from './errors.js';
import { useExactJson } from './json.js';
import { statsRoutes } from './stats.js';

export function apiRoutes(controller: Controller): RoutesPlugin {
  return async (app) => {
    useExactJson(app);
    app.setErrorHandler((err, req, reply) => {
      const r = errorReplyOf(err);
      // anything else (schema validation, fastify's own) goes to the server's handler
      if (r === undefined) throw err;
      if (typeof r.body['error_type'] === 'number')
        controller.countError({ errType: r.body['error_type'], code: r.body['error_code'] as number });
      if (r.status >= 500)
        req.log.warn({ url: req.url, status: r.status, err: r.body['message'] }, 'request failed');
      void reply.status(r.status).send(r.body);
    });
    statsRoutes(app, controller);
    commandRoutes(app, controller);
    eventRoutes(app, controller);
  };
}
