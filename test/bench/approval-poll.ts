/**
 * Benchmark: what an idle approval gate costs in GitHub rate limit per hour of polling. One request
 * with 300 comments (3 pages) and one approval of the two needed; nothing changes for an hour.
 * Polled at the default interval (30 s, 120 polls) on a simulated clock, against the
 * OpenAPI-validated GitHub fake, by:
 *   - our gate (readRequest: issue + every comment page + eligibility, with ETags), and
 *   - the floor peers use: one plain listing of the first comment page per interval (which also
 *     misses pages 2 and 3).
 * Target (issue 11): at most 10 rate-limit-counted requests per idle hour.
 *
 *   node --import tsx test/bench/approval-poll.ts
 */
import { getOctokit } from '@actions/github';
import { createGitHubClient, ensureRequest, readRequest } from '@sd-actions/github';
import { startGitHubFake } from '@sd-actions/testkit';

const POLLS = 120;
const gh = await startGitHubFake();
try {
  gh.addToken('bot-token', 'sd-bot');
  gh.addRepo('acme/shop', { collaborators: { alice: 'write', bob: 'write', dave: 'write' } });
  const repo = { owner: 'acme', repo: 'shop' };
  let t = Date.now();
  const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
  const gate = createGitHubClient({ token: 'bot-token', baseUrl: gh.url, clock });
  const made = await ensureRequest(gate, repo, {
    binding: {
      service: 'blue',
      environment: 'production',
      version: '1.6.1',
      digest: `sha256:${'a'.repeat(64)}`,
      requester: 'dave',
      triggeringActor: 'dave',
      run: `${gh.url}/acme/shop/actions/runs/1`,
      requestedAt: new Date(t).toISOString(),
    },
    body: { count: 2, approvers: [] },
    gateLogin: 'sd-bot',
  });
  for (let i = 0; i < 299; i++) gh.addComment('acme/shop', made.issue.number, 'mallory', `chatter ${i}`);
  gh.addComment('acme/shop', made.issue.number, 'alice', 'approve');

  const policy = { count: 2, users: [], teams: [], via: 'issue' as const };
  const ours = createGitHubClient({ token: 'bot-token', baseUrl: gh.url, clock });
  const first = await readRequest({ repo: ours }, repo, made.issue.number, { policy, gateLogin: 'sd-bot' });
  const warm = ours.stats.counted;
  for (let i = 0; i < POLLS; i++) {
    await clock.sleep(30_000);
    const r = await readRequest({ repo: ours }, repo, made.issue.number, { policy, gateLogin: 'sd-bot' });
    if (r.decision.status !== 'pending') throw new Error(`expected pending, got ${r.decision.status}`);
  }
  const idle = ours.stats.counted - warm;

  const plain = getOctokit('bot-token', { baseUrl: gh.url });
  const before = gh.countedRequests((c) => c.token === 'bot-token');
  for (let i = 0; i < POLLS; i++)
    await plain.rest.issues.listComments({ ...repo, issue_number: made.issue.number, per_page: 100 });
  const floor = gh.countedRequests((c) => c.token === 'bot-token') - before;

  console.log(
    `first read: ${warm} counted requests (${first.comments.length} comments, approvals ${first.decision.approvers.join(', ')})`,
  );
  console.log(
    `idle hour, ours:  ${idle} counted of ${ours.stats.sent} sent in all (${ours.stats.notModified} answered 304)`,
  );
  console.log(
    `idle hour, floor: ${floor} counted (one plain first-page listing per interval; pages 2-3 never read)`,
  );
  console.log(`target: <= 10 per idle hour: ${idle <= 10 ? 'met' : 'MISSED'}`);
  if (gh.violations.length) throw new Error(`OpenAPI violations: ${gh.violations.join('; ')}`);
  if (idle > 10) process.exitCode = 1;
} finally {
  await gh.stop();
}
