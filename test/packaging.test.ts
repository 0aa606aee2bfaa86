/**
 * The packaged app's Electron fuses (issue 11). Electron cannot run here, so the fuse block of
 * build/electron-builder.yml goes through electron-builder's own mapping onto @electron/fuses, flips a stand-in
 * binary that carries Electron's fuse wire as it ships, and the wire is read back.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const yaml = require('js-yaml') as { load(text: string): unknown };
const { PlatformPackager } = require('app-builder-lib') as {
  PlatformPackager: { prototype: { generateFuseConfig(this: unknown, fuses: unknown): Promise<Record<string, unknown>> } };
};
const fuses = require('@electron/fuses') as {
  flipFuses(file: string, config: unknown): Promise<number>;
  getCurrentFuseWire(file: string): Promise<Record<string, unknown>>;
  FuseV1Options: Record<string, number>;
};

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const [DISABLE, ENABLE] = [0x30, 0x31];
const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-fuses-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('electron-builder fuses', () => {
  it('turn off running as Node, NODE_OPTIONS, inspect and file:// privileges, and turn on asar integrity and asar-only', async () => {
    const config = yaml.load(readFileSync(path.resolve(import.meta.dirname, '../build/electron-builder.yml'), 'utf8')) as { electronFuses: unknown; asar: boolean };
    expect(config.asar).toBe(true);
    const fuseConfig = await PlatformPackager.prototype.generateFuseConfig.call(null, config.electronFuses);

    // Electron's defaults: RunAsNode, NODE_OPTIONS, inspect and file:// privileges on; the rest off.
    const wire = [ENABLE, DISABLE, ENABLE, ENABLE, DISABLE, DISABLE, DISABLE, ENABLE];
    const binary = path.join(dir, 'sightline');
    writeFileSync(binary, Buffer.concat([Buffer.alloc(4096, 0x90), Buffer.from(SENTINEL, 'latin1'), Buffer.from([1, wire.length, ...wire]), Buffer.alloc(4096, 0x90)]));
    expect(await fuses.flipFuses(binary, fuseConfig)).toBe(1);

    const now = await fuses.getCurrentFuseWire(binary);
    const o = fuses.FuseV1Options;
    expect({
      runAsNode: now[o.RunAsNode],
      cookieEncryption: now[o.EnableCookieEncryption],
      nodeOptions: now[o.EnableNodeOptionsEnvironmentVariable],
      inspect: now[o.EnableNodeCliInspectArguments],
      asarIntegrity: now[o.EnableEmbeddedAsarIntegrityValidation],
      onlyAsar: now[o.OnlyLoadAppFromAsar],
      v8Snapshot: now[o.LoadBrowserProcessSpecificV8Snapshot],
      fileProtocol: now[o.GrantFileProtocolExtraPrivileges],
    }).toEqual({
      runAsNode: DISABLE,
      cookieEncryption: ENABLE,
      nodeOptions: DISABLE,
      inspect: DISABLE,
      asarIntegrity: ENABLE,
      onlyAsar: ENABLE,
      v8Snapshot: DISABLE, // left as Electron ships it
      fileProtocol: DISABLE,
    });
  });
});
