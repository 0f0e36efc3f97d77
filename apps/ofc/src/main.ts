// ofc [--listen URI]... [--connect URI]... [--app NAME]... [--api HOST:PORT] — the OpenFlow
// 1.3 controller for development and tests (see README.md and src/service.ts).

import { runService } from '@rumpflow/service';
import { ofc } from './service.js';

await runService(ofc);
