// switchd [-dnv] [-f file] [-D macro=value] [-c cachesize] [-t timeout] [--admin HOST:PORT]
// — switch(8) for rumpflow (see README.md and src/service.ts).

import { runService } from '@rumpflow/service';
import { switchd } from './service.js';

await runService(switchd);
