import { describe, expect, it } from 'vitest';
import { renderDropIn } from '../../../src/service/systemd-dropin.js';
import { AWS_ENV_FILE, endpointAddress } from '../../../src/service/systemd-network.js';
import { renderSystemdUnit } from '../../../src/service/systemd-unit.js';
import { LINUX_TEMPLATE } from './fixtures.js';

/** `Key=value` lines of one section of a unit file, in order (a key may repeat). */
function section(unit: string, name: string): [string, string][] {
  const out: [string, string][] = [];
  let current = '';
  for (const line of unit.split('\n')) {
    const header = /^\[(\w+)\]$/.exec(line);
    if (header !== null) current = header[1] ?? '';
    else if (current === name && /^[A-Za-z]+=/.test(line))
      out.push([line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
  }
  return out;
}
const values = (unit: string, name: string, key: string): string[] =>
  section(unit, name)
    .filter(([k]) => k === key)
    .map(([, v]) => v);

const NETWORK_KEYS = [
  'PrivateNetwork',
  'IPAddressDeny',
  'IPAddressAllow',
  'RestrictAddressFamilies',
  'EnvironmentFile',
];
/** Every [Service] setting that is not about the network, in order: the sandbox an S3 target must keep. */
const rest = (unit: string): [string, string][] => section(unit, 'Service').filter(([k]) => !NETWORK_KEYS.includes(k));

describe('endpointAddress: what IPAddressAllow= can name', () => {
  it('an IPv4 or IPv6 literal, or localhost; nothing for a host name or AWS', () => {
    expect(endpointAddress('http://127.0.0.1:7480')).toBe('127.0.0.1');
    expect(endpointAddress('https://10.1.2.3')).toBe('10.1.2.3');
    expect(endpointAddress('http://[::1]:7480')).toBe('::1');
    expect(endpointAddress('http://[fd00::5]/')).toBe('fd00::5');
    expect(endpointAddress('http://localhost:9000')).toBe('localhost');
    expect(endpointAddress('https://s3.eu-west-1.amazonaws.com')).toBeUndefined();
    expect(endpointAddress(undefined)).toBeUndefined();
  });
});

describe('the unit with an S3 archive target (DESIGN 12, issue 17 item 6)', () => {
  const plain = renderSystemdUnit(LINUX_TEMPLATE);

  it('without one: no network at all, no credentials file', () => {
    expect(values(plain, 'Service', 'PrivateNetwork')).toEqual(['yes']);
    expect(values(plain, 'Service', 'IPAddressDeny')).toEqual(['any']);
    expect(values(plain, 'Service', 'RestrictAddressFamilies')).toEqual(['AF_UNIX']);
    expect(values(plain, 'Service', 'EnvironmentFile')).toEqual([]);
    expect(values(plain, 'Unit', 'After').join(' ')).not.toContain('network-online.target');
  });

  it('an endpoint given by address: IPv4/IPv6 sockets, that address only, credentials from the optional env file', () => {
    const unit = renderSystemdUnit({ ...LINUX_TEMPLATE, s3: { endpoint: 'http://10.0.0.7:7480' } });
    expect(values(unit, 'Service', 'PrivateNetwork')).toEqual([]);
    expect(values(unit, 'Service', 'RestrictAddressFamilies')).toEqual(['AF_UNIX AF_INET AF_INET6']);
    expect(values(unit, 'Service', 'IPAddressDeny')).toEqual(['any']);
    expect(values(unit, 'Service', 'IPAddressAllow')).toEqual(['10.0.0.7']);
    expect(values(unit, 'Service', 'EnvironmentFile')).toEqual([`-${AWS_ENV_FILE}`]);
    expect(values(unit, 'Unit', 'Wants')).toContain('network-online.target');
    expect(values(unit, 'Unit', 'After')).toContain('network-online.target');
    // The rest of the sandbox is the plain unit's, setting for setting.
    expect(rest(unit)).toEqual(rest(plain));
  });

  it('AWS or a host name: no IP filter (a name cannot be allowed), and says so', () => {
    for (const s3 of [{}, { endpoint: 'https://s3.internal.example:9000' }]) {
      const unit = renderSystemdUnit({ ...LINUX_TEMPLATE, s3 });
      expect(values(unit, 'Service', 'IPAddressDeny')).toEqual([]);
      expect(values(unit, 'Service', 'IPAddressAllow')).toEqual([]);
      expect(values(unit, 'Service', 'RestrictAddressFamilies')).toEqual(['AF_UNIX AF_INET AF_INET6']);
      expect(unit).toMatch(/# No IP filter: (AWS S3|s3\.internal\.example) is a host name/);
      expect(rest(unit)).toEqual(rest(plain));
    }
  });
});

describe('the drop-in beside the packaged unit, with an S3 target', () => {
  const opts = { ...LINUX_TEMPLATE, rootFromConfig: true };
  const packaged = '/lib/systemd/system/tickdb.service';

  it('undoes the packaged no-network settings and adds the endpoint and the env file', () => {
    const text = renderDropIn({ ...opts, s3: { endpoint: 'http://127.0.0.1:7480' } }, packaged, {});
    expect(section(text, 'Unit')).toEqual([
      ['Wants', 'network-online.target'],
      ['After', 'network-online.target'],
    ]);
    expect(section(text, 'Service')).toEqual([
      ['ReadWritePaths', '/var/lib/tickdb/ticks'],
      ['PrivateNetwork', 'no'],
      ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6'],
      ['IPAddressAllow', '127.0.0.1'],
      ['EnvironmentFile', `-${AWS_ENV_FILE}`],
    ]);
  });

  it('a host name lifts the packaged IPAddressDeny=any (an empty assignment resets the list); none: the folders only', () => {
    const named = renderDropIn({ ...opts, s3: { endpoint: 'https://s3.example.net' } }, packaged, {});
    expect(values(named, 'Service', 'IPAddressDeny')).toEqual(['']);
    expect(values(named, 'Service', 'IPAddressAllow')).toEqual([]);
    const none = renderDropIn(opts, packaged, {});
    expect(none).not.toContain('[Unit]');
    expect(section(none, 'Service')).toEqual([['ReadWritePaths', '/var/lib/tickdb/ticks']]);
  });
});
