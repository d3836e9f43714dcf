/** An error's message as plain text (for warnings, the page, the CLI): never markup. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
