import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needProgram } from '../helpers/external-programs.js';

/**
 * The release build (`npm run package`) and its .deb under a real systemd: a Debian 12 container booted with
 * systemd-nspawn (scripts/nspawn-debian12.sh; its root file system is built once, ~2.5 min, and cached outside the
 * repository), the .deb installed with dpkg -i, then every check of issue 18 item 2. Needs root.
 */
const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const NSPAWN = join(REPO, 'scripts', 'nspawn-debian12.sh');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
const DEB = `tickdb_${VERSION}_amd64.deb`;
const TARBALL = `tickdb-${VERSION}-linux-x64.tar.gz`;
const RELEASE = join(REPO, 'release');
const ROOT = '/var/lib/tickdb/ticks';
const CONFIG = '/etc/tickdb/config.json';

const isRoot = process.getuid?.() === 0;
const available =
  needProgram('systemd-nspawn', 'debootstrap', 'dpkg-deb', 'dpkg-shlibdeps', 'lintian', 'make', 'g++') && isRoot;

function must(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** Newest modification time below `path` (a file or a folder). */
function newest(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(path).map((e) => newest(join(path, e))));
}

/** Builds the release unless both files are newer than everything they are made of (like make). */
function ensureRelease(): void {
  const outputs = [DEB, TARBALL].map((f) => join(RELEASE, f));
  const inputs = ['dist/bundle', 'dist/scripts', 'bin', 'packaging', 'package-lock.json'].map((p) => join(REPO, p));
  if (outputs.every((o) => existsSync(o) && statSync(o).mtimeMs > Math.max(...inputs.map(newest)))) return;
  const r = spawnSync(process.execPath, [join(REPO, 'dist', 'scripts', 'package.js')], {
    cwd: REPO,
    encoding: 'utf8',
    // The compiled production tree is cached beside the container's root file system, outside the checkout.
    env: {
      ...process.env,
      TICKDB_PACKAGE_CACHE: join(process.env.TICKDB_TEST_CACHE ?? '/var/cache/tickdb-test', 'package'),
    },
  });
  must(r, 'node dist/scripts/package.js');
}

let state: string;
let leader: string;

