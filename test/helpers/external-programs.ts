import { accessSync, appendFileSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The programs some tests use as independent checkers or real servers, with the Debian package that brings each.
 * A test file asks for them with `describe.skipIf(!needProgram('zstd'))`: where one is missing the file's tests
 * skip, and the run's last line names what to install (test/helpers/missing-programs-reporter.ts). Under `CI=true`
 * a missing program fails the file instead: CI installs every package named here (.ci/run).
 */
export const PROGRAM_PACKAGES = {
  zstd: 'zstd',
  sqlite3: 'sqlite3',
  promtool: 'prometheus',
  'systemd-analyze': 'systemd',
  shellcheck: 'shellcheck',
  strace: 'strace',
  python3: 'python3',
  setpriv: 'util-linux',
  mkfifo: 'coreutils',
  xxhsum: 'xxhash',
  radosgw: 'radosgw',
  'ceph-mon': 'ceph-mon',
  'ceph-osd': 'ceph-osd',
  'radosgw-admin': 'ceph-common',
  ceph: 'ceph-common',
  monmaptool: 'ceph-base',
  'systemd-nspawn': 'systemd-container',
  debootstrap: 'debootstrap',
  'dpkg-deb': 'dpkg',
  'dpkg-shlibdeps': 'dpkg-dev',
  lintian: 'lintian',
  make: 'make',
  'g++': 'g++',
} as const satisfies Record<string, string>;

export type ExternalProgram = keyof typeof PROGRAM_PACKAGES;

/** Where the vitest process and its workers note missing programs (vitest.config.ts sets it). */
export const MISSING_PROGRAMS_ENV = 'TICKDB_TEST_MISSING_PROGRAMS';

const found = new Map<string, string | undefined>();

/** The absolute path of `name` on PATH, or undefined. */
export function findProgram(name: string): string | undefined {
  if (!found.has(name)) {
    const dirs = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '');
    found.set(
      name,
      dirs
        .map((d) => join(d, name))
        .find((p) => {
          try {
            accessSync(p, constants.X_OK);
            return true;
          } catch {
            return false;
          }
        }),
    );
  }
  return found.get(name);
}

/**
 * True when every program is on PATH. When one is missing: under `CI=true` this throws (the test file fails, naming
 * the package to install); elsewhere it records the program for the run's summary line and returns false.
 */
export function needProgram(...names: ExternalProgram[]): boolean {
  const missing = names.filter((n) => findProgram(n) === undefined);
  if (missing.length === 0) return true;
  const packages = missing.map((n) => `${n} (Debian package ${PROGRAM_PACKAGES[n]})`).join(', ');
  if (process.env.CI === 'true') {
    throw new Error(`CI=true but ${packages} is missing from PATH: .ci/run must install it`);
  }
  const file = process.env[MISSING_PROGRAMS_ENV];
  if (file !== undefined) appendFileSync(file, `${missing.join('\n')}\n`);
  return false;
}
