// @rumpflow/openflow-connection — OpenFlow 1.3 connections over any duplex stream.
export * from './connection.js';
export * from './transport.js';
// ManualTimers (tests): "@rumpflow/openflow-connection/testing"
