/** The bundle's entry: run the action through the one error path (annotation, exit code, failure summary). */
import { runAction } from '@sd-actions/action-kit';
import { run } from './main.js';

await runAction(run, { name: 'rollback-service' });
