// The benchmark's baseline server: bare Node request/response, no rumpflow code. It reads
// length-prefixed frames laid out like sysproxy's header (u32 length, u32 reqno, 4 bytes,
// u32 aux) and answers each with a zero-filled frame of `aux` bytes repeating the reqno, so
// the bytes on the wire match a sysproxy exchange of the same sizes.
//
//   node echo-server.mjs SOCKET_PATH   listens on SOCKET_PATH and on TCP 127.0.0.1 (any port),
//                                      then prints "ready TCP_PORT" on stdout

import { Buffer } from 'node:buffer';
import net from 'node:net';

const path = process.argv[2];
if (!path) {
  console.error('usage: echo-server.mjs SOCKET_PATH');
  process.exit(2);
}

function serve(socket) {
  let held = Buffer.alloc(0);
  socket.setNoDelay?.(true);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk) => {
    held = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
    let p = 0;
    while (held.length - p >= 16) {
      const len = held.readUInt32BE(p);
      if (len < 16) return socket.destroy();
      if (held.length - p < len) break;
      const reqno = held.readUInt32BE(p + 4);
      const size = held.readUInt32BE(p + 12);
      const out = Buffer.alloc(size);
      out.writeUInt32BE(size, 0);
      out.writeUInt32BE(reqno, 4);
      out[8] = 1;
      socket.write(out);
      p += len;
    }
    held = p === held.length ? Buffer.alloc(0) : held.subarray(p);
  });
}

const unix = net.createServer(serve);
const tcp = net.createServer(serve);
unix.listen(path, () => {
  tcp.listen({ host: '127.0.0.1', port: 0 }, () => {
    process.stdout.write(`ready ${tcp.address().port}\n`);
  });
});
const stop = () => {
  unix.close();
  tcp.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
