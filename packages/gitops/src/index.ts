export * from './remote.js';
export * from './manifest-update.js';
export * from './deployed.js';
export * from './ledger.js';
export * from './verification.js';
export * from './config-file.js';
export * from './status-view.js';
export * from './manifest-batch.js';
