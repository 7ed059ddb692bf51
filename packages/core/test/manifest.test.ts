import { describe, expect, test } from '@jest/globals';
import { parse } from 'yaml';
import {
  editDeployFile,
  isSameDeployment,
  newManifestText,
  parseDeployFileSpec,
  parseManifest,
  promoteInManifest,
  UserError,
  YamlEditor,
  type ManifestPromotion,
} from '../src/index.js';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const C1 = '3b9d0c2'.padEnd(40, '0');

/** Lines that differ, as [before, after] pairs; requires the same number of lines. */
function changedLines(before: string, after: string): [string, string][] {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b).toHaveLength(a.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [[line, b[i]!] as [string, string]]));
}

const HAND_WRITTEN = `# Production — edited by humans and by sd-actions.
environment: production   # never rename
x-defaults: &defaults
  image: "registry.example/acme/blue"     # the ECR mirror

services:
  # blue ships on Tuesdays
  blue:
    <<: *defaults
    version:    '1.6.0'      # odd spacing and single quotes
    digest: "${A}"
    commit: ${C1}
    promotedAt: "2026-01-20T10:00:00Z"
    promotedBy: alice
  red: {version: "3.0.8", image: registry.example/acme/red, digest: ${B}}   # flow style
  green:
    version: &gv 2.0.0
    image: registry.example/acme/green
    digest: ${B}
  green-canary:
    version: *gv
    image: registry.example/acme/green
    digest: ${B}
# end of services
`;

function promotion(over: Partial<ManifestPromotion> = {}): ManifestPromotion {
  return {
    version: '1.6.1',
    image: 'registry.example/acme/blue',
    digest: A,
    commit: C1,
    promotedAt: '2026-01-20T10:00:00Z',
    promotedBy: 'alice',
    ...over,
  };
}

