// @rumpflow/openflow — the OpenFlow 1.3 (wire version 0x04) codec. No I/O.
export * from './errors.js';
export * from './constants.js';
export * from './oxm.js';
export * from './actions.js';
export * from './structures.js';
export * from './multipart.js';
export * from './messages.js';
export * from './validate.js';
export * from './framer.js';
export * from './format.js';
export * from './flow-syntax.js';
export * from './json.js';
export { RAW, rawOf, macStr, macPut, type Codec, type Cursor, type Reader, type Writer, cursorOf, readerOf, writerOf } from './layout.js';
export * from './requests.js';
