/**
 * Where a killed run was, from its own log (`--log-level debug`): each step logs `step started` when it begins and
 * one line with its `status` when it ends (src/lifecycle/execute.ts). Logs are written synchronously, so what the
 * process wrote before SIGKILL is all in the pipe.
 */
export const DEBUG_ENV = { TICKDB_LOG_LEVEL: 'debug' };

interface StepLine {
  msg?: string;
  step?: string;
  day?: string;
  path?: string;
  status?: string;
}

function lines(stderr: string): StepLine[] {
  const out: StepLine[] = [];
  for (const text of stderr.split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      out.push(JSON.parse(text) as StepLine);
    } catch {
      // a line cut by the kill
    }
  }
  return out;
}

/** The kind of step under way when the log stops (`seal`, `compress`, ...), or `between steps`. */
export function stepInFlight(stderr: string): string {
  let current: StepLine | undefined;
  for (const l of lines(stderr)) {
    if (l.step === undefined) continue;
    if (l.msg === 'step started') current = l;
    else if (l.status !== undefined && current?.step === l.step && current.day === l.day && current.path === l.path)
      current = undefined;
  }
  return current?.step ?? 'between steps';
}

/** True once a step of `kind` has logged its start. */
export function stepStarted(stderr: string, kind: string): boolean {
  return lines(stderr).some((l) => l.msg === 'step started' && l.step === kind);
}