describe('promoteInManifest keeps every byte it does not change', () => {
  test('a version bump on a hand-written manifest is a one-line diff', () => {
    const edit = promoteInManifest(HAND_WRITTEN, 'production.yaml', 'production', 'blue', promotion());
    expect(edit.changed).toBe(true);
    expect(edit.previous).toMatchObject({ version: '1.6.0', digest: A, image: 'registry.example/acme/blue' });
    expect(changedLines(HAND_WRITTEN, edit.text)).toEqual([
      [
        "    version:    '1.6.0'      # odd spacing and single quotes",
        "    version:    '1.6.1'      # odd spacing and single quotes",
      ],
    ]);
    expect(parse(edit.text, { merge: true }).services.blue.version).toBe('1.6.1');
  });

  test('only changed fields change, each in its own quoting', () => {
    const edit = promoteInManifest(
      HAND_WRITTEN,
      'production.yaml',
      'production',
      'blue',
      promotion({ digest: B, promotedAt: '2026-02-01T08:00:00Z', promotedBy: 'bob' }),
    );
    expect(changedLines(HAND_WRITTEN, edit.text)).toEqual([
      [
        "    version:    '1.6.0'      # odd spacing and single quotes",
        "    version:    '1.6.1'      # odd spacing and single quotes",
      ],
      [`    digest: "${A}"`, `    digest: "${B}"`],
      ['    promotedAt: "2026-01-20T10:00:00Z"', '    promotedAt: "2026-02-01T08:00:00Z"'],
      ['    promotedBy: alice', '    promotedBy: bob'],
    ]);
  });

  test('a flow-style entry is edited in place', () => {
    const edit = promoteInManifest(HAND_WRITTEN, 'production.yaml', 'production', 'red', {
      version: '3.0.9',
      image: 'registry.example/acme/red',
      digest: B,
    });
    expect(changedLines(HAND_WRITTEN, edit.text)).toEqual([
      [
        `  red: {version: "3.0.8", image: registry.example/acme/red, digest: ${B}}   # flow style`,
        `  red: {version: "3.0.9", image: registry.example/acme/red, digest: ${B}}   # flow style`,
      ],
    ]);
  });

  test('an anchored value keeps its meaning for the entries that alias it', () => {
    const edit = promoteInManifest(HAND_WRITTEN, 'p.yaml', 'production', 'green', {
      version: '2.1.0',
      image: 'registry.example/acme/green',
      digest: B,
    });
    const data = parse(edit.text, { merge: true });
    expect(data.services.green.version).toBe('2.1.0');
    expect(data.services['green-canary'].version).toBe('2.0.0');
    expect(changedLines(HAND_WRITTEN, edit.text)).toEqual([
      ['    version: &gv 2.0.0', '    version: &gv 2.1.0'],
      ['    version: *gv', '    version: 2.0.0'],
    ]);
  });

  test('a new service is appended at the end of services, before trailing comments', () => {
    const edit = promoteInManifest(
      HAND_WRITTEN,
      'p.yaml',
      'production',
      'purple',
      promotion({ image: 'registry.example/acme/purple', commit: '1234567'.repeat(5) + '12345' }),
    );
    const added = edit.text.replace(HAND_WRITTEN.replace('# end of services\n', ''), '');
    expect(added).toBe(
      [
        '  purple:',
        '    version: 1.6.1',
        '    image: registry.example/acme/purple',
        `    digest: ${A}`,
        // All digits would read back as a number: quoted.
        '    commit: "1234567123456712345671234567123456712345"',
        '    promotedAt: 2026-01-20T10:00:00Z',
        '    promotedBy: alice',
        '# end of services',
        '',
      ].join('\n'),
    );
    expect(parseManifest(edit.text, 'p.yaml').services.get('purple')?.commit).toBe(
      '1234567123456712345671234567123456712345',
    );
  });

  test('the same artifact again changes nothing, not even promotedAt', () => {
    const edit = promoteInManifest(
      HAND_WRITTEN,
      'p.yaml',
      'production',
      'blue',
      promotion({ version: '1.6.0', promotedAt: '2030-01-01T00:00:00Z', promotedBy: 'zed' }),
    );
    expect(edit).toEqual({
      text: HAND_WRITTEN,
      changed: false,
      previous: expect.objectContaining({ version: '1.6.0' }),
    });
    expect(isSameDeployment(edit.previous, promotion({ version: '1.6.0' }))).toBe(true);
    expect(isSameDeployment(edit.previous, promotion({ version: '1.6.0', digest: B }))).toBe(false);
  });

  test('a new manifest starts empty and grows in block style', () => {
    let text = newManifestText('dev');
    expect(parseManifest(text, 'dev.yaml')).toEqual({ environment: 'dev', services: new Map() });
    text = promoteInManifest(text, 'dev.yaml', 'dev', 'blue', promotion({ version: 'sha-abc1234' })).text;
    text = promoteInManifest(text, 'dev.yaml', 'dev', 'red', promotion({ version: 'sha-def5678' })).text;
    expect(text).toContain('services:\n  blue:\n    version: sha-abc1234\n');
    expect(text).toContain('\n  red:\n    version: sha-def5678\n');
    expect([...parseManifest(text, 'dev.yaml').services.keys()]).toEqual(['blue', 'red']);
  });

  test('CRLF files stay CRLF', () => {
    const text = 'environment: dev\r\nservices:\r\n  blue:\r\n    version: 1.0.0\r\n';
    const out = promoteInManifest(text, 'd.yaml', 'dev', 'red', promotion()).text;
    expect(out.startsWith(text)).toBe(true);
    expect(out.replace(/\r\n/g, '')).not.toContain('\n');
  });
});

describe('parseManifest rejects what it cannot trust, naming the file', () => {
  test.each([
    ['environment: dev\nservices: [\n', /^gitops\/dev:m\.yaml: not valid YAML at line \d+, column \d+/],
    ['- a\n- b\n', /^gitops\/dev:m\.yaml: \(top level\): \["a","b"\] is not a mapping/],
    ['services: [blue]\n', /^gitops\/dev:m\.yaml: services: \["blue"\] is not a mapping/],
    ['services:\n  blue: 1.0.0\n', /^gitops\/dev:m\.yaml: services\.blue: "1\.0\.0" is not a mapping/],
    ['services:\n  blue:\n    version: [1]\n', /services\.blue\.version: \[1\] is not a single value/],
    ['a: 1\na: 2\n', /not valid YAML.*unique/i],
    ['a: 1\n---\nb: 2\n', /not valid YAML/],
  ])('%j', (text, message) => {
    expect(() => parseManifest(text, 'gitops/dev:m.yaml')).toThrow(message);
    expect(() => parseManifest(text, 'gitops/dev:m.yaml')).toThrow(UserError);
  });

  test('a manifest of another environment is refused', () => {
    expect(() =>
      promoteInManifest('environment: staging\nservices: {}\n', 'm.yaml', 'production', 'blue', promotion()),
    ).toThrow(
      'm.yaml: environment: "staging" does not match the environment being promoted to ("production")',
    );
  });
});

