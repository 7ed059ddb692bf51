import { oneLine } from '@sd-actions/core';
import { log } from '@sd-actions/action-kit';

/** One log line per event (action-kit's log neutralises anything that could start a workflow command). */
export function say(text: string): void {
  log.info(oneLine(text, 1000));
}
