/**
 * Preloaded (`node --import …/rss-probe.js`) into a child process by the bench: on exit it writes the process's peak
 * resident set size (KiB) and wall time to the file named by MSPORT_RSS_FILE; when onnxruntime ran in a process of
 * its own, the peak counts that process too (its peak plus this process's size while it ran).
 *
 * The peak is VmHWM from /proc/self/status where there is one: `getrusage` maxRSS (process.resourceUsage) counts
 * the address space the child was forked from, so a child of a bench process holding a large model would report
 * the parent's size.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.MSPORT_RSS_FILE;
const t0 = Date.now();

function peakRssKiB(): { kib: number; source: string } {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return { kib: Number(m[1]), source: 'VmHWM' };
  } catch { /* not Linux */ }
  return { kib: process.resourceUsage().maxRSS, source: 'maxRSS' };
}

if (file) {
  process.on('exit', code => {
    const own = peakRssKiB();
    // with onnxruntime in a child process, the peak of this process and the child together (ort-process.ts TREE_PEAK)
    const tree = (globalThis as unknown as Record<symbol, number | undefined>)[Symbol.for('msport.processTreePeakKiB')] ?? 0;
    const { kib, source } = tree > own.kib ? { kib: tree, source: `${own.source} + onnxruntime process` } : own;
    writeFileSync(file, JSON.stringify({ maxRssKiB: kib, rssSource: source, wallMs: Date.now() - t0, exitCode: code }));
  });
}
