import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

/** Issue 15 item 10: 0 ok, 1 an operation failed, 2 bad usage; 3 (UNKNOWN) belongs to `status` alone. */
describe('CLI exit codes', () => {
  it('a usage error of another command exits 2, even when an argument is the word "status"', () => {
    const analyze = runCli(['analyze', '--no-such-flag', 'status']);
    expect(analyze.code, analyze.stderr).toBe(2);
    expect(analyze.stderr).toContain("unknown option '--no-such-flag'");
    expect(runCli(['rotate', '--root', 'status', '--bogus']).code).toBe(2);
    expect(runCli(['inventory', 'status']).code).toBe(2); // an excess argument
  });

  it("status's own usage errors are UNKNOWN (3)", () => {
    const unknownOption = runCli(['status', '--no-such-flag']);
    expect(unknownOption.code, unknownOption.stderr).toBe(3);
    expect(runCli(['status', '--now', 'yesterday']).code).toBe(3);
  });

  it('with no command prints the usage on stderr, nothing on stdout, and exits 2', () => {
    const bare = runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe('');
    expect(bare.stderr).toContain('Usage: tickdb [options] [command]');
    expect(bare.stderr).toMatch(/^ {2}status /m);
  });

  it('help asked for is on stdout with exit 0', () => {
    for (const args of [['--help'], ['help'], ['help', 'status'], ['status', '--help']]) {
      const r = runCli(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toContain('Usage: tickdb');
    }
  });
});
