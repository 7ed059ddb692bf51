export * from './runner.js';
export * from './repos.js';
export * from './registry-server.js';
export * from './sample-image.js';
export * from './tar.js';
export * from './aws-fakes/index.js';
export * from './github-fake/server.js';
export * from './webhook-receiver.js';
