// The build routes AssemblyScript's `abort` here (asc `--use abort=...`), so the component has no
// `env.abort` import: a failed assertion, a bounds check or an explicit abort() traps, and the host
// handles the trap (its failure policy). The message is lost; a trap carries none.
export function trapAbort(message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0): void {
  unreachable();
}
