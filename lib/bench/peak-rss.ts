/**
 * This process's peak resident set size. On Linux it reads VmHWM from /proc/self/status:
 * getrusage's maxRSS (process.resourceUsage().maxRSS) of a child started by fork + exec also
 * counts the parent's memory at the fork, which would charge the parent's size to the child.
 */
import * as fs from 'node:fs';

const STATUS = '/proc/self/status';
const CLEAR_REFS = '/proc/self/clear_refs';
/** Written to clear_refs, resets the high-water mark to the current RSS (Linux >= 4.0). */
const RESET_PEAK = '5';

function vmHwmBytes(): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB$/m.exec(fs.readFileSync(STATUS, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Peak RSS in bytes since the process started, or since the last successful resetPeakRss(). */
export function peakRssBytes(): number {
  return vmHwmBytes() ?? process.resourceUsage().maxRSS * 1024;
}

/** Restarts peak tracking from the current RSS; false where the platform cannot. */
export function resetPeakRss(): boolean {
  try {
    fs.writeFileSync(CLEAR_REFS, RESET_PEAK);
    return vmHwmBytes() !== null;
  } catch {
    return false;
  }
}
