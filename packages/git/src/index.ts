export * from './git.js';
export * from './auth.js';
export * from './scratch.js';
export * from './update-branch.js';
export * from './refs.js';
export * from './process.js';
