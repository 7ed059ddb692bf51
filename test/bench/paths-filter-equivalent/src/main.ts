/**
 * Benchmark floor for detect-changed-service: what dorny/paths-filter does per run in push mode,
 * re-implemented from its documented behaviour with the libraries it bundles (@actions/core,
 * @actions/exec, @actions/github, js-yaml, picomatch). Not an action of this repository; see
 * README.md beside it.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as core from '@actions/core';
import * as github from '@actions/github';
import { Filters, type ChangedFile } from './filter.js';
import { changes, currentRef, isSha, NULL_SHA, shortName } from './git.js';

async function changedFiles(baseInput: string, refInput: string): Promise<ChangedFile[]> {
  const { context } = github;
  const payload = context.payload as { before?: string; repository?: { default_branch?: string } };
  const defaultBranch = payload.repository?.default_branch;
  const before = context.eventName === 'push' ? payload.before : undefined;
  const current = await currentRef();
  const head = shortName(refInput || context.ref || current);
  const base = shortName(baseInput || defaultBranch || '');
  if (!head) throw new Error("This action requires the 'ref' input or a ref in the event");
  if (!base) throw new Error("This action requires the 'base' input or the repository's default branch");
  if (isSha(base) || base === head) {
    const baseSha = isSha(base) ? base : before;
    if (!baseSha || baseSha === NULL_SHA)
      throw new Error('not part of the benchmark: a first push or a push without "before"');
    core.info(`Changes will be detected between ${baseSha} and ${head}`);
    return changes(baseSha, head);
  }
  throw new Error('not part of the benchmark: comparison against another branch (merge base)');
}

async function run(): Promise<void> {
  try {
    const input = core.getInput('filters', { required: true });
    const isPath = !input.includes('\n') && !input.includes(':');
    if (isPath && !existsSync(input)) throw new Error(`Configuration file '${input}' not found`);
    const text = isPath ? readFileSync(input, 'utf8') : input;
    const listFiles = (core.getInput('list-files') || 'none').toLowerCase();
    if (!['none', 'json', 'csv', 'shell', 'escape'].includes(listFiles))
      throw new Error(`Input parameter 'list-files' is set to invalid value '${listFiles}'`);

    const filters = new Filters(text);
    const files = await changedFiles(core.getInput('base'), core.getInput('ref'));
    core.info(`Detected ${files.length} changed files`);

    core.info('Results:');
    const changed: string[] = [];
    let unchanged = false;
    for (const [name, matched] of filters.match(files)) {
      core.startGroup(`Filter ${name} = ${matched.length > 0}`);
      if (matched.length > 0) {
        changed.push(name);
        core.info('Matching files:');
        for (const f of matched) core.info(`${f.filename} [${f.status}]`);
      } else {
        core.info('Matching files: none');
        unchanged = true;
      }
      core.setOutput(name, matched.length > 0);
      core.setOutput(`${name}_count`, matched.length);
      if (listFiles === 'json')
        core.setOutput(`${name}_files`, JSON.stringify(matched.map((f) => f.filename)));
      core.endGroup();
    }
    core.setOutput('all_changed', changed.length > 0 ? !unchanged : true);
    core.setOutput('any_changed', changed.length > 0);
    core.info(`Changes output set to ${JSON.stringify(changed)}`);
    core.setOutput('changes', JSON.stringify(changed));
  } catch (error) {
    core.setFailed(error instanceof Error ? error.message : String(error));
  }
}

await run();
