/** replayPromotion: another run's pending promotion is re-applied only when it is exactly what its owner would land. */
import { describe, expect, test } from '@jest/globals';
import {
  newManifestText,
  parseManifest,
  promoteInManifest,
  promotionMessage,
  type ManifestPromotion,
} from '@sd-actions/core';
import { replayPromotion } from '@sd-actions/gitops';

const PATH = 'release-manifests/dev.yaml';
const WHERE = `gitops/dev:${PATH}`;
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const promotion = (service: string, version: string, c: string): ManifestPromotion => ({
  version,
  image: `registry.example/${service}`,
  digest: digest(c),
  commit: 'a'.repeat(40),
  promotedAt: '2026-11-27T08:00:00Z',
  promotedBy: 'octo',
});
const apply = (text: string, service: string, p: ManifestPromotion) =>
  promoteInManifest(text, WHERE, 'dev', service, p).text;
const messageFor = (service: string, p: ManifestPromotion, previousVersion?: string) =>
  promotionMessage({
    service,
    environment: 'dev',
    version: p.version,
    previousVersion,
    digest: p.digest,
    image: p.image,
    sourceCommit: p.commit,
  });

const base = apply(newManifestText('dev'), 'blue', promotion('blue', '1.0.0', 'b'));
const red = promotion('red', '2.0.0', 'c');
const pending = (theirs: string, message = messageFor('red', red)) => ({
  message,
  files: [{ path: PATH, base, theirs }],
});

describe('replayPromotion', () => {
  test('an honest pending promotion lands on a tip that moved elsewhere, as its own edit would', () => {
    const current = apply(base, 'green', promotion('green', '3.0.0', 'd'));
    const out = replayPromotion(pending(apply(base, 'red', red)), () => current, PATH, 'dev', WHERE);
    expect(out).toEqual({ [PATH]: apply(current, 'red', red) });
    expect(parseManifest(out![PATH]!, WHERE).services.get('green')?.version).toBe('3.0.0');
  });

  test('left to its owner when its service moved since its base (the owner finds the conflict)', () => {
    const current = apply(base, 'red', promotion('red', '1.9.0', 'e'));
    expect(
      replayPromotion(pending(apply(base, 'red', red)), () => current, PATH, 'dev', WHERE),
    ).toBeUndefined();
  });

  test('refused when its trailers disagree with its manifest, or name another environment', () => {
    const theirs = apply(base, 'red', red);
    const forged = messageFor('red', { ...red, digest: digest('f') });
    expect(replayPromotion(pending(theirs, forged), () => base, PATH, 'dev', WHERE)).toBeUndefined();
    const elsewhere = messageFor('red', red).replace('Sd-Environment: dev', 'Sd-Environment: production');
    expect(replayPromotion(pending(theirs, elsewhere), () => base, PATH, 'dev', WHERE)).toBeUndefined();
    const noRecord = 'tidy up\n';
    expect(replayPromotion(pending(theirs, noRecord), () => base, PATH, 'dev', WHERE)).toBeUndefined();
  });

  test('refused when it touches another file, or the manifest is unreadable', () => {
    const theirs = apply(base, 'red', red);
    const twoFiles = {
      message: messageFor('red', red),
      files: [
        { path: PATH, base, theirs },
        { path: 'deploy/red.yaml', base: 'a: 1\n', theirs: 'a: 2\n' },
      ],
    };
    expect(replayPromotion(twoFiles, () => base, PATH, 'dev', WHERE)).toBeUndefined();
    expect(replayPromotion(pending(theirs), () => 'services: [', PATH, 'dev', WHERE)).toBeUndefined();
  });
});
