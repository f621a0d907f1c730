/**
 * The layers of src/, from the bottom. A module may import its own folder, the files at the top of src/ and the
 * folders of lower levels; never a folder of its own level or above. A new folder is added here in the commit that
 * creates it (a module in an unlisted folder fails the lint). docs/ARCHITECTURE.md explains the layers.
 */
const LEVELS = [
  ['fs', 'layout'], // durable file primitives; day <-> path naming and tier scans
  ['config'], // schema, environment, load
  ['sqlite', 'zstd', 'store', 'archive-target'], // engines; the state stores (metadata, audit, lock); the S3 archive
  ['lifecycle', 'simulate', 'wal'], // the planner and the steps; samples of today's WAL
  // status, verify, inventory, analyze (read-only views); the Parquet research lake; drills
  ['inspect', 'export', 'drill'],
  ['query'], // query across the tiers (reads the S3 tier through inspect/fetch-remote.ts)
  ['agent', 'service'], // the daemon; the service installers
  ['cli'], // thin commands: parse, call, print
];

const levelOf = new Map(LEVELS.flatMap((folders, level) => folders.map((f) => [f, level])));
const known = [...levelOf.keys()].join('|');

const upward = [...levelOf].map(([folder, level]) => {
  const barred = [...levelOf].filter(([f, l]) => f !== folder && l >= level).map(([f]) => f);
  return {
    name: `layer-${folder}`,
    comment: `src/${folder}/ (level ${level}) may not import ${barred.join(', ')}: same level or above`,
    severity: 'error',
    from: { path: `^src/${folder}/` },
    to: { path: `^src/(${barred.join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'top-files-are-leaves',
      comment: 'the files at the top of src/ (errors, clock, log, ...) import no folder of src/',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: '^src/[^/]+/' },
    },
    {
      name: 'unlisted-folder',
      comment: 'every folder of src/ has a level in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: `^src/(?!(${known})/)[^/]+/` },
      to: {},
    },
    {
      name: 'src-not-test',
      comment: 'production code does not import tests or scripts',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|scripts)/' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
