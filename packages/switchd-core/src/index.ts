// @rumpflow/switchd-core: switch(8)'s logic, shared by the switchd and switchctl programs.
export * from './config.js';
export * from './device-spec.js';
export * from './device.js';
export * from './relay.js';
export * from './learning.js';
export * from './device-link.js';
export * from './switchd.js';
export * from './control.js';
