// The byte stream to a rump kernel server: a socket to a RUMP_SERVER address (unix:///path
// or tcp://host:port) and the server's one-line banner, read with a bound before any frame.

import net from 'node:net';
import { type RumpServerUrl, formatRumpServer } from '@rumpflow/endpoint';
import {
  type Banner,
  ERRNO,
  HEADER_LEN,
  MAX_BANNER,
  PROTOCOL_VERSION,
  SyscallError,
  parseBanner,
} from '@rumpflow/sysproxy';

/** Start connecting a socket to a rump server (no waiting: see connected()). */
export function createSocket(url: RumpServerUrl): net.Socket {
  if (url.kind === 'unix') return net.createConnection({ path: url.path });
  const s = net.createConnection({ host: url.host, port: url.port });
  s.setNoDelay(true);
  return s;
}

/** A host socket error as a SyscallError with NetBSD's errno of the same name. */
export function socketError(url: RumpServerUrl, e: Error): SyscallError {
  const code = (e as NodeJS.ErrnoException).code;
  const errno = code !== undefined && code in ERRNO ? ERRNO[code as keyof typeof ERRNO] : ERRNO.ENOTCONN;
  return new SyscallError(errno, 'connect', `${formatRumpServer(url)}: ${e.message}`);
}

/** Resolves once the socket is connected; rejects on an error or a close before that. */
export function connected(socket: net.Socket, url: RumpServerUrl): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (e?: Error): void => {
      socket.off('connect', onConnect).off('error', onError).off('close', onClose);
      if (e) reject(e);
      else resolve();
    };
    const onConnect = (): void => done();
    const onError = (e: Error): void => done(socketError(url, e));
    const onClose = (): void =>
      done(new SyscallError(ERRNO.ENOTCONN, 'connect', `${formatRumpServer(url)}: closed while connecting`));
    socket.on('connect', onConnect).on('error', onError).on('close', onClose);
  });
}

export interface BannerRead {
  readonly banner: Banner;
  /** Bytes received after the banner line (the start of the frame stream). */
  readonly rest: Buffer;
}

/**
 * Read the banner: at most MAX_BANNER (256) bytes ending in a newline. Anything else — a
 * longer line, a line that is not a rumpflow sysproxy banner, another protocol version, a
 * close before the newline — rejects with SyscallError EPROTO (ENOTCONN for a close). The
 * socket is left paused, so no byte after the banner is lost before the frame reader starts.
 */
export function readBanner(socket: net.Socket, url: RumpServerUrl): Promise<BannerRead> {
  const where = formatRumpServer(url);
  return new Promise((resolve, reject) => {
    let held: Buffer = Buffer.alloc(0);
    const finish = (e: Error | undefined, value?: BannerRead): void => {
      socket.pause();
      socket.off('data', onData).off('error', onError).off('close', onClose).off('end', onClose);
      if (e) reject(e);
      else resolve(value as BannerRead);
    };
    const onData = (chunk: Buffer): void => {
      held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      const nl = held.indexOf(0x0a);
      if (nl < 0 ? held.length >= MAX_BANNER : nl + 1 > MAX_BANNER) {
        finish(
          new SyscallError(
            ERRNO.EPROTO,
            'connect',
            `${where}: no banner line within ${MAX_BANNER} bytes: not a rumpflow sysproxy server`,
          ),
        );
        return;
      }
      if (nl < 0) return;
      try {
        const banner = parseBanner(held.subarray(0, nl + 1).toString('latin1'));
        if (banner.version !== PROTOCOL_VERSION)
          throw new Error(`protocol version ${banner.version}, this client speaks ${PROTOCOL_VERSION}`);
        if (banner.maxFrame < HEADER_LEN)
          throw new Error(`maxframe ${banner.maxFrame} below the ${HEADER_LEN}-byte header`);
        finish(undefined, { banner, rest: held.subarray(nl + 1) });
      } catch (e) {
        finish(new SyscallError(ERRNO.EPROTO, 'connect', `${where}: ${(e as Error).message}`));
      }
    };
    const onError = (e: Error): void => finish(socketError(url, e));
    const onClose = (): void =>
      finish(new SyscallError(ERRNO.ENOTCONN, 'connect', `${where}: closed before its banner`));
    socket.on('data', onData).on('error', onError).on('close', onClose).on('end', onClose);
  });
}
