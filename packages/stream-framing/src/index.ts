// @rumpflow/stream-framing — splitting a byte stream into length-prefixed frames. No I/O.
export * from './splitter.js';
