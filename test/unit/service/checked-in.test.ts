import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSystemdUnit } from '../../../src/service/systemd-unit.js';
import { renderWinswXml } from '../../../src/service/winsw-xml.js';
import { LINUX_TEMPLATE, REPO, WINDOWS_TEMPLATE } from './fixtures.js';

/**
 * systemd/tickdb.service and windows/tickdb.xml are the generators' output for the usual install locations, kept
 * in the repository for operators who read or adapt them by hand. They must not drift from the generators; the
 * commands that rewrite them are in docs/service.md.
 */
describe('checked-in service definitions', () => {
  it('systemd/tickdb.service is renderSystemdUnit() for /var/lib/tickdb/ticks', async () => {
    expect(await readFile(join(REPO, 'systemd', 'tickdb.service'), 'utf8')).toBe(renderSystemdUnit(LINUX_TEMPLATE));
  });

  it('windows/tickdb.xml is renderWinswXml() for %ProgramData%\\tickdb', async () => {
    expect(await readFile(join(REPO, 'windows', 'tickdb.xml'), 'utf8')).toBe(renderWinswXml(WINDOWS_TEMPLATE));
  });
});