/** Runs a shell command inside the container (as root, in all its namespaces). */
/** Commands inside the container find its programs on its own PATH, never on the host's. */
const CONTAINER_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function sh(cmd: string): { code: number | null; out: string; err: string } {
  const r = spawnSync('nsenter', ['-t', leader, '-a', '/bin/sh', '-c', cmd], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, PATH: CONTAINER_PATH },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function ok(cmd: string): string {
  const r = sh(cmd);
  if (r.code !== 0) throw new Error(`in the container: ${cmd}\nexit ${r.code}\n${r.err}\n${r.out}`);
  return r.out;
}

/** `systemctl show tickdb` properties. */
function unit(...props: string[]): Record<string, string> {
  const out = ok(`systemctl show tickdb ${props.map((p) => `-p ${p}`).join(' ')}`);
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** Polls `check` (no sleeping for time: each try is a command in the container) until it holds or `ms` pass. */
function waitFor<T>(what: string, check: () => T | undefined, ms = 60_000): T {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms / 1000} s waiting for ${what}`);
    spawnSync('sleep', ['0.2']);
  }
}

function writeConfig(config: Record<string, unknown>): void {
  ok(`cat > ${CONFIG} <<'EOF'\n${JSON.stringify(config, null, 2)}\nEOF`);
}

const BASE_CONFIG = { root: ROOT, fileMode: '0664', fileGroup: 'mdwriters' };

function journalMessages(): { MESSAGE: string; SYSLOG_IDENTIFIER?: string }[] {
  return ok('journalctl -u tickdb -o json --no-pager')
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { MESSAGE: string; SYSLOG_IDENTIFIER?: string });
}

describe.skipIf(!available)('the .deb under systemd in a Debian 12 container', () => {
  beforeAll(async () => {
    // The release build from the built tree (npm test built dist/; `npm run package` also builds).
    ensureRelease();
    state = await mkdtemp(join(tmpdir(), 'tickdb-nspawn-'));
    leader = must(spawnSync(NSPAWN, ['boot', state, RELEASE], { encoding: 'utf8' }), 'boot').trim();
    // The trading engine's account and group, there before tickdb; config management drops the config first.
    ok('groupadd mdwriters && useradd --create-home --groups mdwriters trader');
    ok('mkdir -p /etc/tickdb');
    writeConfig(BASE_CONFIG);
    ok(`dpkg -i --force-confold /mnt/host/${DEB}`);
  }, 20 * 60_000);

  afterAll(async () => {
    if (state !== undefined) spawnSync(NSPAWN, ['stop', state], { encoding: 'utf8' });
    if (state !== undefined) await rm(state, { recursive: true, force: true });
  }, 120_000);

  it("runs the unit; today's and tomorrow's databases exist, owned by tickdb, writable by the writer's group", () => {
    expect(ok('systemctl is-active tickdb').trim()).toBe('active');
    expect(ok('systemctl is-enabled tickdb').trim()).toBe('enabled');
    const today = ok('date -u +%F').trim();
    const tomorrow = ok('date -u -d tomorrow +%F').trim();
    for (const day of [today, tomorrow]) {
      const file = `${ROOT}/db/${day.slice(0, 4)}/${day.slice(5, 7)}/ticks_${day}.db`;
      waitFor(file, () => (sh(`test -f ${file}`).code === 0 ? true : undefined));
      const [owner, group, mode] = ok(`stat -c '%U %G %a' ${file}`).trim().split(' ');
      expect({ owner, group }).toEqual({ owner: 'tickdb', group: 'mdwriters' });
      expect(Number.parseInt(mode ?? '0', 8) & 0o020).toBe(0o020);
      // The writer can open it for writing, and create the day's WAL and journal beside it.
      ok(`runuser -u trader -- sh -c 'test -w ${file} && test -w ${dirname(file)}'`);
    }
    expect(ok('id -nG tickdb').trim().split(' ')).toContain('mdwriters');
  });

  it("logs the agent's structured lines to the journal", () => {
    const lines = waitFor('a pino line in the journal', () => {
      const found = journalMessages().filter((m) => m.MESSAGE.startsWith('{'));
      return found.length > 0 ? found : undefined;
    });
    for (const l of lines) {
      expect(l.SYSLOG_IDENTIFIER).toBe('tickdb');
      const pino = JSON.parse(l.MESSAGE) as { level: unknown; msg: unknown; time: unknown };
      expect(typeof pino.msg).toBe('string');
      expect(pino.level).toBeDefined();
      expect(pino.time).toBeDefined();
    }
  });

  it('systemctl reload re-reads the configuration (same process; the change shows in the log and in tickdb policy)', () => {
    const pid = unit('MainPID').MainPID;
    writeConfig({ ...BASE_CONFIG, compressAfterDays: 5, schedules: { compress: '0 3 * * *' } });
    ok('systemctl reload tickdb');
    const reloaded = waitFor('"configuration reloaded" in the journal', () =>
      journalMessages()
        .filter((m) => m.MESSAGE.startsWith('{'))
        .map((m) => JSON.parse(m.MESSAGE) as { msg: string; schedules?: { compress?: string } })
        .find((p) => p.msg === 'configuration reloaded'),
    );
    expect(reloaded.schedules?.compress).toBe('0 3 * * *');
    expect(unit('MainPID').MainPID).toBe(pid);
    const policy = JSON.parse(ok('tickdb policy --json')) as {
      fields: { field: string; value: unknown; source: string }[];
    };
    expect(policy.fields.find((f) => f.field === 'compressAfterDays')).toEqual({
      field: 'compressAfterDays',
      value: 5,
      source: `file ${CONFIG}`,
    });
  });

  it('systemctl stop ends it within TimeoutStopSec with a clean exit', () => {
    const started = Date.now();
    ok('systemctl stop tickdb');
    const seconds = (Date.now() - started) / 1000;
    const u = unit('ActiveState', 'Result', 'ExecMainCode', 'ExecMainStatus', 'TimeoutStopUSec');
    expect(u.TimeoutStopUSec).toBe('45s');
    expect(seconds).toBeLessThan(45);
    // CLD_EXITED (1) with status 0: it exited by itself, not killed by systemd.
    expect(u).toMatchObject({ ActiveState: 'inactive', Result: 'success', ExecMainCode: '1', ExecMainStatus: '0' });
    ok('systemctl start tickdb');
  });

  it('restarts after RestartSec when the main process is killed with SIGKILL', () => {
    const before = unit('MainPID', 'NRestarts', 'RestartUSec');
    expect(before.RestartUSec).toBe('10s');
    ok('systemctl kill --signal=KILL --kill-whom=main tickdb');
    // systemd's own timestamps: the killed process's exit, then the new one's start.
    const killed = waitFor('the unit waiting to restart', () => {
      const u = unit('SubState', 'ExecMainExitTimestampMonotonic', 'ExecMainCode', 'ExecMainStatus');
      return u.SubState === 'auto-restart' ? u : undefined;
    });
    // CLD_KILLED (2) by signal 9.
    expect(killed).toMatchObject({ ExecMainCode: '2', ExecMainStatus: '9' });
    const after = waitFor('a restarted main process', () => {
      const u = unit('MainPID', 'ActiveState', 'NRestarts', 'ExecMainStartTimestampMonotonic');
      return u.ActiveState === 'active' && u.MainPID !== before.MainPID && u.MainPID !== '0' ? u : undefined;
    });
    expect(Number(after.NRestarts)).toBe(Number(before.NRestarts) + 1);
    const gapSeconds =
      (Number(after.ExecMainStartTimestampMonotonic) - Number(killed.ExecMainExitTimestampMonotonic)) / 1e6;
    expect(gapSeconds).toBeGreaterThanOrEqual(10);
  });

  it('exits 2 on an invalid configuration and is not restarted', () => {
    writeConfig({ ...BASE_CONFIG, compressAfterDays: 0 });
    sh('systemctl restart tickdb');
    const u = waitFor('the unit to fail', () => {
      const s = unit('ActiveState', 'SubState', 'Result', 'ExecMainStatus', 'NRestarts');
      return s.ActiveState === 'failed' || s.SubState === 'auto-restart' ? s : undefined;
    });
    // failed, not auto-restart: RestartPreventExitStatus=2 (a restart cannot fix a configuration).
    expect(u).toMatchObject({ ActiveState: 'failed', SubState: 'failed', Result: 'exit-code', ExecMainStatus: '2' });
    writeConfig(BASE_CONFIG);
    ok('systemctl reset-failed tickdb && systemctl start tickdb');
    expect(ok('systemctl is-active tickdb').trim()).toBe('active');
  });

  it('sandboxes writes to the tiers; a metrics file elsewhere becomes writable through a drop-in of tickdb service install', () => {
    const pid = unit('MainPID').MainPID;
    // The service's own view of the file system: read-only except the tiers, even for root.
    const outside = sh(`nsenter -t ${pid} -m -- touch /var/lib/tickdb/probe`);
    expect(outside.code).not.toBe(0);
    expect(outside.err).toMatch(/Read-only file system/);
    ok(`nsenter -t ${pid} -m -- sh -c 'touch ${ROOT}/probe && rm ${ROOT}/probe'`);

    ok('install -d -o tickdb -g mdwriters -m 2775 /srv/metrics');
    writeConfig({ ...BASE_CONFIG, metricsFile: '/srv/metrics/tickdb.prom' });
    ok('systemctl restart tickdb');
    const denied = sh(`nsenter -t ${unit('MainPID').MainPID} -m -- touch /srv/metrics/probe`);
    expect(denied.err).toMatch(/Read-only file system/);

    const install = ok('tickdb service install');
    const dropIn = '/etc/systemd/system/tickdb.service.d/tickdb-service-install.conf';
    expect(install).toContain(dropIn);
    expect(ok(`cat ${dropIn}`)).toContain('ReadWritePaths=-/srv/metrics');
    ok('systemctl restart tickdb');
    waitFor('the metrics file', () => (sh('test -s /srv/metrics/tickdb.prom').code === 0 ? true : undefined));
    expect(ok('stat -c %U /srv/metrics/tickdb.prom').trim()).toBe('tickdb');
    // The packaged unit is untouched: dpkg finds every file of the package as it shipped.
    expect(ok('systemctl cat tickdb')).toContain('# /lib/systemd/system/tickdb.service');
    // (the config file is the operator's, edited above: a conffile, marked "c")
    expect(
      sh('dpkg --verify tickdb')
        .out.split('\n')
        .filter((l) => l !== '' && !/ c \/etc\/tickdb\//.test(l)),
    ).toEqual([]);
  });

  it('with an S3 archive target, the drop-in lets the agent reach the endpoint with the credentials of aws.env', () => {
    // A stand-in S3 endpoint on the container's loopback, run by the packaged node (the container has no other): it
    // logs each request with its Authorization header and answers 503 (the agent retries, then keeps a backlog).
    ok(`cat > /root/fake-s3.js <<'EOF'
const fs = require('node:fs');
require('node:http')
  .createServer((q, s) => {
    fs.appendFileSync('/run/fake-s3.log', q.method + ' ' + q.url + ' ' + (q.headers.authorization || '-') + '\\n');
    q.resume();
    q.on('end', () => { s.writeHead(503); s.end('<Error><Code>SlowDown</Code></Error>'); });
  })
  .listen(18080, '127.0.0.1');
EOF`);
    ok('touch /run/fake-s3.log && systemd-run --unit=fake-s3 /opt/tickdb/node/bin/node /root/fake-s3.js');
    const s3root = '/var/lib/tickdb/s3root';
    const s3 = { type: 's3', endpoint: 'http://127.0.0.1:18080', bucket: 'ticks-archive', forcePathStyle: true };
    const s3Config = { ...BASE_CONFIG, root: s3root, compressAfterDays: 2, archiveAfterDays: 3, archiveTarget: s3 };
    try {
      ok(`install -d -o tickdb -g mdwriters -m 2775 ${s3root}`);
      ok('install -m 0600 /dev/null /etc/tickdb/aws.env');
      ok("printf 'AWS_ACCESS_KEY_ID=AKIDFROMENVFILE\\nAWS_SECRET_ACCESS_KEY=not-a-secret\\n' > /etc/tickdb/aws.env");
      ok('systemctl stop tickdb');
      // First the new root's drop-in without the S3 target: the unit as it was, no network.
      writeConfig({ ...BASE_CONFIG, root: s3root });
      ok('tickdb service install');
      writeConfig(s3Config);
      ok(`runuser -u tickdb -- tickdb simulate --days 5 --rows 100 --config ${CONFIG} --log-level warn`);
      ok('systemctl start tickdb');
      waitFor('the archive job to give up on the bucket', () =>
        journalMessages().some((m) => m.MESSAGE.includes('bucket ticks-archive')) ? true : undefined,
      );
      expect(ok('cat /run/fake-s3.log')).toBe('');

      // Then tickdb service install with the S3 target: network, the endpoint, the credentials file.
      ok('systemctl stop tickdb');
      expect(ok('tickdb service install')).toContain('tickdb-service-install.conf');
      ok('systemctl start tickdb');
      const seen = waitFor('a request at the endpoint', () => {
        const log = ok('cat /run/fake-s3.log');
        return log.includes('Credential=AKIDFROMENVFILE/') ? log : undefined;
      });
      // The bucket check (HEAD, no Object Lock configured), signed with the key of aws.env.
      expect(seen).toMatch(/^HEAD \/ticks-archive\/? AWS4-HMAC-SHA256 Credential=AKIDFROMENVFILE\//m);
      const u = unit(
        'PrivateNetwork',
        'RestrictAddressFamilies',
        'IPAddressAllow',
        'IPAddressDeny',
        'EnvironmentFiles',
      );
      expect(u.PrivateNetwork).toBe('no');
      expect(u.RestrictAddressFamilies?.split(' ').sort()).toEqual(['AF_INET', 'AF_INET6', 'AF_UNIX']);
      expect(u.IPAddressAllow).toMatch(/^127\.0\.0\.1(\/32)?$/);
      expect(u.EnvironmentFiles).toMatch(/^\/etc\/tickdb\/aws\.env \(ignore_errors=yes\)/);
      // The secret reaches the agent's environment, not a file it can read: aws.env stays root's.
      expect(sh(`runuser -u tickdb -- cat /etc/tickdb/aws.env`).code).not.toBe(0);
      // 503s are a backlog, not a failure: the unit stays active.
      expect(ok('systemctl is-active tickdb').trim()).toBe('active');
    } finally {
      sh('systemctl stop fake-s3');
      writeConfig({ ...BASE_CONFIG, metricsFile: '/srv/metrics/tickdb.prom' });
      sh('rm -f /etc/tickdb/aws.env && tickdb service install && systemctl restart tickdb');
    }
  });

  it("tickdb status answers as root and as a member of the writer's group", () => {
    for (const cmd of ['tickdb status --json', 'runuser -u trader -- tickdb status --json']) {
      const r = sh(cmd);
      // Nagios codes: 0 OK, 1 WARNING, 2 CRITICAL are answers; 3 UNKNOWN is not.
      expect([0, 1, 2], `${cmd}: ${r.err}`).toContain(r.code);
      expect(JSON.parse(r.out)).toBeTypeOf('object');
    }
  });

  it('an upgrade keeps local edits; remove stops it and keeps config and data; purge removes the config only', () => {
    const edited = ok(`cat ${CONFIG}`);
    ok(`dpkg -i /mnt/host/${DEB}`);
    expect(ok(`cat ${CONFIG}`)).toBe(edited);
    expect(ok('systemctl is-active tickdb').trim()).toBe('active');
    const data = ok(`find ${ROOT}/db -name '*.db' | sort`);
    expect(data).not.toBe('');

    ok('dpkg -r tickdb');
    expect(sh('systemctl is-active tickdb').out.trim()).not.toBe('active');
    expect(ok(`cat ${CONFIG}`)).toBe(edited);
    expect(ok(`find ${ROOT}/db -name '*.db' | sort`)).toBe(data);
    expect(sh('test -e /usr/bin/tickdb').code).not.toBe(0);

    const purge = ok('dpkg -P tickdb');
    expect(purge).toContain('The tick data was kept');
    expect(sh('test -e /etc/tickdb').code).not.toBe(0);
    expect(sh('test -e /etc/systemd/system/tickdb.service.d').code).not.toBe(0);
    expect(ok(`find ${ROOT}/db -name '*.db' | sort`)).toBe(data);
    expect(ok('id -u tickdb').trim()).toMatch(/^\d+$/);
  });

  it('the tarball runs on the clean Debian 12 without any Node', () => {
    expect(sh('command -v node').code).not.toBe(0);
    ok(`mkdir -p /tmp/t && tar -xzf /mnt/host/${TARBALL} -C /tmp/t`);
    const bin = `/tmp/t/tickdb-${VERSION}-linux-x64/bin/tickdb`;
    expect(ok(`${bin} --version`).trim()).toBe(VERSION);
    const r = sh(`TICKDB_CONFIG= ${bin} status --root /tmp/t/ticks --json`);
    expect([0, 1, 2], r.err).toContain(r.code);
  });
});

describe.skipIf(!available)('the .deb passes lintian, except the tags accepted in its overrides', () => {
  it(
    'has no lintian error or warning left',
    async () => {
      const deb = join(RELEASE, DEB);
      ensureRelease();
      const work = await mkdtemp(join(tmpdir(), 'tickdb-lintian-'));
      try {
        const r = spawnSync('lintian', ['--no-cfg', '--display-info', deb], {
          cwd: work,
          encoding: 'utf8',
          timeout: 600_000,
        });
        const tags = r.stdout.split('\n').filter((l) => /^[EW]: /.test(l));
        expect(tags).toEqual([]);
        // Every override is still needed (an override that no longer matches is reported as unused).
        expect(r.stdout.split('\n').filter((l) => l.includes('unused-override'))).toEqual([]);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    15 * 60_000,
  );
});
