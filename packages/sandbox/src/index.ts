export * from './runner.js';
export * from './repos.js';
