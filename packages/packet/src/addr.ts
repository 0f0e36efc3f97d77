// Addresses as the flow key holds them (numbers) and as people write them (text).

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 48-bit number -> "aa:bb:cc:dd:ee:ff". */
export function macToString(n: number): string {
  const hi = Math.floor(n / 0x100000000);
  const lo = n >>> 0;
  return `${HEX[hi >>> 8]}:${HEX[hi & 0xff]}:${HEX[lo >>> 24]}:${HEX[(lo >>> 16) & 0xff]}:${HEX[(lo >>> 8) & 0xff]}:${HEX[lo & 0xff]}`;
}

/** "aa:bb:cc:dd:ee:ff" -> 48-bit number. */
export function macFromString(s: string): number {
  const parts = s.split(':');
  if (parts.length !== 6 || parts.some((x) => !/^[0-9a-fA-F]{1,2}$/.test(x))) throw new TypeError(`not a MAC address: ${s}`);
  return parts.reduce((n, x) => n * 256 + parseInt(x, 16), 0);
}

/** 32-bit number -> dotted quad. */
export function ipv4ToString(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

/** Dotted quad -> 32-bit number. */
export function ipv4FromString(s: string): number {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m || m.slice(1).some((x) => Number(x) > 255)) throw new TypeError(`not an IPv4 address: ${s}`);
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

/** Write a 48-bit number as 6 bytes. */
export function putMac(b: Uint8Array, p: number, n: number): void {
  const hi = Math.floor(n / 0x100000000);
  b[p] = hi >>> 8;
  b[p + 1] = hi & 0xff;
  putU32(b, p + 2, n >>> 0);
}

export function putU32(b: Uint8Array, p: number, n: number): void {
  b[p] = n >>> 24;
  b[p + 1] = (n >>> 16) & 0xff;
  b[p + 2] = (n >>> 8) & 0xff;
  b[p + 3] = n & 0xff;
}

export function putU16(b: Uint8Array, p: number, n: number): void {
  b[p] = (n >>> 8) & 0xff;
  b[p + 1] = n & 0xff;
}