describe('YamlEditor', () => {
  test('creates missing mappings with the document indentation', () => {
    const e = new YamlEditor('top:\n    a: 1  # four spaces\n', 'f.yaml');
    expect(e.setIn(['top', 'b', 'c'], 'x')).toBe(true);
    expect(e.text).toBe('top:\n    a: 1  # four spaces\n    b:\n        c: x\n');
    expect(e.setIn(['top', 'b', 'c'], 'x')).toBe(false);
  });

  test('fills empty values, keeping a comment on the key line', () => {
    const e = new YamlEditor('services: ~ # none yet\nother: 1\n', 'f.yaml');
    e.setIn(['services', 'blue'], { version: '1.0.0' });
    expect(e.text).toBe('services: # none yet\n  blue:\n    version: 1.0.0\nother: 1\n');
  });

  test('quotes what would not read back as the same string', () => {
    const e = new YamlEditor('a: x\n', 'f.yaml');
    for (const value of ['yes', '0123', '1e3', 'a: b', '#x', '', 'null', '12:30', 'multi\nline']) {
      e.setIn(['a'], value);
      expect(parse(e.text).a).toBe(value);
    }
  });

  test('refuses an edit that would change another entry', () => {
    const e = new YamlEditor('base: &b {tag: 1.0.0}\nblue: *b\nred: *b\n', 'f.yaml');
    expect(() => e.setIn(['blue', 'tag'], '2.0.0')).toThrow(/blue is an alias|cannot set blue\.tag/);
    expect(e.text).toBe('base: &b {tag: 1.0.0}\nblue: *b\nred: *b\n');
  });

  test('a scalar where a mapping is needed is an error naming the path', () => {
    const e = new YamlEditor('blue: 1\n', 'f.yaml');
    expect(() => e.setIn(['blue', 'image', 'tag'], '2')).toThrow('f.yaml: blue is 1; expected a mapping');
  });
});

describe('deploy files', () => {
  const values = {
    version: '1.6.1',
    digest: B,
    image: 'registry.example/acme/blue',
    commit: C1,
    imageNames: ['registry.example/acme/blue', 'blue'],
  };

  test('parseDeployFileSpec', () => {
    expect(parseDeployFileSpec('k8s/overlays/dev/kustomization.yaml')).toEqual({
      kind: 'kustomize',
      path: 'k8s/overlays/dev/kustomization.yaml',
    });
    expect(parseDeployFileSpec('charts/blue/values.yaml:blue.image.tag')).toEqual({
      kind: 'values',
      path: 'charts/blue/values.yaml',
      key: ['blue', 'image', 'tag'],
      field: 'version',
    });
    expect(parseDeployFileSpec('./charts/v.yaml:a.digest=digest')).toMatchObject({
      path: 'charts/v.yaml',
      field: 'digest',
    });
    expect(() => parseDeployFileSpec('../x/kustomization.yaml')).toThrow(
      'Input "files": "../x/kustomization.yaml" is not valid',
    );
    expect(() => parseDeployFileSpec('values.yaml')).toThrow(
      /expected a kustomization\.yaml, or a values file/,
    );
    expect(() => parseDeployFileSpec('v.yaml:a;b')).toThrow(/dotted key path/);
    expect(() => parseDeployFileSpec('v.yaml:a=rm')).toThrow(/a field among/);
  });

  test('kustomization: the entry of the service gets newTag and digest, nothing else moves', () => {
    const text = `apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources: [../../base]
images:
  - name: red
    newTag: 3.0.8
  - name: blue   # ours
    newName: registry.example/acme/blue
    newTag: "1.6.0"
`;
    const out = editDeployFile(text, parseDeployFileSpec('kustomization.yaml'), values);
    expect(out.changed).toBe(true);
    expect(out.text).toBe(text.replace('"1.6.0"', '"1.6.1"') + `    digest: ${B}\n`);
    expect(editDeployFile(out.text, parseDeployFileSpec('kustomization.yaml'), values)).toEqual({
      text: out.text,
      changed: false,
    });
    expect(() =>
      editDeployFile('images:\n  - name: red\n', parseDeployFileSpec('kustomization.yaml'), values),
    ).toThrow(
      'kustomization.yaml: no images[] entry named "registry.example/acme/blue" or "blue"; found "red"',
    );
  });

  test('Helm values: a key path', () => {
    const text =
      'blue:\n  image:\n    repository: registry.example/acme/blue\n    tag: 1.6.0 # set by CI\n  replicas: 3\n';
    const tag = editDeployFile(text, parseDeployFileSpec('values.yaml:blue.image.tag'), values);
    expect(tag.text).toBe(text.replace('tag: 1.6.0', 'tag: 1.6.1'));
    const digest = editDeployFile(
      tag.text,
      parseDeployFileSpec('values.yaml:blue.image.digest=digest'),
      values,
    );
    expect(digest.text).toBe(tag.text.replace('# set by CI\n', `# set by CI\n    digest: ${B}\n`));
  });
});
