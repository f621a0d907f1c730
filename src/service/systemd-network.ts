import { isIP } from 'node:net';

/**
 * Where the service reads its AWS credentials: an environment file, read by systemd (as root, before dropping
 * privileges) and optional (`-`), so that it can be 0600 root:root and so that a host with an instance role needs
 * none. Why not `LoadCredential=`: systemd 252 (Debian 12) has no optional form of it, so a host without the file
 * (an instance role) would fail to start; see docs/service.md.
 */
export const AWS_ENV_FILE = '/etc/tickdb/aws.env';

/** What the service needs to reach an S3 archive target (DESIGN 12): present only with `archiveTarget.type = s3`. */
export interface S3Access {
  /** `archiveTarget.endpoint`; absent for AWS. */
  endpoint?: string | undefined;
}

/**
 * What `IPAddressAllow=` can name for the endpoint: its IP literal, or `localhost`. Undefined for a host name (or
 * AWS, no endpoint): IPAddressAllow= takes addresses only, a name's addresses change, and resolving it needs the
 * resolver's address too, so the unit then keeps no IP filter.
 */
export function endpointAddress(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined) return undefined;
  const host = new URL(endpoint).hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === 'localhost') return 'localhost';
  return isIP(host) === 0 ? undefined : host;
}

const NO_NETWORK = ['PrivateNetwork=yes', 'IPAddressDeny=any', 'RestrictAddressFamilies=AF_UNIX'];

const INET = 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6';
const ENV_FILE = `EnvironmentFile=-${AWS_ENV_FILE}`;

/** `[Unit]` lines: with an S3 target the agent starts once the network is up (an unreachable server is a backlog). */
export function networkUnitLines(s3: S3Access | undefined): string[] {
  return s3 === undefined ? [] : ['Wants=network-online.target', 'After=network-online.target'];
}

function ipFilter(s3: S3Access): string[] {
  const address = endpointAddress(s3.endpoint);
  if (address !== undefined)
    return [
      `# Only the endpoint (${s3.endpoint}): every other address is refused.`,
      'IPAddressDeny=any',
      `IPAddressAllow=${address}`,
    ];
  const what = s3.endpoint === undefined ? 'AWS S3' : new URL(s3.endpoint).hostname;
  return [
    `# No IP filter: ${what} is a host name, whose addresses change (IPAddressAllow= takes addresses only).`,
    '# Where they are fixed, add IPAddressDeny=any and IPAddressAllow= (with the resolver) in a drop-in of your own.',
  ];
}

/**
 * `[Service]` network lines of the whole unit: none without an S3 target; with one, IPv4/IPv6 sockets, the endpoint
 * allowed (when it is an address) and the credentials from the environment file. The rest of the sandbox stays.
 */
export function networkServiceLines(s3: S3Access | undefined): string[] {
  if (s3 === undefined) return NO_NETWORK;
  return [
    '# Network for the S3 archive target (archiveTarget), and its credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,',
    `# or AWS_SHARED_CREDENTIALS_FILE, ...) from ${AWS_ENV_FILE} (0600 root): never from tickdb's config.`,
    INET,
    ...ipFilter(s3),
    ENV_FILE,
  ];
}

/**
 * The same for a drop-in beside the packaged unit, which has no network: each setting undone or widened. Lists
 * merge in drop-ins, so the address families are added, and an empty `IPAddressDeny=` lifts the packaged deny where
 * no address can be named.
 */
export function networkDropInLines(s3: S3Access | undefined): string[] {
  if (s3 === undefined) return [];
  const address = endpointAddress(s3.endpoint);
  return [
    `# Network for the S3 archive target, credentials from ${AWS_ENV_FILE} (0600 root); the rest of the sandbox stays.`,
    'PrivateNetwork=no',
    INET,
    ...(address !== undefined ? [`IPAddressAllow=${address}`] : ['IPAddressDeny=']),
    ENV_FILE,
  ];
}
