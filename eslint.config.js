import tseslint from 'typescript-eslint';

/**
 * The layers (docs/ARCHITECTURE.md): core is pure; adapters never write runner commands; actions
 * and the CLI never reach into test or development infrastructure.
 */
const devOnly = ['@sd-actions/testkit', '@sd-actions/demo', '@sd-actions/devtools'];
const forbid = (names, message) => names.map((name) => ({ name, message }));
const forbidPatterns = (group, message) => ({ group, message });

const NODE_IO = [
  'fs',
  'fs/promises',
  'child_process',
  'net',
  'http',
  'https',
  'http2',
  'dgram',
  'os',
  'worker_threads',
  'cluster',
  'process',
];

export const layers = [
  {
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbid(
            NODE_IO.flatMap((m) => [m, `node:${m}`]),
            'packages/core is the pure domain: no I/O (docs/ARCHITECTURE.md). Do the I/O in an adapter or action-kit.',
          ),
          patterns: [
            forbidPatterns(
              ['@sd-actions/*', '@actions/*', '@aws-sdk/*'],
              'packages/core is the pure domain: it imports no other layer (docs/ARCHITECTURE.md).',
            ),
          ],
        },
      ],
    },
  },
  {
    files: [
      'packages/git/src/**/*.ts',
      'packages/registry/src/**/*.ts',
      'packages/gitops/src/**/*.ts',
      'packages/github/src/**/*.ts',
      'packages/aws/src/**/*.ts',
      'packages/verify/src/**/*.ts',
      'packages/notify/src/**/*.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbid(
            ['@sd-actions/action-kit', '@actions/core', '@sd-actions/cli', ...devOnly],
            'Adapters never write runner commands or import runner glue: report through callbacks or return values (docs/ARCHITECTURE.md).',
          ),
        },
      ],
    },
  },
  {
    files: ['packages/action-kit/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbid(
            ['@sd-actions/cli', ...devOnly],
            'action-kit is runtime glue: no CLI, test or development packages (docs/ARCHITECTURE.md).',
          ),
        },
      ],
    },
  },
  {
    files: ['actions/*/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...forbid(
              ['@sd-actions/cli', ...devOnly],
              'Actions cannot import the CLI or test/demo/development infrastructure (docs/ARCHITECTURE.md).',
            ),
            ...forbid(
              ['@actions/core'],
              "Actions log through action-kit's `log`, which neutralises workflow commands (docs/ARCHITECTURE.md).",
            ),
          ],
        },
      ],
    },
  },
  {
    files: ['packages/cli/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: forbid(
            ['@sd-actions/action-kit', '@actions/core', ...devOnly],
            'The CLI is not an action: no runner glue, no action-input wording (docs/ARCHITECTURE.md).',
          ),
        },
      ],
    },
  },
];

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', 'action-docs/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  ...layers,
);
