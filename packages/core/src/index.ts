export * from './errors.js';
export * from './paths.js';
export * from './templates.js';
export * from './config.js';
export * from './changes.js';
export * from './compare.js';
export * from './policy.js';
export * from './status.js';
