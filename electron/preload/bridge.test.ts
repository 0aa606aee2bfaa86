import { describe, expect, it, vi } from 'vitest';
import { createSightlineApi, type BridgeIpc } from './bridge.js';

function fakeIpc(reply: (name: string, args: unknown) => unknown) {
  let emit: (message: unknown) => void = () => {};
  const ipc: BridgeIpc & { invoke: ReturnType<typeof vi.fn>; subscribe: ReturnType<typeof vi.fn> } = {
    invoke: vi.fn(async (name: string, args: unknown) => reply(name, args)),
    subscribe: vi.fn((l: (m: unknown) => void) => { emit = l; }),
  };
  return { ipc, emit: (m: unknown) => emit(m) };
}

describe('window.sightline from the preload', () => {
  it('unwraps ok replies and sends {} for missing args', async () => {
    const { ipc } = fakeIpc(() => ({ ok: true, result: { version: '1' } }));
    const api = createSightlineApi(ipc);
    expect(api.transport).toBe('electron');
    expect(await api.call('app.info')).toEqual({ version: '1' });
    expect(ipc.invoke).toHaveBeenCalledWith('app.info', {});
  });

  it('rejects with a plain, cloneable ApiError-shaped object that keeps code and details', async () => {
    const error = { code: 'no_project', message: 'No project is open.', details: { a: 1 } };
    const api = createSightlineApi(fakeIpc(() => ({ ok: false, error })).ipc);
    const err = await api.call('projects.summary').catch((e: unknown) => e);
    expect(err).toEqual({ name: 'ApiError', ...error });
    // contextBridge copies plain objects whole but reduces Errors to their message.
    expect(err).not.toBeInstanceOf(Error);
    expect(structuredClone(err)).toEqual(err);
  });

  it('turns transport failures and malformed replies into errors with a code', async () => {
    const failing = createSightlineApi({ invoke: async () => { throw new Error('An object could not be cloned.'); }, subscribe: () => {} });
    await expect(failing.call('app.info', { f: () => 1 } as never)).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('could not be cloned') });
    for (const reply of [undefined, 'x', { ok: true }, { ok: false }, { ok: false, error: { code: 1 } }]) {
      await expect(createSightlineApi(fakeIpc(() => reply).ipc).call('app.info')).rejects.toMatchObject({ code: 'internal' });
    }
  });

  it('delivers events by name, subscribes to IPC once, isolates failing listeners and unsubscribes', () => {
    const { ipc, emit } = fakeIpc(() => null);
    const api = createSightlineApi(ipc);
    const jobs = vi.fn();
    const projects = vi.fn();
    const offJobs = api.on('job', jobs);
    api.on('project', projects);
    api.on('job', () => { throw new Error('listener bug'); });
    expect(ipc.subscribe).toHaveBeenCalledTimes(1);

    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    emit({ event: 'job', payload: { id: 'j1' } });
    expect(spy).toHaveBeenCalledTimes(1);
    expect(jobs).toHaveBeenCalledWith({ id: 'j1' });
    expect(projects).not.toHaveBeenCalled();

    emit('garbage');
    emit({ payload: 1 });
    offJobs();
    emit({ event: 'job', payload: { id: 'j2' } });
    expect(jobs).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });

  it('builds image URLs by id only', () => {
    const api = createSightlineApi(fakeIpc(() => null).ipc);
    expect(api.imageUrl(12)).toBe('sightline-image://image/12');
    expect(api.thumbUrl(12, 'a b/c')).toBe('sightline-image://thumb/12?v=a%20b%2Fc');
    for (const bad of [0, -1, 1.5, NaN, '3' as unknown as number]) expect(() => api.imageUrl(bad)).toThrow(TypeError);
  });
});
