// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs',
  'fs/promises',
  'path',
  'os',
  'child_process',
  'net',
  'http',
  'https',
  'crypto',
  'stream',
  'zlib',
  'worker_threads',
  'cluster',
  'dgram',
  'dns',
  'tls',
  'readline',
  'process',
  'timers',
  'util',
  'events',
];

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.tern/**', 'dist/**', 'coverage/**', 'staging/migrations/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.mjs', '*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // Workflow code is replayed: it must stay deterministic. No Node built-ins, no I/O libraries.
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({
              name,
              message: 'Workflow code may not use Node built-ins; do I/O in an activity.',
            })),
            ...nodeBuiltins.map((name) => ({
              name: `node:${name}`,
              message: 'Workflow code may not use Node built-ins; do I/O in an activity.',
            })),
            { name: 'axios', message: 'Workflow code may not do I/O; call an activity.' },
            { name: 'postgres', message: 'Workflow code may not do I/O; call an activity.' },
            { name: 'drizzle-orm', message: 'Workflow code may not do I/O; call an activity.' },
          ],
          patterns: [
            {
              group: ['../activities/*', '../connectors/*', '../staging/*'],
              allowTypeImports: true,
              message: 'Workflows import only the types of activities, connectors and staging.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'Use sleep() from @temporalio/workflow.' },
        { name: 'fetch', message: 'Workflow code may not do I/O; call an activity.' },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Date',
          property: 'now',
          message: 'Workflow time comes from the Temporal clock; pass times in or use activities.',
        },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' },
    },
  },
);
