/**
 * How model sessions get the scoring head (scoring-head.ts) when transformers.js creates them, and
 * the view of a session with the head that transformers.js's own forward and generate are given.
 */
import { Tensor } from '@huggingface/transformers';
import { addScoringHead, type ScoringHeadOptions, HEAD_INPUT_INDEX, HEAD_INPUT_LOGITS_FROM, HEAD_INPUT_TARGET, HEAD_OUTPUT_ARGMAX, HEAD_OUTPUT_LOGPROB } from './scoring-head.ts';

/** What the scoring head needs of a runtime module: the class whose `create` transformers.js calls. */
export interface OrtSessionModule {
  InferenceSession: { create(model: Uint8Array | string, options?: object): Promise<unknown> };
}

type CreateSession = (model: Uint8Array | string, options?: object) => Promise<unknown>;
/** The loads that want the head now, and the current one's options and file reader (loads run one at a time). */
const headLoads: { active: number; options: ScoringHeadOptions; readModelFile?: (path: string) => Promise<Uint8Array> } = { active: 0, options: { logSoftmax: 'kernel' } };
const ORIGINAL_CREATE = Symbol('emergence-lab original InferenceSession.create');

/**
 * While a load that wants the scoring head runs, sessions transformers.js creates get the head
 * added to their graph (scoring-head.ts). The wrapper is installed once on the runtime's
 * InferenceSession class and does nothing outside such loads; a graph it does not recognise, a
 * model whose weights sit in external files next to a path, or a failed session with the head
 * all fall back to the model as it is.
 */
export async function withScoringHead<T>(
  ort: OrtSessionModule,
  readModelFile: ((path: string) => Promise<Uint8Array>) | undefined,
  load: () => Promise<T>,
  options: ScoringHeadOptions = { logSoftmax: 'kernel' },
): Promise<T> {
  const cls = ort.InferenceSession as OrtSessionModule['InferenceSession'] & { [ORIGINAL_CREATE]?: CreateSession };
  if (!cls[ORIGINAL_CREATE]) {
    const create = cls.create.bind(cls) as CreateSession;
    cls[ORIGINAL_CREATE] = create;
    cls.create = async (model: Uint8Array | string, options?: object) => {
      if (headLoads.active === 0) return create(model, options);
      let bytes: Uint8Array | null = null;
      if (typeof model !== 'string') bytes = model;
      else if (headLoads.readModelFile) bytes = await headLoads.readModelFile(model);
      const head = bytes ? addScoringHead(bytes, headLoads.options) : null;
      // A model loaded by path finds its external weight files next to that path only.
      if (!head?.bytes || (typeof model === 'string' && head.externalData)) return create(model, options);
      try {
        const session = (await create(head.bytes, options)) as { outputNames?: string[] };
        // Reading a property also unmasks the worker's failed-create stand-in (it throws when touched).
        if (!session.outputNames?.includes(HEAD_OUTPUT_LOGPROB)) throw new Error('the session lacks the head outputs');
        return session;
      } catch (err) {
        console.warn(`The scoring head could not be added (${err instanceof Error ? err.message : String(err)}); scoring reads logits instead.`);
        return create(model, options);
      }
    };
  }
  const previous = { options: headLoads.options, readModelFile: headLoads.readModelFile };
  headLoads.active++;
  headLoads.options = options;
  headLoads.readModelFile = readModelFile;
  try {
    return await load();
  } finally {
    headLoads.active--;
    Object.assign(headLoads, previous);
  }
}

/**
 * The head's inputs are required inputs of the graph (scoring-head.ts says why), and
 * transformers.js's own forward and generate (the reference scorer's path) feed exactly the
 * inputs the session lists and fetch every output. So transformers.js gets a view of the session
 * without the head: its input names leave the head's out, a run without them gets one dummy
 * position (ONNX Runtime runs the head on that one row: negligible) and, when it names no
 * outputs, fetches the model's own.
 */
export function hideScoringHead(model: object): void {
  const sessions = (model as unknown as { sessions: Record<string, object> }).sessions;
  const inner = sessions.model as { inputNames: string[]; outputNames: string[]; run(feeds: Record<string, unknown>, fetches?: unknown, options?: unknown): Promise<unknown> };
  const headInputs = [HEAD_INPUT_INDEX, HEAD_INPUT_TARGET, HEAD_INPUT_LOGITS_FROM];
  const headOutputs = [HEAD_OUTPUT_LOGPROB, HEAD_OUTPUT_ARGMAX];
  const inputNames = inner.inputNames.filter((n) => !headInputs.includes(n));
  const modelOutputs = inner.outputNames.filter((n) => !headOutputs.includes(n));
  const dummy = () => (new Tensor('int64', new BigInt64Array(1), [1]) as unknown as { ort_tensor: unknown }).ort_tensor;
  sessions.model = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'inputNames') return inputNames;
      if (prop === 'run') {
        return (feeds: Record<string, unknown>, fetches?: unknown, options?: unknown) => {
          if (HEAD_INPUT_INDEX in feeds) return target.run(feeds, fetches, options);
          // logits_from 0 (the dummy's value): the model's logits at every column, as without the head.
          return target.run({ ...feeds, [HEAD_INPUT_INDEX]: dummy(), [HEAD_INPUT_TARGET]: dummy(), [HEAD_INPUT_LOGITS_FROM]: dummy() }, fetches ?? modelOutputs, options);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
