export * from './runner.js';
export * from './repos.js';
export * from './registry-server.js';
