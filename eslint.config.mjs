import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{mjs,js,cjs}'],
    languageOptions: { globals: globals.node }
  },
  {
    files: ['src/main/**/*.ts', 'src/preload/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { globals: globals.node }
  },
  {
    // Process boundaries: the renderer talks to main only through the OutpostApi contract.
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/**', '**/preload/**', 'electron', 'node:*'],
              message: 'The renderer only imports src/shared.'
            }
          ]
        }
      ]
    }
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/**', '**/renderer/**', '**/preload/**', 'electron', 'node:*'],
              message: 'src/shared is imported by every process and imports none of them.'
            }
          ]
        }
      ]
    }
  },
  {
    // A vendor lives in its own folder under src/main/connectors; only the registry
    // (connectors/index.ts) imports it, so adding a vendor is one module plus one line there.
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/connectors/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Anything below connectors/ but its shared modules is a vendor's.
              regex: 'connectors/(?!(?:types|validation|http-rules|message-id|json-text|edits|index)$)[^/]+',
              message: 'Import connectors through the registry (src/main/connectors), not a vendor folder.'
            }
          ]
        }
      ]
    }
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
    }
  }
)
