import { expect, test } from '@jest/globals';
import {
  buildStatusView,
  parseConfig,
  parseLedger,
  renderStatusHtml,
  renderStatusViewMarkdown,
  renderStatusViewText,
  statusMatrix,
  type DeployedEntry,
  type LedgerCommit,
} from '../src/index.js';

const D = (c: string) => `sha256:${c.repeat(64)}`;
const config = await parseConfig('services:\n  blue: { path: blue }\n');

const verdict = (sha: string, version: string, digest: string, result: string): LedgerCommit => ({
  sha: sha.repeat(40),
  subject: `verify(blue): ${version} ${result} in production`,
  date: '2026-11-20T10:00:00Z',
  trailers: `Sd-Service: blue\nSd-Environment: production\nSd-Version: ${version}\nSd-Digest: ${digest}\nSd-Verification: ${result}\n`,
});

function view(productionVersion: string, reason = 'bad | <b>x</b>') {
  const entry = (version: string, digest: string): DeployedEntry => ({ version, digest, promotedBy: 'a|b' });
  return buildStatusView(config, {
    deployed: new Map([
      ['staging', new Map([['blue', entry('1.7.0', D('7'))]])],
      [
        'production',
        new Map([['blue', entry(productionVersion, D(productionVersion === '1.7.0' ? '7' : '6'))]]),
      ],
    ]),
    ledgers: new Map([
      [
        'production',
        parseLedger(
          [verdict('b', '1.6.0', D('6'), 'unhealthy'), verdict('a', '1.6.0', D('6'), 'healthy')],
          'production',
        ),
      ],
    ]),
    quarantine: new Map([
      [
        'production',
        [
          {
            service: 'blue',
            version: '1.5.0',
            digest: D('5'),
            at: '2026-11-19T10:00:00Z',
            reason,
            by: 'bot',
          },
        ],
      ],
    ]),
  });
}

test('the newest verdict for the running digest marks the cell; none is "unverified"', () => {
  const v = view('1.6.0');
  expect(v.rows[0]!.cells.map((c) => [c.environment, c.mark ?? null, c.drift])).toEqual([
    ['dev', null, 'none'],
    ['staging', null, 'none'],
    ['production', 'unhealthy', 'behind'],
  ]);
  expect(view('1.7.0').rows[0]!.cells[2]).toMatchObject({ mark: 'unverified', drift: 'in-sync' });
  expect(v.approvalsChecked).toBe(false);
});

test('text fits a width by dropping detail; markdown and HTML escape every value', () => {
  const v = view('1.6.0');
  const wide = renderStatusViewText(v);
  expect(wide).toContain('1.6.0 666666666666 unhealthy ✗ a|b ⚠ behind staging ⛔1');
  const narrow = renderStatusViewText(v, { maxWidth: 60 });
  expect(narrow).toContain('1.6.0 6666666 ✗ ⚠ ⛔1');
  expect(
    narrow
      .split('\n')
      .every(
        (l) => [...l].length <= 60 || l.startsWith('service') || /^[─ ]+$/.test(l) || l.startsWith('blue'),
      ),
  ).toBe(true);
  const md = renderStatusViewMarkdown(v);
  expect(md).toContain('a\\|b');
  expect(md).toContain('bad \\| &lt;b&gt;x&lt;/b&gt;');
  const html = renderStatusHtml(view('1.6.0', '"><img src=x onerror=alert(1)>'));
  expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
  expect(html).not.toContain('<img');
});

test('approvals and overrides on a promotion are timeline entries of their own, with who and when', () => {
  const promotion: LedgerCommit = {
    sha: 'c'.repeat(40),
    subject: 'promote(blue): 1.7.0 to production',
    authorName: 'github-actions',
    date: '2026-11-21T10:00:00Z',
    trailers: [
      'Sd-Service: blue',
      'Sd-Environment: production',
      'Sd-Version: 1.7.0',
      `Sd-Digest: ${D('7')}`,
      'Sd-Actor: carol',
      'Sd-Approved-By: alice, bob',
      'Sd-Approval: https://github.com/acme/shop/issues/12',
      'Sd-Override: min-soak',
      'Sd-Override-Reason: <i>customer</i> fix',
    ].join('\n'),
  };
  const v = buildStatusView(config, {
    deployed: new Map(),
    ledgers: new Map([['production', parseLedger([promotion], 'production')]]),
    pending: [],
  });
  expect(v.history.find((h) => h.environment === 'production')!.rows.map((r) => [r.kind, r.actor])).toEqual([
    ['promotion', 'carol'],
    ['approval', 'carol'],
    ['override', 'carol'],
  ]);
  const html = renderStatusHtml(v);
  expect(html).toContain('approved by alice, bob (https://github.com/acme/shop/issues/12)');
  expect(html).toContain('overrode min-soak: &lt;i&gt;customer&lt;/i&gt; fix');
  expect(html).toContain('<li class="kind-approval">');
  expect(v.notes).toEqual([]);
});

test('statusMatrix (promote summaries) shares the rule: a hotfix in staging is not behind dev', () => {
  const rows = statusMatrix(
    config,
    new Map([
      ['dev', new Map([['blue', { version: 'sha-1111111', digest: D('1') }]])],
      ['staging', new Map([['blue', { version: '1.6.1', digest: D('2') }]])],
      ['production', new Map([['blue', { version: '1.6.0', digest: D('3') }]])],
    ]),
  );
  expect(rows[0]!.cells.map((c) => c.behind)).toEqual([false, false, true]);
});
