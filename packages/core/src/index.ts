export * from './errors.js';
export * from './paths.js';
export * from './templates.js';
export * from './config.js';
export * from './changes.js';
export * from './compare.js';
