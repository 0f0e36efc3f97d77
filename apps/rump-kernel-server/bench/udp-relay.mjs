// The VXLAN benchmark's baseline: a bare Node process relaying datagrams, no rumpflow code.
// Every datagram arriving on its socket is sent on, unchanged, to 127.0.0.1:TO_PORT.
//
//   node udp-relay.mjs TO_PORT     binds 127.0.0.1 (any port), prints "ready PORT" on stdout

import dgram from 'node:dgram';

const to = Number(process.argv[2]);
if (!Number.isInteger(to) || to < 1 || to > 65535) {
  console.error('usage: udp-relay.mjs TO_PORT');
  process.exit(2);
}
const s = dgram.createSocket('udp4');
s.on('message', (m) => s.send(m, to, '127.0.0.1'));
s.bind(0, '127.0.0.1', () => console.log(`ready ${s.address().port}`));
process.on('SIGTERM', () => s.close(() => process.exit(0)));
