/**
 * What a repository's config.json says about the model: its architecture (is it a causal LM
 * the engine can run?), its size, and the transformers.js hints that change which files load.
 */
import { UnsupportedArchitectureError } from './errors.ts';

/**
 * Decoder-only text models (model_type) that transformers.js 4.3 maps to AutoModelForCausalLM
 * and whose ONNX exports take input_ids + attention_mask and return logits, as the engine needs.
 * SmolLM (v1/v2) reports "llama"; Pythia reports "gpt_neox". tests/node/hub-architectures.test.ts
 * checks that every entry is still in transformers.js's causal-LM mapping.
 */
export const SUPPORTED_ARCHITECTURES = [
  'gpt2',
  'gpt_neox',
  'gpt_neo',
  'gptj',
  'gpt_bigcode',
  'codegen',
  'llama',
  'mistral',
  'qwen2',
  'qwen3',
  'phi',
  'phi3',
  'gemma',
  'gemma2',
  // Gemma 3 text-only exports (270M, 1B; onnx-community/gemma-3-*-it-ONNX): Gemma3ForCausalLM.
  'gemma3_text',
  'olmo',
  'olmo2',
  'stablelm',
  'granite',
  'opt',
  'bloom',
  'falcon',
  'starcoder2',
  'mobilellm',
  'smollm3',
  'helium',
] as const;

export type SupportedArchitecture = (typeof SUPPORTED_ARCHITECTURES)[number];

export function isSupportedArchitecture(modelType: string): modelType is SupportedArchitecture {
  return (SUPPORTED_ARCHITECTURES as readonly string[]).includes(modelType);
}

export interface ModelConfigSummary {
  modelType: string;
  architectures: string[];
  /** Parameter count: stated by the config when it does, else estimated from its dimensions; null when unknown. */
  params: number | null;
  paramsEstimated: boolean;
  vocabSize: number | null;
  layers: number | null;
  hiddenSize: number | null;
  /** Longest input with learned positions (GPT-2's n_positions), or the rotary maximum. */
  maxPositions: number | null;
  /**
   * transformers.js_config.use_external_data_format: number of external-data chunks per ONNX file
   * (a number for all files, or per file name), or null when the weights are inside the .onnx file.
   */
  externalData: number | Record<string, number> | null;
}

type Json = Record<string, unknown>;

function num(cfg: Json, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = cfg[k];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  }
  return null;
}

/**
 * Parameters estimated from config dimensions (embeddings + attention + MLP + norms): exact for
 * GPT-2, GPT-NeoX and Llama-style models up to biases and norms; null when dimensions are missing.
 */
export function estimateParams(cfg: Json): number | null {
  const type = String(cfg.model_type ?? '');
  const vocab = num(cfg, 'vocab_size');
  const d = num(cfg, 'hidden_size', 'n_embd', 'd_model');
  const layers = num(cfg, 'num_hidden_layers', 'n_layer', 'num_layers');
  if (vocab === null || d === null || layers === null) return null;
  const heads = num(cfg, 'num_attention_heads', 'n_head') ?? 1;
  const headDim = num(cfg, 'head_dim') ?? d / heads;
  const kvHeads = num(cfg, 'num_key_value_heads') ?? heads;
  const tied = cfg.tie_word_embeddings !== false && type !== 'gpt_neox' ? true : cfg.tie_word_embeddings === true;
  const embeddings = vocab * d * (tied ? 1 : 2);
  const gated = !['gpt2', 'gpt_neox', 'gpt_neo', 'gptj', 'gpt_bigcode', 'codegen', 'opt', 'bloom', 'falcon', 'phi', 'starcoder2'].includes(type);
  const ff = num(cfg, 'intermediate_size', 'n_inner', 'ffn_dim') ?? 4 * d;
  const positions = type === 'gpt2' || type === 'gpt_bigcode' || type === 'opt' ? (num(cfg, 'n_positions', 'max_position_embeddings') ?? 0) * d : 0;
  const attention = d * heads * headDim * 2 + d * kvHeads * headDim * 2;
  const hasBias = ['gpt2', 'gpt_neox', 'gpt_neo', 'gptj', 'codegen', 'opt', 'bloom', 'phi', 'starcoder2'].includes(type);
  const attentionBias = hasBias ? heads * headDim * 2 + kvHeads * headDim * 2 : type === 'qwen2' ? heads * headDim + kvHeads * headDim * 2 : 0;
  const mlp = gated ? 3 * d * ff : 2 * d * ff + (hasBias ? ff + d : 0);
  const norms = (hasBias ? 4 : 2) * d;
  return Math.round(embeddings + positions + layers * (attention + attentionBias + mlp + norms) + (hasBias ? 2 : 1) * d);
}

function externalDataOf(cfg: Json): ModelConfigSummary['externalData'] {
  const tjs = cfg['transformers.js_config'];
  if (!tjs || typeof tjs !== 'object') return null;
  const ext = (tjs as Json).use_external_data_format;
  if (ext === undefined || ext === null || ext === false) return null;
  if (ext === true) return 1;
  if (typeof ext === 'number') return ext > 0 ? ext : null;
  if (typeof ext === 'object') {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(ext as Json)) out[k] = v === true ? 1 : Number(v) || 0;
    return out;
  }
  return null;
}

/** External-data chunk count for one ONNX file name (e.g. "model_q4.onnx"), as transformers.js resolves it. */
export function externalDataChunks(ext: ModelConfigSummary['externalData'], onnxName: string, baseName = 'model'): number {
  if (ext === null) return 0;
  if (typeof ext === 'number') return ext;
  return ext[onnxName] ?? ext[baseName] ?? 0;
}

/** Summarize a parsed config.json; throws UnsupportedArchitectureError for anything but a supported causal LM. */
export function summarizeConfig(repoId: string, cfg: unknown): ModelConfigSummary {
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new UnsupportedArchitectureError(repoId, 'unknown (config.json is not an object)');
  const c = cfg as Json;
  const modelType = typeof c.model_type === 'string' ? c.model_type : 'unknown (no model_type in config.json)';
  if (!isSupportedArchitecture(modelType)) throw new UnsupportedArchitectureError(repoId, modelType);
  const stated = num(c, 'num_parameters', 'n_params');
  const estimated = stated === null ? estimateParams(c) : null;
  return {
    modelType,
    architectures: Array.isArray(c.architectures) ? c.architectures.map(String) : [],
    params: stated ?? estimated,
    paramsEstimated: stated === null && estimated !== null,
    vocabSize: num(c, 'vocab_size'),
    layers: num(c, 'num_hidden_layers', 'n_layer', 'num_layers'),
    hiddenSize: num(c, 'hidden_size', 'n_embd', 'd_model'),
    maxPositions: num(c, 'n_positions', 'max_position_embeddings'),
    externalData: externalDataOf(c),
  };
}
