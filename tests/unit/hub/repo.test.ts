import { describe, expect, it } from 'vitest';
import { InvalidRepoIdError } from '../../../src/lib/hub/errors.ts';
import { isCommitSha, normalizeHost, parseResolveUrl, resolveUrl, revisionApiUrl, validateRepoId } from '../../../src/lib/hub/repo.ts';
import { ModelRefSchema } from '../../../src/lib/spec/schema.ts';
import * as v from 'valibot';

describe('validateRepoId', () => {
  it.each(['Xenova/pythia-14m', 'onnx-community/Qwen2.5-0.5B-Instruct', 'HuggingFaceTB/SmolLM-135M', 'a/b', 'user_1/model.v2', `o/${'n'.repeat(96)}`])(
    'accepts %s (and the spec accepts it too)',
    (id) => {
      expect(validateRepoId(id)).toBe(id);
      expect(v.safeParse(ModelRefSchema, { id, source: 'hub', revision: null, dtype: 'q4', device: 'webgpu' }).success).toBe(true);
    },
  );

  it.each([
    ['', /is empty/],
    ['gpt2', /owner is missing/],
    ['a/b/c', /more than one "\/"/],
    ['/model', /owner is empty/],
    ['owner/', /name is empty/],
    ['own er/model', /whitespace/],
    ['owner/model ', /whitespace/],
    ['-owner/model', /start and end with a letter or digit/],
    ['owner/model.', /start and end with a letter or digit/],
    ['owner/mo--del', /"--" or "\.\."/],
    ['owner/mo..del', /"--" or "\.\."/],
    ['owner/model.git', /\.git/],
    ['owner/mödel', /may only contain/],
    [`o/${'n'.repeat(97)}`, /longer than 96/],
    ['https://huggingface.co/Xenova/gpt2/tree/main', /it is a URL; the id is probably "Xenova\/gpt2"/],
  ])('refuses %j with a message saying why', (id, why) => {
    const err = (() => {
      try {
        validateRepoId(id);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(InvalidRepoIdError);
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).toMatch(/Use the form "owner\/name"/);
  });

  it('refuses non-strings', () => {
    expect(() => validateRepoId(42)).toThrow(InvalidRepoIdError);
  });
});

describe('Hub URLs', () => {
  const sha = 'a'.repeat(40);
  it('builds resolve and API URLs and parses resolve URLs back', () => {
    expect(resolveUrl('https://huggingface.co/', 'Xenova/gpt2', sha, 'onnx/model.onnx')).toBe(`https://huggingface.co/Xenova/gpt2/resolve/${sha}/onnx/model.onnx`);
    expect(revisionApiUrl('https://huggingface.co', 'Xenova/gpt2', 'refs/pr/1')).toBe('https://huggingface.co/api/models/Xenova/gpt2/revision/refs%2Fpr%2F1');
    expect(parseResolveUrl(`https://huggingface.co/Xenova/gpt2/resolve/${sha}//onnx/model.onnx?download=1`)).toEqual({
      host: 'https://huggingface.co',
      repoId: 'Xenova/gpt2',
      revision: sha,
      file: 'onnx/model.onnx',
    });
    expect(parseResolveUrl('https://mirror.example/hf/a/b/resolve/main/config.json', 'https://mirror.example/hf/')).toMatchObject({ host: 'https://mirror.example/hf', repoId: 'a/b' });
    expect(parseResolveUrl('https://other.example/a/b/resolve/main/config.json', 'https://huggingface.co')).toBeNull();
    expect(parseResolveUrl('/models/arith/x/config.json')).toBeNull();
  });

  it('knows a commit sha from a branch name', () => {
    expect(isCommitSha(sha)).toBe(true);
    expect(isCommitSha('main')).toBe(false);
    expect(isCommitSha(sha.slice(1))).toBe(false);
    expect(isCommitSha(null)).toBe(false);
  });

  it('refuses hosts that are not http(s) URLs', () => {
    expect(() => normalizeHost('huggingface.co')).toThrow(/absolute URL/);
    expect(() => normalizeHost('ftp://x')).toThrow(/http or https/);
  });
});
