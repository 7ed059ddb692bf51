/**
 * Child processes, always as an argument array: inputs never pass through a shell. Runs through
 * `@actions/exec`; the implementation lives with the git layer, which uses it too.
 */
export { runProcess, type ProcessOptions, type ProcessResult } from '@sd-actions/git';
