// Sockets, as far as the kernel needs them: BSD's ifconfig configures interfaces through
// ioctls on a datagram socket, so a socket here is the handle those ioctls go through. The
// networking layer installs the interface ioctls (Kernel.socketIoctl); data transfer on these
// sockets is not offered (ENOTCONN).

import { ERRNO } from '@rumpflow/sysproxy';
import { KernelError } from './errors.js';
import type { FileObject, IoContext, IoctlResult } from './file.js';
import type { ObjectCounter } from './objects.js';
import { WaitChannel } from './wait.js';

export const AF = { LOCAL: 1, INET: 2, LINK: 18, INET6: 24 } as const;
export const SOCK = { STREAM: 1, DGRAM: 2, RAW: 3 } as const;

/** Interface ioctls (SIOC*) on a socket: the networking layer's entry point. */
export type SocketIoctl = (cmd: number, data: Uint8Array | null, ctx: IoContext) => Promise<IoctlResult> | IoctlResult;

/** What a socket needs of its kernel: the interface ioctls, and the numbering of its objects. */
export interface SocketHost {
  readonly socketIoctl: SocketIoctl | undefined;
  readonly objects: ObjectCounter;
}

export function createSocket(domain: number, type: number, protocol: number, kernel: SocketHost): FileObject {
  if (domain !== AF.LOCAL && domain !== AF.INET && domain !== AF.INET6 && domain !== AF.LINK) {
    throw new KernelError(ERRNO.EAFNOSUPPORT, `domain ${domain}`);
  }
  if (type !== SOCK.STREAM && type !== SOCK.DGRAM && type !== SOCK.RAW) throw new KernelError(ERRNO.EPROTOTYPE, `type ${type}`);
  if (protocol < 0) throw new KernelError(ERRNO.EPROTONOSUPPORT, `protocol ${protocol}`);
  const { id, closed } = kernel.objects.create('socket');
  return {
    kind: 'socket',
    name: `socket#${id} (domain ${domain}, type ${type})`,
    channel: new WaitChannel(),
    readiness: () => ({ readable: 0, writable: 0, eof: false, hangup: false }),
    read: () => {
      throw new KernelError(ERRNO.ENOTCONN);
    },
    write: () => {
      throw new KernelError(ERRNO.ENOTCONN);
    },
    ioctl: (cmd, data, ctx) => {
      if (!kernel.socketIoctl) throw new KernelError(ERRNO.ENOTTY, `ioctl 0x${cmd.toString(16)}: no network interfaces in this kernel`);
      return kernel.socketIoctl(cmd, data, ctx);
    },
    close: closed,
  };
}
