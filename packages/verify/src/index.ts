export * from './clock.js';
export * from './command.js';
export * from './http-probe.js';
export * from './runner.js';
