export * from './git.js';
export * from './auth.js';
export * from './scratch.js';
export * from './update-branch.js';
export * from './refs.js';
export * from './paths-at.js';
export * from './contains.js';
export * from './reach.js';
