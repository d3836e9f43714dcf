/** An error's message for the page (errors are shown as text, never as markup). */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
