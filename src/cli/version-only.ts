/** `tickdb --version` or `tickdb -V` and nothing else: the command line answered without loading commander. */
export function asksVersionOnly(argv: readonly string[]): boolean {
  return argv.length === 3 && (argv[2] === '--version' || argv[2] === '-V');
}
