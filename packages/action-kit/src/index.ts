export * as core from './runner.js';
export * from './inputs.js';
export * from './summary.js';
export * from './run.js';
export * from './event.js';
export * from './process.js';
export * from './config-file.js';
export * from './credentials.js';
export * from './clock.js';
