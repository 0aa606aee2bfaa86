import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../common/api/contract.js';
import type { ImageBody } from '../core/host.js';
import { createImageHandler, parseImageUrl } from './imageProtocol.js';

describe('parseImageUrl', () => {
  it('reads the variant and id', () => {
    expect(parseImageUrl('sightline-image://image/42')).toEqual({ ok: true, variant: 'image', id: 42 });
    expect(parseImageUrl('sightline-image://thumb/7?v=abc')).toEqual({ ok: true, variant: 'thumb', id: 7 });
    expect(parseImageUrl('sightline-image://THUMB/7')).toEqual({ ok: true, variant: 'thumb', id: 7 });
    expect(parseImageUrl('sightline-image://image/9007199254740991')).toEqual({ ok: true, variant: 'image', id: Number.MAX_SAFE_INTEGER });
  });

  it('answers 400 for anything that is not a positive integer id', () => {
    for (const id of ['0', '-1', '01', '1.5', '1e3', 'abc', '', '%31', '1/2', '..%2F..%2Fetc%2Fpasswd', '99999999999999999', '9999999999999999']) {
      const r = parseImageUrl(`sightline-image://image/${id}`);
      expect(r.ok ? r : r.status, id).toBe(400);
    }
  });

  it('answers 404 for other hosts and schemes', () => {
    for (const url of ['sightline-image://file/1', 'sightline-image:///1', 'file:///image/1', 'sightline-image://user@image/1']) {
      const r = parseImageUrl(url);
      expect(r.ok ? r : r.status, url).toBe(404);
    }
  });
});

describe('createImageHandler', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sightline-proto-'));
  const file = path.join(dir, 'a.jpg');
  writeFileSync(file, Buffer.from('not really a jpeg'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The core hands over an open, checked handle; `file` here names the file to open for it. */
  const core = (body: (Omit<Partial<ImageBody>, 'file'> & { file?: string }) | Error) => ({
    imageBody: vi.fn(async (): Promise<ImageBody> => {
      if (body instanceof Error) throw body;
      const { file: name, ...rest } = body;
      if (name === undefined) return { mime: 'image/jpeg', etag: 'abc', ...rest };
      const handle = await open(name, 'r').catch((e: NodeJS.ErrnoException) => {
        throw new ApiError('not_found', `The file of image 8 is gone: ${name} (${e.code}).`);
      });
      return { mime: 'image/jpeg', etag: 'abc', ...rest, file: { handle, size: (await handle.stat()).size, path: name } };
    }),
  });

  it('streams a file with its type, length and etag', async () => {
    const c = core({ file });
    const res = await createImageHandler(c)(new Request('sightline-image://image/3'));
    expect(c.imageBody).toHaveBeenCalledWith(3, 'image', { signal: expect.any(AbortSignal) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('content-length')).toBe('17');
    expect(res.headers.get('etag')).toBe('"abc"');
    expect(await res.text()).toBe('not really a jpeg');
  });

  it('sends no more than the checked size, and closes the handle when the load is cancelled', async () => {
    const handle = await open(file, 'r');
    const closed = new Promise<void>((resolve) => (handle as unknown as NodeJS.EventEmitter).once('close', () => resolve()));
    const c = { imageBody: vi.fn(async (): Promise<ImageBody> => ({ mime: 'image/jpeg', etag: 'x', file: { handle, size: 6, path: file } })) };
    const res = await createImageHandler(c)(new Request('sightline-image://image/3'));
    expect(res.headers.get('content-length')).toBe('6');
    const reader = res.body!.getReader();
    await reader.cancel();
    await closed;
    const again = await open(file, 'r');
    const small = { imageBody: vi.fn(async (): Promise<ImageBody> => ({ mime: 'image/jpeg', etag: 'x', file: { handle: again, size: 6, path: file } })) };
    expect(await (await createImageHandler(small)(new Request('sightline-image://image/3'))).text()).toBe('not re');
  });

  it('sends a buffer (thumbnails) and answers HEAD without a body', async () => {
    const c = core({ buffer: Buffer.from([1, 2, 3]), mime: 'image/webp', etag: 'W/"t1"' });
    const res = await createImageHandler(c)(new Request('sightline-image://thumb/5'));
    expect(c.imageBody).toHaveBeenCalledWith(5, 'thumb', { signal: expect.any(AbortSignal) });
    expect(res.headers.get('etag')).toBe('W/"t1"');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    const head = await createImageHandler(c)(new Request('sightline-image://thumb/5', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('3');
    expect(await head.text()).toBe('');
  });

  it('refuses bad ids and methods without asking the core', async () => {
    const c = core({ file });
    expect((await createImageHandler(c)(new Request('sightline-image://image/abc'))).status).toBe(400);
    expect((await createImageHandler(c)(new Request('sightline-image://image/1', { method: 'POST', body: 'x' }))).status).toBe(405);
    expect(c.imageBody).not.toHaveBeenCalled();
  });

  it('maps core and file errors to statuses with a readable message', async () => {
    const notFound = await createImageHandler(core(new ApiError('not_found', 'Image 8 does not exist.')))(new Request('sightline-image://image/8'));
    expect(notFound.status).toBe(404);
    expect(await notFound.text()).toBe('Image 8 does not exist.');
    const noProject = await createImageHandler(core(new ApiError('no_project', 'No project is open.')))(new Request('sightline-image://image/8'));
    expect(noProject.status).toBe(409);
    const missing = await createImageHandler(core({ file: path.join(dir, 'gone.jpg') }))(new Request('sightline-image://image/8'));
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('gone.jpg');
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const crash = await createImageHandler(core(new Error('boom at /secret/path')))(new Request('sightline-image://image/8'));
    expect(crash.status).toBe(500);
    expect(await crash.text()).not.toContain('/secret/path');
    spy.mockRestore();
  });
});
