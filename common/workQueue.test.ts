import { describe, expect, it } from 'vitest';
import { isAbortError, WorkQueue } from './workQueue.js';

/** A promise the test settles by hand: holds a job "running" until released. */
function gate<T = void>(): { promise: Promise<T>; open: (v: T) => void; fail: (e: unknown) => void } {
  let open!: (v: T) => void;
  let fail!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    open = res;
    fail = rej;
  });
  return { promise, open, fail };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('WorkQueue', () => {
  it('runs at most `concurrency` jobs at once and all of them in the end', async () => {
    const q = new WorkQueue({ concurrency: 3 });
    let now = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        q.run(`k${i}`, async () => {
          now++;
          peak = Math.max(peak, now);
          await tick();
          now--;
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peak).toBe(3);
    expect(q.running + q.queued).toBe(0);
  });

  it('starts the highest priority first, then the newest request', async () => {
    const q = new WorkQueue({ concurrency: 1 });
    const started: string[] = [];
    const blocker = gate();
    const first = q.run('blocker', () => blocker.promise);
    const job = (key: string, priority: number) =>
      q.run(
        key,
        async () => {
          started.push(key);
        },
        { priority },
      );
    const all = [job('old', 0), job('image', 5), job('mid', 0), job('new', 0), job('visible', 1)];
    expect(q.queued).toBe(5);
    blocker.open();
    await Promise.all([first, ...all]);
    expect(started).toEqual(['image', 'visible', 'new', 'mid', 'old']);
  });

  it('takes equal priorities oldest first with newestFirst: false', async () => {
    const q = new WorkQueue({ concurrency: 1, newestFirst: false });
    const started: string[] = [];
    const blocker = gate();
    const first = q.run('blocker', () => blocker.promise);
    const all = ['a', 'b', 'c'].map((key, i) => q.run(key, async () => void started.push(key), { priority: i === 2 ? 1 : 0 }));
    blocker.open();
    await Promise.all([first, ...all]);
    expect(started).toEqual(['c', 'a', 'b']);
  });

  it('drops a queued job whose only request was withdrawn, without running it', async () => {
    const q = new WorkQueue({ concurrency: 1 });
    const blocker = gate();
    const first = q.run('blocker', () => blocker.promise);
    const ac = new AbortController();
    let ran = false;
    const dropped = q.run('scrolled-away', async () => void (ran = true), { signal: ac.signal });
    const kept = q.run('on-screen', async () => 'shown');
    expect(q.queued).toBe(2);
    ac.abort();
    // The withdrawn request settles at once, while the blocker still runs.
    await expect(dropped).rejects.toSatisfy(isAbortError);
    expect(q.queued).toBe(1);
    blocker.open();
    await first;
    expect(await kept).toBe('shown');
    await q.idle();
    expect(ran).toBe(false);
  });

  it('refuses a request whose signal is already aborted', async () => {
    const q = new WorkQueue({ concurrency: 1 });
    let ran = false;
    await expect(q.run('k', async () => void (ran = true), { signal: AbortSignal.abort() })).rejects.toSatisfy(isAbortError);
    await q.idle();
    expect(ran).toBe(false);
  });

  it('shares one job between requests for one key until the last is withdrawn', async () => {
    const q = new WorkQueue({ concurrency: 1 });
    const blocker = gate();
    const first = q.run('blocker', () => blocker.promise);
    let runs = 0;
    const work = async () => ++runs;
    const a = new AbortController();
    const b = new AbortController();
    const pa = q.run('thumb/7', work, { signal: a.signal });
    const pb = q.run('thumb/7', work, { signal: b.signal });
    expect(q.queued).toBe(1); // one job for both
    a.abort();
    await expect(pa).rejects.toSatisfy(isAbortError);
    expect(q.queued).toBe(1); // b still wants it
    blocker.open();
    await first;
    expect(await pb).toBe(1);
    expect(runs).toBe(1);

    // Both withdrawn: the job goes.
    const blocker2 = gate();
    const second = q.run('blocker2', () => blocker2.promise);
    const c = new AbortController();
    const d = new AbortController();
    const pc = q.run('thumb/8', work, { signal: c.signal });
    const pd = q.run('thumb/8', work, { signal: d.signal });
    c.abort();
    d.abort();
    await expect(pc).rejects.toSatisfy(isAbortError);
    await expect(pd).rejects.toSatisfy(isAbortError);
    expect(q.queued).toBe(0);
    blocker2.open();
    await second;
    await q.idle();
    expect(runs).toBe(1);
  });

  it('keeps a running job joinable when its requests go (a decode cannot stop)', async () => {
    const q = new WorkQueue({ concurrency: 2 });
    const decode = gate<string>();
    let runs = 0;
    const work = () => (runs++, decode.promise);
    const ac = new AbortController();
    const gone = q.run('thumb/1', work, { signal: ac.signal });
    await tick();
    expect(q.running).toBe(1);
    ac.abort();
    await expect(gone).rejects.toSatisfy(isAbortError);
    const back = q.run('thumb/1', work); // the cell scrolled back: wait for the same decode
    decode.open('webp');
    expect(await back).toBe('webp');
    expect(runs).toBe(1);
  });

  it('with abortAbandoned, tells a running job to stop and starts a later request afresh', async () => {
    const q = new WorkQueue({ concurrency: 2, abortAbandoned: true });
    const signals: AbortSignal[] = [];
    const work = (signal: AbortSignal) => {
      signals.push(signal);
      return new Promise<string>((resolve, reject) => {
        signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        setTimeout(() => resolve('bytes'), 20);
      });
    };
    const ac = new AbortController();
    const gone = q.run('thumb/1', work, { signal: ac.signal });
    await tick();
    ac.abort();
    await expect(gone).rejects.toSatisfy(isAbortError);
    expect(signals[0].aborted).toBe(true);
    expect(await q.run('thumb/1', work)).toBe('bytes');
    expect(signals).toHaveLength(2);
    expect(signals[1].aborted).toBe(false);
    await q.idle();
    expect(q.running).toBe(0);
  });

  it('hands a failure to every request of the job and carries on', async () => {
    const q = new WorkQueue({ concurrency: 1 });
    const broken = () => Promise.reject(new Error('not a JPEG'));
    const results = await Promise.allSettled([q.run('bad', broken), q.run('bad', broken), q.run('good', async () => 'ok')]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual(['not a JPEG', 'not a JPEG', 'ok']);
  });

  it('idle() waits for running and queued work', async () => {
    const q = new WorkQueue({ concurrency: 1 });
    const g = gate();
    let done = 0;
    void q.run('a', () => g.promise.then(() => void done++));
    void q.run('b', async () => void done++);
    let idle = false;
    const waiting = q.idle().then(() => (idle = true));
    await tick();
    expect(idle).toBe(false);
    g.open();
    await waiting;
    expect(done).toBe(2);
  });
});
