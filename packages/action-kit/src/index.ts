export * as log from './log.js';
/** @deprecated the runner glue is `log`; "core" names the domain package (`@sd-actions/core`). */
export * as core from './log.js';
export { neutralise, neutraliseLine } from './log.js';
export * from './inputs.js';
export * from './summary.js';
export * from './run.js';
export * from './event.js';
export * from './process.js';
export * from './config-file.js';
export * from './credentials.js';
export * from './clock.js';
