/**
 * Prompt templates per model family. The bundled ladder was trained on `a+b=`; pretrained
 * models do better with natural language. Following lm-evaluation-harness, the context never
 * ends in a space: a separating space belongs to the continuation (target).
 */
import type { Operation, TemplateId } from './schema.ts';
import { TaskError } from './errors.ts';

const SYMBOL: Record<Operation, string> = { add: '+', sub: '-', mul: '*' };
const WORD: Record<Operation, string> = { add: 'plus', sub: 'minus', mul: 'times' };

export interface TemplateParts {
  a: number;
  b: number;
  operation: Operation;
  /** Exact result as a decimal string. */
  answer: string;
}

export interface Template {
  id: TemplateId;
  label: string;
  description: string;
  /** The question part of one example. */
  question(p: TemplateParts): string;
  /** The answer continuation (leading space included where the format has one). */
  answer(p: TemplateParts): string;
  /** Separator between solved k-shot examples and the question; null = k-shot unsupported. */
  shotSeparator: string | null;
  endToken: boolean;
  stop: string[];
}

export const TEMPLATES: Record<TemplateId, Template> = {
  'arith-plain': {
    id: 'arith-plain',
    label: 'a+b= (bundled ladder)',
    description: 'The format the bundled ladder was trained on: "1234+567=" then the answer and an end token.',
    question: (p) => `${p.a}${SYMBOL[p.operation]}${p.b}=`,
    answer: (p) => `${p.answer}`,
    shotSeparator: null,
    endToken: true,
    stop: ['\n'],
  },
  qa: {
    id: 'qa',
    label: 'Q: What is a plus b? A:',
    description: 'Natural-language question and answer, for pretrained models.',
    question: (p) => `Q: What is ${p.a} ${WORD[p.operation]} ${p.b}?\nA:`,
    answer: (p) => ` ${p.answer}`,
    shotSeparator: '\n\n',
    endToken: false,
    stop: ['\n'],
  },
  'math-expr': {
    id: 'math-expr',
    label: 'a + b =',
    description: 'A spaced equation, for pretrained models.',
    question: (p) => `${p.a} ${SYMBOL[p.operation]} ${p.b} =`,
    answer: (p) => ` ${p.answer}`,
    shotSeparator: '\n',
    endToken: false,
    stop: ['\n'],
  },
};

export function getTemplate(id: string): Template {
  const t = (TEMPLATES as Record<string, Template | undefined>)[id];
  if (!t) throw new TaskError(`Unknown prompt template "${id}". Known: ${Object.keys(TEMPLATES).join(', ')}.`);
  return t;
}

/** k solved examples, then the question. */
export function renderPrompt(template: Template, shots: TemplateParts[], question: TemplateParts): string {
  if (shots.length > 0 && template.shotSeparator === null) {
    throw new TaskError(
      `The "${template.label}" template has no k-shot form (the bundled ladder was trained on single problems). Use k-shot 0 or a natural-language template.`,
    );
  }
  const solved = shots.map((s) => template.question(s) + template.answer(s));
  return [...solved, template.question(question)].join(template.shotSeparator ?? '');
}
