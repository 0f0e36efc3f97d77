// The kernel's networking in the server: the Network attached to the kernel, its admin routes
// and metrics, and the --rc file run at boot as a process of the kernel. main.ts loads this
// module only once the command line has been checked, so a usage error exits without
// loading the networking stack.

import type { Kernel } from '@rumpflow/rump-kernel';
import { Network, RcError, kernelSyscalls, runRc } from '@rumpflow/rump-net';
import type { OptionTable, ServiceContext } from '@rumpflow/service';
import { netMetrics, netRoutes } from './net-admin.js';

export interface NetworkSetup {
  /** The --rc file's name and text. */
  readonly rc: { readonly file: string; readonly text: string } | undefined;
  readonly maxFlowsPerTable: number;
}

export function setUpNetwork(
  kernel: Kernel,
  ctx: Pick<ServiceContext<OptionTable>, 'log' | 'metrics' | 'addRoutes' | 'addComponent'>,
  setup: NetworkSetup,
): Network {
  const log = ctx.log('net');
  const net = new Network({
    timers: kernel.timers,
    maxFlowsPerTable: setup.maxFlowsPerTable,
    switchDevice: { onEvent: (msg) => log.warn(msg) },
  });
  net.attach(kernel);
  netMetrics(net, ctx.metrics);
  ctx.addRoutes(netRoutes(net, () => kernel.timers.now()));
  const rc = setup.rc;
  ctx.addComponent({
    name: 'network',
    start: async () => {
      if (rc === undefined) return;
      // the rc lines run as a process of the kernel, through the same syscalls as rumpctl
      const p = kernel.newProcess('rc');
      try {
        const n = await runRc(rc.text, kernelSyscalls(kernel, p), {
          file: rc.file,
          out: (t) => log.info(t.trimEnd()),
        });
        log.info({ file: rc.file, commands: n }, 'rc done');
      } catch (e) {
        if (e instanceof RcError) {
          log.fatal({ file: e.file, line: e.line, text: e.text }, e.message);
          throw new Error(`--rc ${e.message}`);
        }
        throw e;
      } finally {
        kernel.detach(p);
      }
    },
    stop: () => net.close(),
  });
  return net;
}
