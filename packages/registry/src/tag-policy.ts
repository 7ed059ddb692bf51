/**
 * Which tags may move and what a retag would do. Pure: the caller resolves the current state.
 *
 * A tag template with placeholders (`{version}`), a `sha-*` tag and a semver-like tag name one
 * build forever: immutable. A plain name (`dev`, `prd`, `latest`) is a pointer that moves.
 */
import { isMovingTagTemplate, UserError } from '@sd-actions/core';

export type TagKind = 'moving' | 'immutable';

const SEMVER_LIKE = /^v?\d+(?:\.\d+){1,2}(?:[-+][0-9A-Za-z.-]+)?$/;

export function tagKind(template: string, rendered: string = template): TagKind {
  if (!isMovingTagTemplate(template)) return 'immutable';
  if (/^sha-[0-9a-f]{7,64}$/.test(rendered) || SEMVER_LIKE.test(rendered)) return 'immutable';
  return 'moving';
}

export interface TagState {
  tag: string;
  kind: TagKind;
  /** The digest the tag points at now, if it exists. */
  current?: string;
}

export type TagAction = TagState & { action: 'present' | 'add' | 'move' | 'refuse' };

export function planTags(target: string, states: readonly TagState[]): TagAction[] {
  return states.map((s): TagAction => {
    if (s.current === undefined) return { ...s, action: 'add' };
    if (s.current === target) return { ...s, action: 'present' };
    return { ...s, action: s.kind === 'moving' ? 'move' : 'refuse' };
  });
}

/** All refusals in one error, before anything is written. */
export function refusalError(
  image: string,
  target: string,
  plan: readonly TagAction[],
): UserError | undefined {
  const refused = plan.filter((a) => a.action === 'refuse');
  if (refused.length === 0) return undefined;
  const lines = refused.map((a) => `${image}:${a.tag} already points at ${a.current}`);
  return new UserError(
    `Refusing to retag ${image}@${target}: immutable tag${refused.length > 1 ? 's' : ''} would move (${lines.join('; ')}). ` +
      'Tags with placeholders, sha-* and version tags never move; only plain tags like dev or prd do. Nothing was changed.',
  );
}
