/**
 * The JSON shapes the GitHub fake answers with, filled to the OpenAPI description's required
 * fields so that the real Octokit client and our adapters see what GitHub sends.
 */

export type Json = Record<string, unknown>;

export interface FakeUser {
  login: string;
  id: number;
  type: 'User' | 'Bot' | 'Organization';
}

export function userJson(base: string, user: FakeUser): Json {
  const web = base.replace(/\/api\/v3$/, '');
  const u = `${base}/users/${user.login}`;
  return {
    login: user.login,
    id: user.id,
    node_id: `U_${user.id}`,
    avatar_url: `${web}/avatars/${user.login}`,
    gravatar_id: '',
    url: u,
    html_url: `${web}/${user.login}`,
    followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`,
    subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`,
    repos_url: `${u}/repos`,
    events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`,
    type: user.type,
    site_admin: false,
  };
}

const REPO_URL_FIELDS = [
  'archive_url',
  'assignees_url',
  'blobs_url',
  'branches_url',
  'collaborators_url',
  'comments_url',
  'commits_url',
  'compare_url',
  'contents_url',
  'contributors_url',
  'deployments_url',
  'downloads_url',
  'events_url',
  'forks_url',
  'git_commits_url',
  'git_refs_url',
  'git_tags_url',
  'hooks_url',
  'issue_comment_url',
  'issue_events_url',
  'issues_url',
  'keys_url',
  'labels_url',
  'languages_url',
  'merges_url',
  'milestones_url',
  'notifications_url',
  'pulls_url',
  'releases_url',
  'stargazers_url',
  'statuses_url',
  'subscribers_url',
  'subscription_url',
  'tags_url',
  'teams_url',
  'trees_url',
];

export function minimalRepoJson(base: string, id: number, fullName: string, owner: FakeUser): Json {
  const url = `${base}/repos/${fullName}`;
  const repo: Json = {
    id,
    node_id: `R_${id}`,
    name: fullName.split('/')[1],
    full_name: fullName,
    owner: userJson(base, owner),
    private: false,
    html_url: `${base.replace(/\/api\/v3$/, '')}/${fullName}`,
    description: null,
    fork: false,
    url,
  };
  for (const field of REPO_URL_FIELDS) repo[field] = `${url}/${field.replace(/_url$/, '')}`;
  return repo;
}

export function labelJson(base: string, repo: string, label: FakeLabel): Json {
  return {
    id: label.id,
    node_id: `LA_${label.id}`,
    url: `${base}/repos/${repo}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    description: label.description,
    color: label.color,
    default: false,
  };
}

export interface FakeLabel {
  id: number;
  name: string;
  color: string;
  description: string | null;
}
