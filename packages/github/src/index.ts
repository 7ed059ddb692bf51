// GitHub API adapters over @actions/github (Octokit): approval requests, team membership,
// collaborator permissions, run approvals, deployments. They report through return values.
export * from './client.js';
export * from './adapters.js';
export * from './approval-requests.js';
export * from './pending.js';
export * from './promotion-approval.js';
export * from './deployments-flow.js';
