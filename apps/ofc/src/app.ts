// What an ofc app is: a small object with handlers for switch events and messages. The
// controller calls them in the order the apps were given (--app learning --app monitor),
// each switch's messages in the order they arrived; a handler may return messages to send
// to that switch (or a promise of them). A handler that throws is logged, never fatal.
//
//   onSwitchEnter  the switch is connected and described (FEATURES, PORT_DESC, DESC); its
//                  messages are held until every app's onSwitchEnter has finished
//   onSwitchLeave  the connection is gone (the switch may come back: onSwitchEnter again)
//   onPacketIn, onFlowRemoved, onPortStatus, onError
//                  those asynchronous messages (ERROR: one no request of ours was waiting for)
//   onMessage      every asynchronous message, after the specific handler
//   stop           ofc is shutting down
//
// `ctx` gives the app its logger, the metrics registry (GET /metrics on --admin), the
// controller (every switch by datapath id) and the settings from the command line.

import type { Logger, Registry } from '@rumpflow/service';
import type { ErrorMessage, Message, MessageOf } from '@rumpflow/openflow';
import type { Outgoing } from '@rumpflow/openflow-connection';
import type { Controller } from './controller.js';
import type { Datapath } from './datapath.js';

/** Messages a handler wants sent to the switch it was called for. */
export type Sendable = readonly Outgoing[] | void | undefined;
export type HandlerResult = Sendable | Promise<Sendable>;

export interface OfcApp {
  readonly name: string;
  onSwitchEnter?(dp: Datapath): HandlerResult;
  onSwitchLeave?(dp: Datapath, reason: Error | undefined): void;
  onPacketIn?(dp: Datapath, msg: MessageOf<'PACKET_IN'>): HandlerResult;
  onFlowRemoved?(dp: Datapath, msg: MessageOf<'FLOW_REMOVED'>): HandlerResult;
  onPortStatus?(dp: Datapath, msg: MessageOf<'PORT_STATUS'>): HandlerResult;
  onError?(dp: Datapath, msg: ErrorMessage): HandlerResult;
  onMessage?(dp: Datapath, msg: Message): HandlerResult;
  stop?(): void | Promise<void>;
}

/** Settings of the built-in apps, from the command line. */
export interface AppSettings {
  /** `static`: the flow file (Open vSwitch flow syntax). */
  readonly staticFlows?: string;
  /** `monitor`: seconds between polls. */
  readonly monitorInterval: number;
  /** `learning`: idle timeout of the learned flows, seconds. */
  readonly learningIdleTimeout: number;
}

export interface AppContext {
  readonly log: Logger;
  readonly metrics: Registry;
  readonly controller: Controller;
  readonly settings: AppSettings;
}

/** An app module's default export: makes the app (may read files, throw a usage error). */
export type AppFactory = (ctx: AppContext) => OfcApp | Promise<OfcApp>;
