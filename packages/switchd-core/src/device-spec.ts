// Device SPECs of switchd.conf: how switchd reaches a switch(4) device.
//   unix:/path        swioproxyd's socket: each connection is one device channel
//   rump:/dev/switchN switchd opens the device itself as a client of RUMP_SERVER
//   /any/path         plain fs calls (routed into the kernel under the rumphijack loader)

export type DeviceSpec =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'rump'; readonly path: string }
  | { readonly kind: 'file'; readonly path: string };

export class DeviceSpecError extends Error {
  override readonly name = 'DeviceSpecError';
}

export function parseDeviceSpec(spec: string): DeviceSpec {
  const m = /^(unix|rump):(.*)$/.exec(spec);
  const kind = (m?.[1] ?? 'file') as DeviceSpec['kind'];
  const path = m ? (m[2] as string) : spec;
  if (path === '') throw new DeviceSpecError(`device ${JSON.stringify(spec)}: empty path`);
  if (kind !== 'unix' && !path.startsWith('/'))
    throw new DeviceSpecError(`device ${JSON.stringify(spec)}: the path must be absolute`);
  if (path.includes('\0')) throw new DeviceSpecError(`device ${JSON.stringify(spec)}: NUL in path`);
  return { kind, path };
}
