/**
 * Progress on stderr for long one-shot commands, only when stderr is a terminal (nothing in logs or pipes).
 */
export interface Progress {
  update(text: string): void;
  done(): void;
}

export function progressReporter(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = 0;
  return {
    update(text) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      stream.write(`\r\x1b[2K${label}: ${text}`);
    },
    done() {
      stream.write('\r\x1b[2K');
    },
  };
}

/** "day 2026-03-01  512.0 MiB / 1.0 GiB  85.3 MiB/s  6s left" */
export function rateText(bytesDone: number, totalBytes: number, startedMs: number): string {
  const secs = Math.max((Date.now() - startedMs) / 1000, 0.001);
  const rate = bytesDone / secs;
  const left = rate > 0 ? Math.max(0, (totalBytes - bytesDone) / rate) : 0;
  const mib = (b: number): string => `${(b / 1048576).toFixed(1)} MiB`;
  return `${mib(bytesDone)} / ${mib(totalBytes)}  ${mib(rate)}/s  ${left.toFixed(0)}s left`;
}
