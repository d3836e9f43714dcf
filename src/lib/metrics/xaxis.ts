/**
 * What the x-axis of a ladder chart can be: parameters, non-embedding parameters (Kaplan et
 * al. 2020, "Scaling laws for neural language models", count N without embeddings), or
 * training compute C ≈ 6·N·D FLOPs (Kaplan et al. 2020 §2.1; Hoffmann et al. 2022 use the same
 * approximation with N all parameters): N parameters, D training tokens. A value that is not
 * known is null, never a guess; an axis is offered only when every model of the ladder has it.
 */

export type XAxisId = 'params' | 'non_embedding_params' | 'train_compute';

export interface XAxisInfo {
  id: XAxisId;
  label: string;
  shortLabel: string;
  unit: string;
  description: string;
}

export const X_AXES: readonly XAxisInfo[] = [
  { id: 'params', label: 'Parameters', shortLabel: 'Params', unit: 'parameters', description: 'All weights of the model, embeddings included.' },
  {
    id: 'non_embedding_params',
    label: 'Non-embedding parameters',
    shortLabel: 'Non-emb. params',
    unit: 'parameters',
    description: 'Weights without the token and position embeddings (Kaplan et al. 2020); for tiny models embeddings can be most of the count.',
  },
  {
    id: 'train_compute',
    label: 'Training compute (6·N·D)',
    shortLabel: 'Compute',
    unit: 'FLOPs',
    description: 'Approximate training FLOPs, 6 × parameters × training tokens (Kaplan et al. 2020; Hoffmann et al. 2022).',
  },
];

/** What is known about one model's scale, each with where it comes from. */
export interface ScaleFacts {
  params: number | null;
  paramsSource?: string;
  nonEmbeddingParams?: number | null;
  nonEmbeddingParamsSource?: string;
  /** Training tokens D. */
  trainTokens?: number | null;
  trainTokensSource?: string;
}

export interface XValue {
  value: number;
  /** Short human text, e.g. "1.2e15 FLOPs". */
  label: string;
  /** Where the number comes from. */
  source: string;
}

const positive = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x) && x > 0;

/** Three significant digits with an SI suffix for counts (27.1K, 1.4M, 2.0B) or an exponent for FLOPs. */
export function formatScale(x: number, unit: string): string {
  if (unit === 'FLOPs') return `${x.toExponential(1).replace('e+', 'e')} FLOPs`;
  const steps: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'K'],
  ];
  for (const [size, suffix] of steps) if (x >= size) return `${Number((x / size).toPrecision(3))}${suffix}`;
  return String(Math.round(x));
}

/** The model's value on an axis, or null where it is unknown (the chart hides that axis). */
export function xAxisValue(axis: XAxisId, facts: ScaleFacts): XValue | null {
  const unit = X_AXES.find((a) => a.id === axis)?.unit ?? '';
  if (axis === 'params') {
    return positive(facts.params) ? { value: facts.params, label: formatScale(facts.params, unit), source: facts.paramsSource ?? 'model catalog' } : null;
  }
  if (axis === 'non_embedding_params') {
    const n = facts.nonEmbeddingParams;
    return positive(n) ? { value: n, label: formatScale(n, unit), source: facts.nonEmbeddingParamsSource ?? 'model catalog' } : null;
  }
  if (!positive(facts.params) || !positive(facts.trainTokens)) return null;
  const c = 6 * facts.params * facts.trainTokens;
  return {
    value: c,
    label: formatScale(c, unit),
    source: `6 × ${formatScale(facts.params, 'parameters')} parameters (${facts.paramsSource ?? 'model catalog'}) × ${formatScale(facts.trainTokens, 'tokens')} tokens (${facts.trainTokensSource ?? 'model catalog'})`,
  };
}

/** The axes every model of the ladder has a value for, in X_AXES order (parameters first). */
export function availableXAxes(models: readonly ScaleFacts[]): XAxisId[] {
  if (models.length === 0) return [];
  return X_AXES.filter((a) => models.every((m) => xAxisValue(a.id, m) !== null)).map((a) => a.id);
}

/**
 * Published pre-training token counts of the Hub ladders (not checked on these machines; each
 * with its source). Models missing here (GPT-2: OpenAI did not publish a token count) have no
 * compute axis.
 */
const PUBLISHED_TRAIN_TOKENS: readonly { repoIds: readonly string[]; tokens: number; source: string }[] = [
  {
    repoIds: ['Xenova/pythia-14m', 'Xenova/pythia-31m', 'Xenova/pythia-70m', 'Xenova/pythia-160m', 'Xenova/pythia-410m'],
    tokens: 299_892_736_000,
    source: 'Biderman et al. 2023, Pythia: 143,000 steps × 2,097,152 tokens',
  },
  { repoIds: ['HuggingFaceTB/SmolLM-135M', 'HuggingFaceTB/SmolLM-360M'], tokens: 600e9, source: 'Hugging Face, "SmolLM" blog post (2024): 600B tokens' },
  {
    repoIds: ['onnx-community/Qwen2.5-0.5B-Instruct', 'onnx-community/Qwen2.5-1.5B-Instruct'],
    tokens: 18e12,
    source: 'Qwen2.5 technical report (2024): 18T pre-training tokens (instruction tuning not counted)',
  },
  {
    repoIds: ['onnx-community/Llama-3.2-1B-Instruct', 'onnx-community/Llama-3.2-3B-Instruct'],
    tokens: 9e12,
    source: 'Meta Llama 3.2 model card: "up to 9 trillion tokens" (an upper bound)',
  },
];

export function publishedTrainTokens(repoId: string): { tokens: number; source: string } | null {
  const hit = PUBLISHED_TRAIN_TOKENS.find((e) => e.repoIds.includes(repoId));
  return hit ? { tokens: hit.tokens, source: hit.source } : null;
}
