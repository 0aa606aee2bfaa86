/**
 * Peak memory of one step of a benchmark child process: a window opened before the step (GC, the kernel's high-water
 * mark reset through /proc/self/clear_refs) and closed after it (VmHWM, or sampled RSS where Linux does not allow the
 * reset). Run children with --expose-gc.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export const MiB = 2 ** 20;
export const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});

/** CPU time of the whole process (all threads) since `from`, in ms: steadier than wall time on a shared machine. */
export const cpuMs = (from: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(from);
  return (c.user + c.system) / 1000;
};

let peakSampled = 0;
/** Note the RSS now (call it where a step's memory may peak: progress reports, a timer). */
export const sampleRss = () => (peakSampled = Math.max(peakSampled, process.memoryUsage.rss()));

function vmHwm(): number | null {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

export interface PeakWindow {
  rss: number;
  hwmReset: boolean;
}

/** Start a peak window: GC, reset the high-water mark, and return the RSS the window starts from. */
export function beginWindow(): PeakWindow {
  gc();
  gc();
  let hwmReset = false;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    hwmReset = true;
  } catch {
    /* not Linux, or not allowed: the samples still give a (lower) peak */
  }
  const rss = process.memoryUsage.rss();
  peakSampled = rss;
  return { rss, hwmReset };
}

/** The window's peak RSS (bytes), with where it came from. */
export function endWindow(w: PeakWindow): { peak: number; sampledPeak: number; source: string } {
  sampleRss();
  const hwm = w.hwmReset ? vmHwm() : null;
  return hwm === null
    ? { peak: peakSampled, sampledPeak: peakSampled, source: 'sampled RSS (no VmHWM reset: a lower bound)' }
    : { peak: Math.max(hwm, peakSampled), sampledPeak: peakSampled, source: 'VmHWM' };
}
