// A classic libpcap file (little-endian, microsecond timestamps, linktype 1: Ethernet) of
// whole frames, for feeding built and rewritten frames to tshark.

export function pcapOf(frames: readonly Uint8Array[], startTime = 1704067200): Buffer {
  const out = Buffer.alloc(24 + frames.reduce((n, f) => n + 16 + f.length, 0));
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(262144, 16); // snaplen
  out.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  let p = 24;
  frames.forEach((f, i) => {
    out.writeUInt32LE(startTime + i, p);
    out.writeUInt32LE(0, p + 4);
    out.writeUInt32LE(f.length, p + 8);
    out.writeUInt32LE(f.length, p + 12);
    out.set(f, p + 16);
    p += 16 + f.length;
  });
  return out;
}
