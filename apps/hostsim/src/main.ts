// hostsim --local HOST:PORT --remote HOST:PORT --ip ADDR[/LEN] [--ping IP]... [--udp IP:PORT]...
// A simulated host on a VXLAN port (see README.md and src/service.ts).

import { runService } from '@rumpflow/service';
import { hostsim } from './service.js';

await runService(hostsim);
