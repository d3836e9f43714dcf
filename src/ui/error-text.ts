/** An error's message for the page (errors are shown as text, never as markup): the core's helper. */
export { errorText } from '../lib/error-text.ts';
