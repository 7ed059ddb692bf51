/**
 * A time budget that holds on a busy machine: the nominal seconds (what the work takes on an idle
 * machine) scaled by how busy this machine is right now — the larger of the run queue per core
 * (the 1-minute load average over the core count) and how much slower than nominal it starts a
 * process (a bundle run is mostly process starts), measured in the same run just before use. It
 * never shrinks below the nominal budget, so an idle machine is held to the nominal figure.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { NODE24 } from './runner.js';

/** How long starting the Node 24 binary and running nothing takes on an idle machine, ms. */
const NOMINAL_START_MS = 60;

/** The median time of `runs` starts of the Node 24 binary, ms. */
export function measureProcessStart(runs = 5): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    execFileSync(NODE24, ['-e', ''], { stdio: 'ignore' });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

/** How many times slower than idle this machine is now (≥ 1). */
export function busyFactor(startMs = measureProcessStart()): number {
  const queue = loadavg()[0]! / availableParallelism();
  return Math.max(1, queue, startMs / NOMINAL_START_MS);
}

/** The budget, in seconds, for work that takes `nominalSeconds` on an idle machine, scaled to this one now. */
export function timeBudget(nominalSeconds: number, factor = busyFactor()): number {
  return nominalSeconds * factor;
}
