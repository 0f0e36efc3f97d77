// One connected switch: its OpenFlow connection, what it said about itself at connect time
// (FEATURES_REPLY, PORT_DESC, DESC) and the ports as PORT_STATUS keeps them up to date.
// Apps and the API talk to the switch only through this handle.

import type { OfConnection, Outgoing, ReplyTo, RequestMessage } from '@rumpflow/openflow-connection';
import type { FeaturesReply, MultipartReply, MultipartRequest, Port } from '@rumpflow/openflow';

export type MultipartType = MultipartRequest['mpType'];
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** The body of a multipart request of type P (without type, xid, mpType, flags). */
export type MultipartBody<P extends MultipartType> = DistributiveOmit<
  Extract<MultipartRequest, { mpType: P }>,
  'type' | 'xid' | 'mpType' | 'flags'
>;
export type MultipartReplyOf<P extends MultipartType> = Extract<MultipartReply, { mpType: P }>;
export type SwitchDesc = MultipartReplyOf<'DESC'>;

/** A datapath id as Open vSwitch and Ryu print it in logs: 16 hex digits. */
export function dpidHex(dpid: bigint): string {
  return dpid.toString(16).padStart(16, '0');
}

export class Datapath {
  readonly dpid: bigint;
  readonly ports = new Map<number, Port>();
  readonly connectedAt = new Date();

  constructor(
    readonly conn: OfConnection,
    readonly features: FeaturesReply,
    readonly desc: SwitchDesc,
    ports: readonly Port[],
    /** Where the switch connected from (or what we connected to). */
    readonly address: string,
    private readonly requestTimeoutMs: number,
  ) {
    this.dpid = features.datapathId;
    for (const p of ports) this.ports.set(p.portNo, p);
  }

  /** 16 hex digits, for logs. */
  get id(): string {
    return dpidHex(this.dpid);
  }

  get closed(): boolean {
    return this.conn.isClosed;
  }

  /** Send without waiting (an xid is allocated when the message has none); returns the xid. */
  send(msg: Outgoing): number {
    return this.conn.send(msg);
  }

  /** A request and its reply (multipart replies reassembled); ERROR rejects with OfpRemoteError. */
  request<M extends RequestMessage>(msg: M, timeoutMs = this.requestTimeoutMs): Promise<ReplyTo<M>> {
    return this.conn.request(msg, timeoutMs);
  }

  /** A multipart request of type `mpType`, reassembled. */
  multipart<P extends MultipartType>(
    mpType: P,
    body: MultipartBody<P>,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<MultipartReplyOf<P>> {
    const msg = { type: 'MULTIPART_REQUEST', mpType, flags: 0, ...body } as unknown as RequestMessage;
    return this.conn.request(msg, timeoutMs) as unknown as Promise<MultipartReplyOf<P>>;
  }

  /** Send a message that has no reply, then a barrier: rejects with the switch's ERROR if it refused it. */
  sendChecked(msg: Outgoing, timeoutMs = this.requestTimeoutMs): Promise<void> {
    return this.conn.sendChecked(msg, timeoutMs);
  }

  barrier(timeoutMs = this.requestTimeoutMs): Promise<void> {
    return this.conn.barrier(timeoutMs);
  }

  close(reason?: Error): void {
    this.conn.close(reason);
  }
}
